/**
 * Bad input to kubelet-ts as a process: broken manifests and a container that cannot start. Each
 * must produce a clear log line naming the file and field (or the container), leave a good pod of
 * the same kubelet untouched, and keep the kubelet up.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { join } from "node:path";
import type { Pod } from "../../bindings/kube/types.ts";
import { closeTestCri, testCri } from "./support/cri.ts";
import { eventually } from "./support/eventually.ts";
import { KubeletProcess } from "./support/kubeletProcess.ts";
import {
  bareId, eventMessages, podManifest, removeAndWait, shContainer, statusOf, trapped, waitPod, waitRunning, withPod, keepLog,
} from "./support/podKit.ts";

const test = suite("kubelet bad input");
let k: KubeletProcess;
const GOOD = "good";

test.before(async () => {
  k = await KubeletProcess.create("kts-bad");
  await k.start();
  k.writeManifest(`${GOOD}.json`, podManifest(GOOD, { containers: [shContainer("main", trapped())] }));
  await waitRunning(k, GOOD);
});
test.after(async () => {
  keepLog(k, "bad-input");
  if (k?.child?.exitCode === null) await removeAndWait(k, `${GOOD}.json`, GOOD).catch(() => undefined);
  await k?.dispose();
  await closeTestCri();
});

/** The good pod's container id, checked to be running in CRI. */
async function goodContainer(): Promise<string> {
  const p = (await k.pod(GOOD))!;
  assert.ok(p, "good pod still in /pods");
  assert.is(p.status?.phase, "Running", "good pod still Running");
  const id = bareId(statusOf(p, "main"));
  const st = (await (await testCri()).containerStatus(id)).status!;
  assert.is(st.state, "CONTAINER_RUNNING", "good container still running in CRI");
  return id;
}

/** Asserts the kubelet process is alive and answers /healthz. */
async function kubeletUp(): Promise<void> {
  assert.is(k.child!.exitCode, null, `kubelet exited:\n${k.log.slice(-2000)}`);
  assert.is((await fetch(`http://127.0.0.1:${k.port}/healthz`)).status, 200);
}

/** Waits for an error line about manifest `file` and returns it. */
function rejection(file: string): Promise<string> {
  const path = join(k.manifests, file);
  return eventually(`log line rejecting ${file}`, () =>
    k.log.split("\n").find((l) => l.startsWith("E") && l.includes(`static pod manifest ${path} rejected:`)));
}

/** Writes a bad manifest, checks the log line, the good pod and the kubelet, then removes it. */
async function rejects(file: string, content: string | Pod, expected: RegExp): Promise<void> {
  const before = await goodContainer();
  k.writeManifest(file, content);
  try {
    const line = await rejection(file);
    assert.match(line, expected);
    assert.equal((await k.pods()).map((p) => p.metadata.name).sort(), [k.podName(GOOD)], "no pod from the bad manifest");
    assert.is(await goodContainer(), before, "good pod's container unchanged");
    await kubeletUp();
  } finally {
    k.removeManifest(file);
  }
}

test("invalid YAML: rejected with a log line naming the file", async () => {
  await rejects("broken.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: broken\nspec: [", /rejected: not valid YAML or JSON: /);
});

test("kind: Deployment: rejected naming the kind field", async () => {
  const deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: deploy\nspec:\n  replicas: 1\n";
  await rejects("deploy.yaml", deployment, /rejected: kind: expected "Pod", got "Deployment"/);
});

test("a pod without containers: rejected naming spec.containers", async () => {
  await rejects("empty.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: empty\nspec:\n  containers: []\n", /spec\.containers: Required value/);
});

test("an invalid quantity (cpu: lots): rejected naming the resources field and the value", async () => {
  const pod = podManifest("lots", { containers: [shContainer("main", trapped(), { resources: { limits: { cpu: "lots" } } })] });
  await rejects("lots.json", pod, /spec\.containers\[0\]\.resources\.limits\[cpu\]: Invalid value: "lots"/);
});

test("duplicate pod names in two files: the first file's pod runs, the second file is rejected", async () => {
  const before = await goodContainer();
  k.writeManifest("dup-a.json", podManifest("dup", { containers: [shContainer("main", trapped("echo from-a; while true; do sleep 1; done"))] }));
  k.writeManifest("dup-b.json", podManifest("dup", { containers: [shContainer("main", trapped("echo from-b; while true; do sleep 1; done"))] }));
  try {
    const line = await rejection("dup-b.json");
    assert.match(line, /metadata\.name: Duplicate value: pod "default\/dup-kts-bad-\w+" is already defined by .*dup-a\.json/);
    const p = await waitRunning(k, "dup");
    assert.is((await k.pods()).filter((x) => x.metadata.name === k.podName("dup")).length, 1, "one pod named dup");
    assert.match(p.spec.containers[0]!.command!.join(" "), "from-a");
    assert.is(await goodContainer(), before, "good pod's container unchanged");
    await kubeletUp();
  } finally {
    k.removeManifest("dup-b.json");
    await removeAndWait(k, "dup-a.json", "dup");
  }
});

test("a command that does not exist: waiting RunContainerError with the runtime's message, logged", async () => {
  const before = await goodContainer();
  const pod = podManifest("no-cmd", { containers: [shContainer("main", "", { command: ["/no/such-command"] })] });
  await withPod(k, pod, async () => {
    const p = await waitPod(k, "no-cmd", "waiting RunContainerError", (x) => statusOf(x, "main")?.state.waiting?.reason === "RunContainerError");
    const message = statusOf(p, "main")!.state.waiting!.message ?? "";
    assert.match(message, /\/no\/such-command.*no such file or directory/);
    assert.not.match(message, /^CRI |^rpc error/, "the runtime's own message, as upstream's status.Message()");
    const failed = eventMessages(k, "Failed", `default/${p.metadata.name}`);
    assert.ok(failed.some((m) => m.startsWith("Error: ") && m.includes("/no/such-command")), `Failed event logged: ${JSON.stringify(failed)}`);
    assert.is(await goodContainer(), before, "good pod's container unchanged");
    await kubeletUp();
  });
});

test("a rejected manifest that is fixed runs its pod", async () => {
  const before = await goodContainer();
  k.writeManifest("fixme.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: fixme\nspec:\n  containers: []\n");
  try {
    await rejection("fixme.yaml");
    k.writeManifest("fixme.yaml", podManifest("fixme", { containers: [shContainer("main", trapped())] }));
    await waitRunning(k, "fixme");
    assert.is(await goodContainer(), before, "good pod's container unchanged");
  } finally {
    await removeAndWait(k, "fixme.yaml", "fixme");
  }
});

test.run();
