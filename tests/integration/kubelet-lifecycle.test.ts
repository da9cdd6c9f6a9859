/**
 * Pod lifecycle on a real containerd through kubelet-ts as a process: init order, restart policies,
 * CrashLoopBackOff, sidecars, lifecycle hooks, graceful termination and activeDeadlineSeconds.
 * Every assertion reads CRI-observed state or the kubelet's /pods.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { closeSync, openSync, readSync } from "node:fs";
import { closeTestCri, testCri } from "./support/cri.ts";
import { eventually } from "./support/eventually.ts";
import { KubeletProcess } from "./support/kubeletProcess.ts";
import {
  bareId, consistently, criContainers, criInstances, eventMessages, execIn, logLines, nsToMs, podManifest, removeAndWait, shContainer, statusOf, trapped, waitPod,
  waitRunning, withPod, keepLog,
} from "./support/podKit.ts";

const test = suite("kubelet pod lifecycle");
let k: KubeletProcess;

test.before(async () => {
  k = await KubeletProcess.create("kts-life");
  await k.start();
});
test.after(async () => {
  keepLog(k, "lifecycle");
  await k?.dispose();
  await closeTestCri();
});

const restartAnnotation = "io.kubernetes.container.restartCount";

test("init containers run in order, each to completion before the next, then the app containers", async () => {
  const pod = podManifest("init-order", {
    initContainers: [shContainer("init-a", "echo a; sleep 1"), shContainer("init-b", "echo b; sleep 1")],
    containers: [shContainer("main", trapped())],
  });
  await withPod(k, pod, async () => {
    const p = await waitRunning(k, "init-order");
    for (const name of ["init-a", "init-b"]) {
      const t = statusOf(p, name)?.state.terminated;
      assert.ok(t, `${name} terminated in /pods`);
      assert.is(t!.exitCode, 0);
      assert.is(t!.reason, "Completed");
    }
    assert.is(p.status!.conditions!.find((c) => c.type === "Initialized")?.status, "True");
    const cs = await criContainers(p.metadata.uid!);
    const [a, b, main] = ["init-a", "init-b", "main"].map((n) => cs.find((c) => c.metadata?.name === n)!);
    assert.ok(a && b && main, "all three containers in CRI");
    assert.is(cs.length, 3, "each container ran once");
    assert.ok(a!.finishedAt > 0 && a!.finishedAt <= b!.createdAt, "init-b created after init-a finished");
    assert.ok(b!.finishedAt > 0 && b!.finishedAt <= main!.createdAt, "main created after init-b finished");
  });
});

test("a failing init container is retried with back-off and the app container never starts (restartPolicy Always)", async () => {
  const pod = podManifest("init-crash", { initContainers: [shContainer("init", "exit 2")], containers: [shContainer("main", trapped())] });
  await withPod(k, pod, async () => {
    const p = await waitPod(k, "init-crash", "init waiting CrashLoopBackOff", (x) => statusOf(x, "init")?.state.waiting?.reason === "CrashLoopBackOff");
    const init = statusOf(p, "init")!;
    assert.ok(init.restartCount >= 1, "init container restarted");
    assert.is(init.lastState.terminated?.exitCode, 2);
    assert.is(p.status!.phase, "Pending");
    assert.is(p.status!.conditions!.find((c) => c.type === "Initialized")?.status, "False");
    assert.is(statusOf(p, "main")!.state.waiting?.reason, "PodInitializing");
    assert.is((await criInstances(p.metadata.uid!, "main")).length, 0, "app container never created");
  });
});

test("restartPolicy Never: a failing init container fails the pod and nothing else runs", async () => {
  const pod = podManifest("init-never", {
    restartPolicy: "Never",
    initContainers: [shContainer("init", "exit 2")],
    containers: [shContainer("main", trapped())],
  });
  await withPod(k, pod, async () => {
    const p = await waitPod(k, "init-never", "phase Failed", (x) => x.status?.phase === "Failed");
    assert.is(statusOf(p, "init")!.state.terminated?.exitCode, 2);
    const cri = await testCri();
    await eventually("sandbox stopped", async () => {
      const sb = await cri.listPodSandbox({ labelSelector: { "io.kubernetes.pod.uid": p.metadata.uid! } });
      return sb.length > 0 && sb.every((s) => s.state === "SANDBOX_NOTREADY") ? true : undefined;
    });
    const cs = await criContainers(p.metadata.uid!);
    assert.equal(cs.map((c) => c.metadata?.name), ["init"], "only the init container ran, once");
  });
});

test("restartPolicy Never: a container exiting 1 makes the pod Failed and is not restarted", async () => {
  const pod = podManifest("never-fail", { restartPolicy: "Never", containers: [shContainer("main", "exit 1")] });
  await withPod(k, pod, async () => {
    const p = await waitPod(k, "never-fail", "phase Failed", (x) => x.status?.phase === "Failed");
    const t = statusOf(p, "main")?.state.terminated;
    assert.is(t?.exitCode, 1);
    assert.is(t?.reason, "Error");
    assert.is(statusOf(p, "main")?.restartCount, 0);
    const cri = await testCri();
    // The kubelet stops the sandbox once nothing is left to run; any restart would come before that.
    await eventually("sandbox stopped", async () => {
      const sb = await cri.listPodSandbox({ labelSelector: { "io.kubernetes.pod.uid": p.metadata.uid! } });
      return sb.length > 0 && sb.every((s) => s.state === "SANDBOX_NOTREADY") ? true : undefined;
    });
    assert.is((await criInstances(p.metadata.uid!, "main")).length, 1, "one instance only");
  });
});

test("restartPolicy OnFailure: a container exiting 0 makes the pod Succeeded and its sandbox is stopped", async () => {
  const pod = podManifest("onfail-ok", { restartPolicy: "OnFailure", containers: [shContainer("main", "exit 0")] });
  await withPod(k, pod, async () => {
    const p = await waitPod(k, "onfail-ok", "phase Succeeded", (x) => x.status?.phase === "Succeeded");
    assert.is(statusOf(p, "main")?.state.terminated?.reason, "Completed");
    const cri = await testCri();
    await eventually("sandbox stopped", async () => {
      const sb = await cri.listPodSandbox({ labelSelector: { "io.kubernetes.pod.uid": p.metadata.uid! } });
      return sb.length === 1 && sb[0]!.state === "SANDBOX_NOTREADY" ? true : undefined;
    });
    assert.is((await criInstances(p.metadata.uid!, "main")).length, 1, "not restarted");
  });
});

test("restartPolicy OnFailure with an init container: a succeeded pod is not re-initialized in a new sandbox", async () => {
  const pod = podManifest("onfail-init", {
    restartPolicy: "OnFailure",
    initContainers: [shContainer("init", "exit 0")],
    containers: [shContainer("main", "sleep 1; exit 0")],
  });
  await withPod(k, pod, async () => {
    const p = await waitPod(k, "onfail-init", "phase Succeeded", (x) => x.status?.phase === "Succeeded");
    const cri = await testCri();
    const sandboxes = () => cri.listPodSandbox({ labelSelector: { "io.kubernetes.pod.uid": p.metadata.uid! } });
    await eventually("sandbox stopped", async () => ((await sandboxes()).every((s) => s.state === "SANDBOX_NOTREADY") ? true : undefined));
    // Later syncs (PLEG sees the stopped sandbox within its 1 s period) must not bring the pod back.
    await consistently("one stopped sandbox, pod Succeeded", async () =>
      (await sandboxes()).length === 1 && (await k.pod("onfail-init"))?.status?.phase === "Succeeded", 3_000);
    assert.is((await sandboxes()).length, 1, "no new sandbox");
    assert.equal((await criContainers(p.metadata.uid!)).map((c) => c.metadata?.name), ["init", "main"], "each container ran once");
    assert.is((await k.pod("onfail-init"))?.status?.phase, "Succeeded");
  });
});

test("restartPolicy OnFailure: a container exiting 1 is restarted", async () => {
  const pod = podManifest("onfail-err", { restartPolicy: "OnFailure", containers: [shContainer("main", "sleep 1; exit 1")] });
  await withPod(k, pod, async () => {
    const p = await waitPod(k, "onfail-err", "restartCount >= 1", (x) => (statusOf(x, "main")?.restartCount ?? 0) >= 1);
    assert.is.not(p.status?.phase, "Failed");
    const inst = await criInstances(p.metadata.uid!, "main");
    assert.ok(inst.length >= 2, "a second instance in CRI");
    assert.is(inst[0]!.exitCode, 1);
    assert.is(inst[1]!.annotations[restartAnnotation], "1");
  });
});

test("restartPolicy Always: an exited container is restarted and restartCount increments in /pods and CRI", async () => {
  const pod = podManifest("always", { containers: [shContainer("main", "sleep 1; exit 0")] });
  await withPod(k, pod, async () => {
    const p = await waitPod(k, "always", "restartCount >= 1", (x) => (statusOf(x, "main")?.restartCount ?? 0) >= 1);
    assert.is(p.status?.phase, "Running");
    const s = statusOf(p, "main")!;
    const inst = await criInstances(p.metadata.uid!, "main");
    const current = inst.find((c) => c.id === bareId(s));
    assert.ok(current, "the /pods container id is in CRI");
    assert.is(current!.annotations[restartAnnotation], String(s.restartCount));
    assert.is(inst[0]!.annotations[restartAnnotation], "0");
    assert.is(s.lastState.terminated?.exitCode, 0, "lastState is the previous instance");
  });
});

test("CrashLoopBackOff: waiting reason and back-off message, and restarts spaced out by the back-off", async () => {
  const pod = podManifest("crash", { containers: [shContainer("main", "exit 1")] });
  await withPod(k, pod, async () => {
    const p = await waitPod(k, "crash", "waiting CrashLoopBackOff", (x) => statusOf(x, "main")?.state.waiting?.reason === "CrashLoopBackOff");
    const w = statusOf(p, "main")!.state.waiting!;
    assert.is(statusOf(p, "main")!.lastState.terminated?.exitCode, 1, "lastState holds the failed run");
    assert.is(w.message, `back-off 10s restarting failed container=main pod=${p.metadata.name}_default(${p.metadata.uid})`);
    const inst = await eventually("three instances", async () => {
      const all = await criInstances(p.metadata.uid!, "main");
      return all.length >= 3 && all[2]!.startedAt > 0 ? all : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    const gap1 = nsToMs(inst[1]!.createdAt) - nsToMs(inst[0]!.finishedAt);
    const gap2 = nsToMs(inst[2]!.createdAt) - nsToMs(inst[1]!.finishedAt);
    assert.ok(gap2 >= 9_900, `second restart waited the 10 s back-off (gap ${gap2} ms)`);
    assert.ok(gap2 > gap1, `restart spacing grows (${gap1} ms, then ${gap2} ms)`);
    assert.ok(logLines(k, `reason="BackOff"`).some((l) => l.includes(p.metadata.name!)), "BackOff event logged");
  });
});

test("sidecar (init container with restartPolicy Always) starts before the app, keeps running, and is restarted when it exits", async () => {
  const pod = podManifest("sidecar", {
    initContainers: [shContainer("side", trapped(), { restartPolicy: "Always" })],
    containers: [shContainer("main", trapped())],
  });
  await withPod(k, pod, async () => {
    const p = await waitRunning(k, "sidecar");
    const side = statusOf(p, "side")!;
    assert.ok(side.state.running, "sidecar running in /pods");
    assert.ok(side.started, "sidecar started");
    const cs = await criContainers(p.metadata.uid!);
    const sc = cs.find((c) => c.metadata?.name === "side")!;
    const main = cs.find((c) => c.metadata?.name === "main")!;
    assert.is(sc.state, "CONTAINER_RUNNING");
    assert.ok(sc.startedAt <= main.createdAt, "sidecar started before the app container was created");
    const mainId = main.id;
    await execIn(sc.id, ["sh", "-c", "kill -TERM 1"]);
    const after = await waitPod(k, "sidecar", "sidecar restarted and running", (x) =>
      (statusOf(x, "side")?.restartCount ?? 0) >= 1 && statusOf(x, "side")?.state.running !== undefined);
    assert.is(bareId(statusOf(after, "main")), mainId, "app container untouched");
    const inst = await criInstances(p.metadata.uid!, "side");
    assert.is(inst.length, 2);
    assert.is(inst[1]!.state, "CONTAINER_RUNNING");
  });
});

test("postStart exec hook runs in the container", async () => {
  const pod = podManifest("poststart", {
    containers: [shContainer("main", trapped(), { lifecycle: { postStart: { exec: { command: ["sh", "-c", "echo hooked > /tmp/poststart"] } } } })],
  });
  await withPod(k, pod, async () => {
    const p = await waitRunning(k, "poststart");
    const out = await execIn(bareId(statusOf(p, "main")), ["cat", "/tmp/poststart"]);
    assert.is(out.exitCode, 0, out.stderr);
    assert.is(out.stdout.trim(), "hooked");
  });
});

test("preStop exec hook runs before the container is stopped", async () => {
  const pod = podManifest("prestop", {
    terminationGracePeriodSeconds: 5,
    containers: [shContainer("main", "trap 'echo got-TERM; exit 0' TERM; echo started; while true; do sleep 1; done", {
      lifecycle: { preStop: { exec: { command: ["sh", "-c", "echo prestop-ran > /proc/1/fd/1"] } } },
    })],
  });
  await withPod(k, pod, async (file) => {
    const p = await waitRunning(k, "prestop");
    const logFile = `/var/log/pods/default_${p.metadata.name}_${p.metadata.uid}/main/0.log`;
    // Keep the log open: the kubelet deletes it with the pod, the open descriptor still reads it.
    const fd = await eventually("log file exists", () => { try { return openSync(logFile, "r"); } catch { return undefined; } });
    try {
      const cri = await testCri();
      k.removeManifest(file);
      await eventually("container removed from the runtime", async () =>
        ((await cri.listContainers({ labelSelector: { "io.kubernetes.pod.uid": p.metadata.uid! } })).length === 0 ? true : undefined));
      const buf = Buffer.alloc(64 * 1024);
      const text = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString();
      const lines = text.split("\n").filter(Boolean).map((l) => l.split(" ").slice(3).join(" "));
      const hook = lines.indexOf("prestop-ran");
      const term = lines.indexOf("got-TERM");
      assert.ok(hook >= 0, `preStop output in the container log: ${JSON.stringify(lines)}`);
      assert.ok(term > hook, `SIGTERM came after the preStop hook: ${JSON.stringify(lines)}`);
    } finally {
      closeSync(fd);
    }
    await removeAndWait(k, file, "prestop", p.metadata.uid);
  });
});

test("a failing postStart hook gives FailedPostStartHook and the container is restarted", async () => {
  const pod = podManifest("poststart-fail", {
    containers: [shContainer("main", trapped(), { lifecycle: { postStart: { exec: { command: ["sh", "-c", "exit 3"] } } } })],
  });
  await withPod(k, pod, async () => {
    // The hook's error shows between the failed start and the next sync (up to a PLEG period): poll fast.
    const reasons = new Set<string>();
    const p = await eventually("restarted, then CrashLoopBackOff", async () => {
      const x = await k.pod("poststart-fail");
      const w = x && statusOf(x, "main")?.state.waiting;
      if (w?.reason) reasons.add(w.reason);
      return x && (statusOf(x, "main")?.restartCount ?? 0) >= 1 && w?.reason === "CrashLoopBackOff" ? x : undefined;
    }, { intervalMs: 10 });
    assert.ok(reasons.has("PostStartHookError: command 'sh -c exit 3' exited with 3: "), `waiting reasons seen: ${[...reasons].join(" | ")}`);
    const msgs = eventMessages(k, "FailedPostStartHook", `default/${p.metadata.name}`);
    assert.ok(msgs.length > 0, "FailedPostStartHook event logged");
    assert.is(msgs[0], `Exec lifecycle hook ([sh -c exit 3]) for Container "main" in Pod "${p.metadata.name}_default(${p.metadata.uid})" ` +
      `failed - error: command 'sh -c exit 3' exited with 3: , message: ""`);
    const inst = await criInstances(p.metadata.uid!, "main");
    assert.ok(inst.length >= 2, "a new instance after the hook failed");
    assert.is(inst[0]!.state, "CONTAINER_EXITED", "the first instance was stopped");
  });
});

/** Removes the manifest and records the container's last CRI status before it is removed. */
async function stopAndWatch(file: string, containerId: string): Promise<{ removedAt: number; last: Awaited<ReturnType<typeof criContainers>>[number] }> {
  const cri = await testCri();
  const removedAt = Date.now();
  k.removeManifest(file);
  let last: Awaited<ReturnType<typeof criContainers>>[number] | undefined;
  const deadline = Date.now() + 30_000;
  // A tight loop without sleeps: the exited container lives only until the kubelet removes it.
  while (Date.now() < deadline) {
    const st = await cri.containerStatus(containerId).then((r) => r.status).catch(() => null);
    if (!st) break;
    last = st;
  }
  assert.ok(last, "container status seen");
  return { removedAt, last: last! };
}

