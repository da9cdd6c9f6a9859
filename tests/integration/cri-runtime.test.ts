/**
 * The Node CRI port against the real containerd: version, a container's whole life with its CRI
 * log, ExecSync, error codes, and config fields arriving in the container (which checks the
 * wire format, i.e. the field numbers of bindings/cri/api.proto, end to end).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { ContainerId, ContainerState, ContainerStatus } from "../../bindings/cri/types.ts";
import { isCriError, type Cri } from "../../kubelet/ports/cri.ts";
import { BUSYBOX_IMAGE, closeTestCri, testCri } from "./support/cri.ts";
import { eventually } from "./support/eventually.ts";
import { openTestSandbox, sweepTestLeftovers } from "./support/testSandbox.ts";

/** A busybox command that runs until SIGTERM and then exits 0 (PID 1 ignores TERM otherwise). */
const UNTIL_TERM = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"];

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

async function waitForState(cri: Cri, id: ContainerId, state: ContainerState): Promise<ContainerStatus> {
  let seen = "nothing";
  return eventually(`container ${id.slice(0, 12)} to be ${state}`, async () => {
    const status = (await cri.containerStatus(id)).status!;
    seen = `${status.state} exit=${status.exitCode} reason=${status.reason} ${status.message}`;
    return status.state === state ? status : undefined;
  }, { describe: () => `last seen: ${seen}` });
}

test.before(async () => {
  // Never throws (uvu would swallow it): a missing runtime fails each test through testCri().
  await testCri().then(sweepTestLeftovers).catch(() => undefined);
});

test.after(closeTestCri);

test("Version reports containerd speaking runtime API v1, ready", async () => {
  const cri = await testCri();
  const v = await cri.version();
  assert.is(v.runtimeName, "containerd");
  assert.is(v.runtimeApiVersion, "v1");
  assert.ok(v.runtimeVersion.length > 0);
  const conditions = (await cri.status()).status!.conditions;
  for (const type of ["RuntimeReady", "NetworkReady"]) {
    const c = conditions.find((x) => x.type === type);
    assert.ok(c?.status, `${type}: ${JSON.stringify(c)}`);
  }
});

test("runs a container through CRI and reads its output", async () => {
  const cri = await testCri();
  const sandbox = await openTestSandbox(cri, "cri-hello");
  try {
    const id = await sandbox.createContainer("hello", ["sh", "-c", "echo hello-from-cri"]);
    assert.is((await cri.containerStatus(id)).status!.state, "CONTAINER_CREATED");
    await cri.startContainer(id);
    const exited = await waitForState(cri, id, "CONTAINER_EXITED");
    assert.is(exited.exitCode, 0);
    assert.is(exited.reason, "Completed");
    assert.ok(exited.finishedAt >= exited.startedAt && exited.startedAt >= exited.createdAt && exited.createdAt > 0);
    assert.is(exited.logPath, join(sandbox.logDirectory, "hello/0.log"));

    // CRI log format: <RFC3339Nano time> <stream> <P|F> <text>
    const log = await eventually("the log line", () => {
      const content = readFileSync(exited.logPath, "utf8");
      return content.includes("hello-from-cri") ? content : undefined;
    });
    assert.match(log, /^\d{4}-\d\d-\d\dT\S+ stdout F hello-from-cri$/m);

    await cri.stopContainer(id, 0);
    await cri.removeContainer(id);
    assert.equal(await cri.listContainers({ podSandboxId: sandbox.id }), []);
    await cri.stopPodSandbox(sandbox.id);
    assert.is((await cri.podSandboxStatus(sandbox.id)).status!.state, "SANDBOX_NOTREADY");
    await cri.removePodSandbox(sandbox.id);
    assert.equal(await cri.listPodSandbox({ id: sandbox.id }), []);
    assert.not.ok((await cri.listPodSandbox()).some((s) => s.id === sandbox.id));
  } finally {
    await sandbox.remove();
  }
});

