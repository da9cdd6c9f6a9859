/**
 * Termination messages on a real containerd, as the conformance suite checks them: the file at
 * terminationMessagePath (default or custom, also as a non-root user), and FallbackToLogsOnError
 * (the log's tail for a failed container; nothing for a successful one; the file when it has content).
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { closeTestCri } from "./support/cri.ts";
import { KubeletProcess } from "./support/kubeletProcess.ts";
import { keepLog, podManifest, shContainer, statusOf, waitPod, withPod } from "./support/podKit.ts";

const test = suite("kubelet termination messages");
let k: KubeletProcess;

test.before(async () => {
  k = await KubeletProcess.create("kts-term");
  await k.start();
});
test.after(async () => {
  keepLog(k, "termination-message");
  await k?.dispose();
  await closeTestCri();
});

/** Runs a one-container pod with restartPolicy Never to completion; resolves to its terminated state. */
async function terminated(name: string, script: string, extra: Parameters<typeof shContainer>[2] = {}) {
  const pod = podManifest(name, { restartPolicy: "Never", containers: [shContainer("main", script, extra)] });
  let state: NonNullable<ReturnType<typeof statusOf>>["state"]["terminated"];
  await withPod(k, pod, async () => {
    const p = await waitPod(k, name, "the container terminated", (x) => statusOf(x, "main")?.state.terminated !== undefined);
    state = statusOf(p, "main")!.state.terminated;
  });
  return state!;
}

test("the file at the default terminationMessagePath becomes the terminated state's message", async () => {
  const t = await terminated("term-file", "printf DONE > /dev/termination-log");
  assert.is(t.exitCode, 0);
  assert.is(t.message, "DONE");
});

test("a custom terminationMessagePath, written by a non-root user", async () => {
  const t = await terminated("term-custom", "printf custom-message > /tmp/term; exit 0", {
    terminationMessagePath: "/tmp/term", securityContext: { runAsUser: 1000 },
  });
  assert.is(t.message, "custom-message");
});

test("FallbackToLogsOnError: a failed container with no message file content reports its log's tail", async () => {
  const t = await terminated("term-fallback", "echo first; echo last words; exit 1", { terminationMessagePolicy: "FallbackToLogsOnError" });
  assert.is(t.exitCode, 1);
  assert.is(t.message, "first\nlast words\n");
});

test("FallbackToLogsOnError: a successful container reports nothing from its log", async () => {
  const t = await terminated("term-ok", "echo not an error", { terminationMessagePolicy: "FallbackToLogsOnError" });
  assert.is(t.exitCode, 0);
  assert.is(t.message, undefined);
});

test("FallbackToLogsOnError: the message file wins over the log", async () => {
  const t = await terminated("term-file-wins", "echo log line; printf from-file > /dev/termination-log; exit 2", { terminationMessagePolicy: "FallbackToLogsOnError" });
  assert.is(t.message, "from-file");
});

test.run();