test("graceful termination: a container ignoring SIGTERM is killed after terminationGracePeriodSeconds (137)", async () => {
  const pod = podManifest("ignore-term", { terminationGracePeriodSeconds: 3, containers: [shContainer("main", "while true; do sleep 1; done")] });
  await withPod(k, pod, async (file) => {
    const p = await waitRunning(k, "ignore-term");
    const { removedAt, last } = await stopAndWatch(file, bareId(statusOf(p, "main")));
    assert.is(last.state, "CONTAINER_EXITED", "seen exited before removal");
    assert.is(last.exitCode, 137);
    const took = nsToMs(last.finishedAt) - removedAt;
    assert.ok(took >= 3_000, `stopped ${took} ms after removal, at least the 3 s grace period`);
    await removeAndWait(k, file, "ignore-term", p.metadata.uid);
  });
});

test("graceful termination: a container trapping SIGTERM exits 0 well within the grace period", async () => {
  const pod = podManifest("trap-term", { terminationGracePeriodSeconds: 10, containers: [shContainer("main", trapped())] });
  await withPod(k, pod, async (file) => {
    const p = await waitRunning(k, "trap-term");
    const { removedAt, last } = await stopAndWatch(file, bareId(statusOf(p, "main")));
    assert.is(last.state, "CONTAINER_EXITED");
    assert.is(last.exitCode, 0);
    const took = nsToMs(last.finishedAt) - removedAt;
    assert.ok(took < 5_000, `stopped after ${took} ms`);
    await removeAndWait(k, file, "trap-term", p.metadata.uid);
  });
});