test("ExecSync in a running container returns stdout, stderr and the exit code", async () => {
  const cri = await testCri();
  const sandbox = await openTestSandbox(cri, "cri-exec");
  try {
    const id = await sandbox.createContainer("main", UNTIL_TERM);
    await cri.startContainer(id);
    await waitForState(cri, id, "CONTAINER_RUNNING");
    const ok = await cri.execSync(id, ["echo", "exec-ok"], 10);
    assert.is(text(ok.stdout), "exec-ok\n");
    assert.is(ok.exitCode, 0);
    const failed = await cri.execSync(id, ["sh", "-c", "echo out; echo err >&2; exit 3"], 10);
    assert.is(text(failed.stdout), "out\n");
    assert.is(text(failed.stderr), "err\n");
    assert.is(failed.exitCode, 3);

    // The streaming calls only hand out URLs of the runtime's streaming server.
    assert.match(await cri.exec({ containerId: id, cmd: ["sh"], stdin: true, stdout: true }), /^http:\/\/127\.0\.0\.1:\d+\/exec\//);
    assert.match(await cri.attach({ containerId: id, stdout: true, stderr: true }), /^http:\/\/127\.0\.0\.1:\d+\/attach\//);
    assert.match(await cri.portForward(sandbox.id, [8080]), /^http:\/\/127\.0\.0\.1:\d+\/portforward\//);
    await cri.reopenContainerLog(id);

    await cri.stopContainer(id, 10);
    const stopped = (await cri.containerStatus(id)).status!;
    assert.is(stopped.state, "CONTAINER_EXITED");
    assert.is(stopped.exitCode, 0, "the TERM trap ran, so the stop was graceful");
  } finally {
    await sandbox.remove();
  }
});

test("an unknown container or sandbox id fails with NotFound", async () => {
  const cri = await testCri();
  const bogus = "0123456789abcdef".repeat(4);
  for (const attempt of [() => cri.containerStatus(bogus), () => cri.podSandboxStatus(bogus), () => cri.startContainer(bogus)]) {
    const err = await attempt().then(() => undefined, (e: unknown) => e);
    assert.ok(isCriError(err, "NotFound"), `expected a NotFound CriError, got ${String(err)}`);
    assert.match(err.message, /NotFound/);
  }
});

test("sandbox and container config fields reach the container", async () => {
  const cri = await testCri();
  const hostDir = mkdtempSync(join(tmpdir(), "kts-cri-mount-"));
  writeFileSync(join(hostDir, "file"), "from-the-host\n");
  const sandbox = await openTestSandbox(cri, "cri-fields", {
    dnsConfig: { servers: ["10.96.0.10"], searches: ["kts.svc.cluster.local"], options: ["ndots:5"] },
    annotations: { "kts/sandbox-note": "s" },
    labels: { "kts/app": "fields" },
  });
  try {
    const memory = 64 * 1024 * 1024;
    const id = await sandbox.createContainer("main", ["sh", "-c"], {
      args: ["trap 'exit 0' TERM; sleep 3600 & wait"],
      workingDir: "/tmp",
      envs: [{ key: "KTS_GREETING", value: "hi there" }],
      mounts: [{ containerPath: "/data", hostPath: hostDir, readonly: true }],
      annotations: { "kts/container-note": "c" },
      labels: { "kts/role": "main" },
      linux: {
        resources: { memoryLimitInBytes: memory, cpuShares: 512, cpuQuota: 50_000, cpuPeriod: 100_000 },
        securityContext: { namespaceOptions: { network: "POD", pid: "CONTAINER", ipc: "POD" } },
      },
    });
    await cri.startContainer(id);
    await waitForState(cri, id, "CONTAINER_RUNNING");

    const script = [
      'echo "env=$KTS_GREETING"', 'echo "pwd=$(pwd)"', 'echo "mount=$(cat /data/file)"',
      'touch /data/probe 2>/dev/null && echo "mount-rw" || echo "mount-ro"', 'echo "hostname=$(hostname)"',
      "cat /etc/resolv.conf", 'echo "mem=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"',
      'echo "shares=$(cat /sys/fs/cgroup/cpu/cpu.shares)"', 'echo "quota=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us)"',
    ].join("; ");
    const out = text((await cri.execSync(id, ["sh", "-c", script], 10)).stdout);
    for (const line of ["env=hi there", "pwd=/tmp", "mount=from-the-host", "mount-ro", `hostname=${sandbox.name}`,
      "nameserver 10.96.0.10", "search kts.svc.cluster.local", "options ndots:5", `mem=${memory}`, "shares=512", "quota=50000"]) {
      assert.ok(out.split("\n").includes(line), `expected line ${JSON.stringify(line)} in:\n${out}`);
    }

    const status = (await cri.containerStatus(id)).status!;
    assert.equal(status.metadata, { name: "main", attempt: 0 });
    assert.is(status.labels["kts/role"], "main");
    assert.is(status.annotations["kts/container-note"], "c");
    assert.is(status.image?.image, "127.0.0.1:5000/busybox:latest");
    // containerd answers the repo digest when it knows one, else the image id.
    assert.match(status.imageRef, /(^|@)sha256:[0-9a-f]{64}$/);
    assert.ok(status.mounts.some((m) => m.containerPath === "/data" && m.hostPath === hostDir && m.readonly));

    const sandboxStatus = (await cri.podSandboxStatus(sandbox.id)).status!;
    assert.equal(sandboxStatus.metadata, { name: sandbox.name, uid: sandbox.uid, namespace: "kts-integration", attempt: 0 });
    assert.is(sandboxStatus.state, "SANDBOX_READY");
    assert.is(sandboxStatus.labels["kts/app"], "fields");
    assert.is(sandboxStatus.annotations["kts/sandbox-note"], "s");
    assert.match(sandboxStatus.network?.ip ?? "", /^10\.88\.\d+\.\d+$/);
    assert.is(sandboxStatus.linux?.namespaces?.options?.pid, "CONTAINER");

    await cri.updateContainerResources(id, { memoryLimitInBytes: 2 * memory, cpuShares: 256, cpuQuota: 20_000, cpuPeriod: 100_000 });
    const updated = text((await cri.execSync(id, ["sh", "-c",
      "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.shares /sys/fs/cgroup/cpu/cpu.cfs_quota_us"], 10)).stdout);
    assert.equal(updated.trim().split("\n"), [String(2 * memory), "256", "20000"]);

    const listed = await cri.listContainers({ podSandboxId: sandbox.id, labelSelector: { "kts/role": "main" } });
    assert.equal(listed.map((c) => [c.id, c.state]), [[id, "CONTAINER_RUNNING"]]);
  } finally {
    await sandbox.remove();
    rmSync(hostDir, { recursive: true, force: true });
  }
});

test("ImageService: status, list, pull of a present image, filesystem usage", async () => {
  const cri = await testCri();
  const present = (await cri.imageStatus({ image: BUSYBOX_IMAGE })).image;
  assert.ok(present, `${BUSYBOX_IMAGE} should be pre-pulled`);
  assert.match(present.id, /^sha256:[0-9a-f]{64}$/);
  assert.ok(present.repoTags.includes(BUSYBOX_IMAGE));
  assert.ok(present.size > 0);
  assert.is((await cri.imageStatus({ image: "127.0.0.1:5000/kts-no-such-image:latest" })).image, null);
  // containerd 1.6 ignores the ListImages filter, so only the unfiltered list is checked.
  assert.ok((await cri.listImages()).some((i) => i.id === present.id));
  assert.is(await cri.pullImage({ image: BUSYBOX_IMAGE }), present.id);
  const [fs] = await cri.imageFsInfo();
  assert.ok(fs?.fsId?.mountpoint && (fs.usedBytes?.value ?? 0) > 0, JSON.stringify(fs));
});

test("stats of a running container and its sandbox", async () => {
  const cri = await testCri();
  const sandbox = await openTestSandbox(cri, "cri-stats");
  try {
    const id = await sandbox.createContainer("main", UNTIL_TERM);
    await cri.startContainer(id);
    await waitForState(cri, id, "CONTAINER_RUNNING");
    const stats = await eventually("container memory stats", async () => {
      const s = await cri.containerStats(id);
      return (s?.memory?.workingSetBytes?.value ?? 0) > 0 ? s! : undefined;
    });
    assert.is(stats.attributes?.id, id);
    assert.equal(stats.attributes?.metadata, { name: "main", attempt: 0 });
    assert.ok((stats.cpu?.timestamp ?? 0) > 0);
    assert.equal((await cri.listContainerStats({ podSandboxId: sandbox.id })).map((s) => s.attributes?.id), [id]);
    const podStats = await cri.podSandboxStats(sandbox.id);
    assert.is(podStats?.attributes?.id, sandbox.id);
    assert.ok((await cri.listPodSandboxStats({ id: sandbox.id })).length === 1);
  } finally {
    await sandbox.remove();
  }
});

test.run();
