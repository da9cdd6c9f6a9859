/**
 * Container configuration by kubelet-ts on a real containerd: command/args expansion, env,
 * workingDir, security context, resources (cgroup files), host network, DNS and log files —
 * observed from inside the container (ExecSync), through CRI and in the host's cgroup and log files.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { closeTestCri, testCri } from "./support/cri.ts";
import { eventually } from "./support/eventually.ts";
import { busyboxWithUser } from "./support/fixtureImages.ts";
import { KubeletProcess } from "./support/kubeletProcess.ts";
import {
  bareId, execIn, podManifest, shContainer, removeAndWait, statusOf, trapped, waitPod, waitRunning, withPod, keepLog,
} from "./support/podKit.ts";
import type { Pod } from "../../bindings/kube/types.ts";

const test = suite("kubelet container config");
let k: KubeletProcess;

test.before(async () => {
  k = await KubeletProcess.create("kts-cfg");
  await k.start();
});
test.after(async () => {
  keepLog(k, "config");
  await k?.dispose();
  await closeTestCri();
});

/** Runs `cmd` in the pod's container `main` and returns its stdout, failing on a non-zero exit. */
async function run(p: Pod, cmd: string[]): Promise<string> {
  const out = await execIn(bareId(statusOf(p, "main")), cmd);
  assert.is(out.exitCode, 0, `${cmd.join(" ")}: ${out.stderr}`);
  return out.stdout;
}

test("command and args expand $(VAR) from env; env values and workingDir are visible in the container", async () => {
  const pod = podManifest("expand", {
    containers: [{
      ...shContainer("main", ""),
      command: ["sh", "-c"],
      args: [`printf '%s\\n' '$(GREETING)' '$(COMBINED)' '$$(GREETING)' '$(UNDEFINED)' > /tmp/args; ${trapped()}`],
      workingDir: "/tmp/work",
      env: [
        { name: "GREETING", value: "hello" },
        { name: "NAME", value: "world" },
        { name: "COMBINED", value: "$(GREETING)-$(NAME)" },
      ],
    }],
  });
  await withPod(k, pod, async () => {
    const p = await waitRunning(k, "expand");
    assert.equal((await run(p, ["cat", "/tmp/args"])).split("\n"), ["hello", "hello-world", "$(GREETING)", "$(UNDEFINED)", ""]);
    const env = (await run(p, ["env"])).split("\n");
    for (const kv of ["GREETING=hello", "NAME=world", "COMBINED=hello-world"]) assert.ok(env.includes(kv), `${kv} in ${JSON.stringify(env)}`);
    assert.is((await run(p, ["pwd"])).trim(), "/tmp/work");
  });
});

test("securityContext runAsUser 1000: the process runs as uid 1000", async () => {
  const pod = podManifest("run-as", { containers: [shContainer("main", trapped(), { securityContext: { runAsUser: 1000 } })] });
  await withPod(k, pod, async () => {
    const p = await waitRunning(k, "run-as");
    assert.is((await run(p, ["id", "-u"])).trim(), "1000");
    assert.match(await run(p, ["cat", "/proc/1/status"]), /\nUid:\s+1000\s/);
  });
});

test("runAsNonRoot with an image that runs as root: waiting CreateContainerConfigError, nothing created", async () => {
  const pod = podManifest("non-root", { containers: [shContainer("main", trapped(), { securityContext: { runAsNonRoot: true } })] });
  await withPod(k, pod, async () => {
    const p = await waitPod(k, "non-root", "waiting CreateContainerConfigError", (x) => statusOf(x, "main")?.state.waiting?.reason === "CreateContainerConfigError");
    assert.is(statusOf(p, "main")!.state.waiting!.message, `container has runAsNonRoot and image will run as root (pod: "${p.metadata.name}_default(${p.metadata.uid})", container: main)`);
    const cri = await testCri();
    assert.is((await cri.listContainers({ labelSelector: { "io.kubernetes.pod.uid": p.metadata.uid! } })).length, 0);
  });
});