test("activeDeadlineSeconds: the pod fails with DeadlineExceeded and its containers are stopped", async () => {
  const pod = podManifest("deadline", { activeDeadlineSeconds: 2, containers: [shContainer("main", trapped())] });
  await withPod(k, pod, async () => {
    const p = await waitPod(k, "deadline", "phase Failed", (x) => x.status?.phase === "Failed");
    assert.is(p.status!.reason, "DeadlineExceeded");
    assert.is(p.status!.message, "Pod was active on the node longer than the specified deadline");
    const cri = await testCri();
    await eventually("containers exited and sandbox stopped", async () => {
      const [cs, sb] = await Promise.all([criContainers(p.metadata.uid!), cri.listPodSandbox({ labelSelector: { "io.kubernetes.pod.uid": p.metadata.uid! } })]);
      return cs.length > 0 && cs.every((c) => c.state === "CONTAINER_EXITED") && sb.every((s) => s.state === "SANDBOX_NOTREADY") ? true : undefined;
    });
    const done = await waitPod(k, "deadline", "container terminated in /pods", (x) => statusOf(x, "main")?.state.terminated !== undefined);
    assert.is(done.status!.phase, "Failed");
    assert.is((await criInstances(p.metadata.uid!, "main")).length, 1, "not restarted after the deadline");
  });
});

test.run();