test("runAsNonRoot with an image whose USER is 1000: the container runs as 1000", async () => {
  const image = busyboxWithUser("1000", "1000");
  const pod = podManifest("non-root-ok", { containers: [shContainer("main", trapped(), { image, securityContext: { runAsNonRoot: true } })] });
  await withPod(k, pod, async () => {
    const p = await waitRunning(k, "non-root-ok");
    assert.is((await run(p, ["id", "-u"])).trim(), "1000");
  });
});

test("runAsNonRoot with an image whose USER is a name: CreateContainerConfigError (cannot verify)", async () => {
  const image = busyboxWithUser("nobody", "nobody");
  const pod = podManifest("non-root-name", { containers: [shContainer("main", trapped(), { image, securityContext: { runAsNonRoot: true } })] });
  await withPod(k, pod, async () => {
    const p = await waitPod(k, "non-root-name", "waiting CreateContainerConfigError", (x) => statusOf(x, "main")?.state.waiting?.reason === "CreateContainerConfigError");
    assert.is(statusOf(p, "main")!.state.waiting!.message,
      `container has runAsNonRoot and image has non-numeric user (nobody), cannot verify user is non-root (pod: "${p.metadata.name}_default(${p.metadata.uid})", container: main)`);
  });
});

test("readOnlyRootFilesystem: writing to the root filesystem fails", async () => {
  const pod = podManifest("read-only", { containers: [shContainer("main", trapped(), { securityContext: { readOnlyRootFilesystem: true } })] });
  await withPod(k, pod, async () => {
    const p = await waitRunning(k, "read-only");
    const out = await execIn(bareId(statusOf(p, "main")), ["touch", "/written"]);
    assert.is.not(out.exitCode, 0, "touch / failed");
    assert.match(out.stderr, "Read-only file system");
  });
});

test("containers are not privileged by default: no CAP_SYS_ADMIN, /sys read-only", async () => {
  const pod = podManifest("unprivileged", { containers: [shContainer("main", trapped())] });
  await withPod(k, pod, async () => {
    const p = await waitRunning(k, "unprivileged");
    const capEff = /\nCapEff:\s+([0-9a-f]+)/.exec(await run(p, ["cat", "/proc/1/status"]))?.[1];
    assert.ok(capEff, "CapEff read");
    const CAP_SYS_ADMIN = 21n;
    assert.is((BigInt(`0x${capEff}`) >> CAP_SYS_ADMIN) & 1n, 0n, `CapEff ${capEff} lacks CAP_SYS_ADMIN`);
    const cri = await testCri();
    const info = JSON.parse((await cri.containerStatus(bareId(statusOf(p, "main")), true)).info.info ?? "{}");
    assert.is(info.config?.linux?.security_context?.privileged ?? false, false, "CRI config not privileged");
  });
});

test("resource limits reach the container and pod cgroups (memory limit, CPU quota and shares)", async () => {
  const pod = podManifest("limits", {
    containers: [shContainer("main", trapped(), { resources: { limits: { cpu: "500m", memory: "64Mi" } } })],
  });
  await withPod(k, pod, async (file) => {
    const p = await waitRunning(k, "limits");
    assert.is(p.status!.qosClass, "Guaranteed");
    const cri = await testCri();
    const info = JSON.parse((await cri.containerStatus(bareId(statusOf(p, "main")), true)).info.info ?? "{}");
    const cgroupsPath: string = info.runtimeSpec?.linux?.cgroupsPath ?? "";
    assert.is(cgroupsPath, `/kubepods/pod${p.metadata.uid}/${bareId(statusOf(p, "main"))}`);
    const read = (ctrl: string, path: string, file: string) => readFileSync(`/sys/fs/cgroup/${ctrl}${path}/${file}`, "utf8").trim();
    assert.is(read("memory", cgroupsPath, "memory.limit_in_bytes"), String(64 * 1024 * 1024));
    assert.is(read("cpu", cgroupsPath, "cpu.cfs_quota_us"), "50000");
    assert.is(read("cpu", cgroupsPath, "cpu.cfs_period_us"), "100000");
    assert.is(read("cpu", cgroupsPath, "cpu.shares"), "512");
    const podCgroup = `/kubepods/pod${p.metadata.uid}`;
    assert.is(read("memory", podCgroup, "memory.limit_in_bytes"), String(64 * 1024 * 1024), "pod cgroup memory limit");
    assert.is(read("cpu", podCgroup, "cpu.cfs_quota_us"), "50000", "pod cgroup CPU quota");
    assert.is(read("cpu", podCgroup, "cpu.shares"), "512", "pod cgroup CPU shares");
    await removeAndWait(k, file, "limits");
    await eventually("pod cgroups removed", () =>
      ["memory", "cpu", "pids"].every((c) => !existsSync(`/sys/fs/cgroup/${c}${podCgroup}`)) ? true : undefined);
  });
});

test("hostNetwork: the sandbox has no pod IP of its own, the pod reports the host IP, hostname is the node's", async () => {
  const pod = podManifest("host-net", { hostNetwork: true, containers: [shContainer("main", trapped())] });
  await withPod(k, pod, async () => {
    const p = await waitRunning(k, "host-net");
    const cri = await testCri();
    const [sb] = await cri.listPodSandbox({ labelSelector: { "io.kubernetes.pod.uid": p.metadata.uid! } });
    const st = (await cri.podSandboxStatus(sb!.id)).status!;
    assert.is(st.network?.ip ?? "", "", "no sandbox IP");
    assert.is(st.linux?.namespaces?.options?.network, "NODE");
    assert.ok(p.status!.hostIP, "hostIP reported");
    assert.is(p.status!.podIP, p.status!.hostIP, "podIP is the host IP");
    assert.is((await run(p, ["hostname"])).trim(), hostname());
    assert.is((await run(p, ["cat", "/etc/hostname"])).trim(), hostname());
  });
});

test("dnsPolicy ClusterFirst: resolv.conf names the cluster DNS and the namespace's search path", async () => {
  const pod = podManifest("dns", { containers: [shContainer("main", trapped())] });
  await withPod(k, pod, async () => {
    const p = await waitRunning(k, "dns");
    const lines = (await run(p, ["cat", "/etc/resolv.conf"])).split("\n").map((l) => l.trim());
    assert.equal(lines.filter((l) => l.startsWith("nameserver")), ["nameserver 10.96.0.10"]);
    const search = lines.find((l) => l.startsWith("search "))?.split(/\s+/).slice(1) ?? [];
    assert.equal(search.slice(0, 3), ["default.svc.cluster.local", "svc.cluster.local", "cluster.local"]);
    assert.ok(lines.includes("options ndots:5"), `ndots:5 in ${JSON.stringify(lines)}`);
  });
});

test("container log: /var/log/pods/<ns>_<name>_<uid>/<container>/0.log holds CRI-format lines", async () => {
  const pod = podManifest("logs", { containers: [shContainer("main", trapped("echo to-stdout; echo to-stderr >&2; while true; do sleep 1; done"))] });
  await withPod(k, pod, async (manifest) => {
    const p = await waitRunning(k, "logs");
    const file = `/var/log/pods/default_${p.metadata.name}_${p.metadata.uid}/main/0.log`;
    assert.ok(existsSync(file), `${file} exists`);
    const cri = await testCri();
    assert.is((await cri.containerStatus(bareId(statusOf(p, "main")))).status!.logPath, file, "CRI logPath");
    const lines = await waitLines(file, 2);
    const line = /^(\S+) (stdout|stderr) ([FP]) (.*)$/;
    for (const l of lines) assert.match(l, line);
    const parsed = lines.map((l) => line.exec(l)!);
    assert.ok(parsed.some((m) => m[2] === "stdout" && m[4] === "to-stdout"), "stdout line");
    assert.ok(parsed.some((m) => m[2] === "stderr" && m[4] === "to-stderr"), "stderr line");
    assert.ok(parsed.every((m) => !Number.isNaN(Date.parse(m[1]!))), "RFC 3339 timestamps");
    await removeAndWait(k, manifest, "logs");
    await eventually("pod log directory removed", () => (existsSync(file.replace(/\/main\/0\.log$/, "")) ? undefined : true));
  });
});

async function waitLines(file: string, n: number): Promise<string[]> {
  return eventually(`${n} lines in ${file}`, () => {
    const lines = readFileSync(file, "utf8").split("\n").filter(Boolean);
    return lines.length >= n ? lines : undefined;
  });
}

test.run();
