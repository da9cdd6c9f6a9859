/** Termination messages of exited containers: the message file's tail, the log fallback, errors. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  MAX_TERMINATION_MESSAGE_BYTES, MAX_TERMINATION_MESSAGE_LOG_BYTES, MAX_TERMINATION_MESSAGE_LOG_LINES,
  terminationMessage, type ExitedContainer, type TerminationMessageReaders,
} from "../../kubelet/kuberuntime/terminationMessage.ts";

const enc = new TextEncoder();

/** Fake readers over an in-memory map of host files and log tails; records the log reads. */
function fakeReaders(files: Record<string, string | Error>, logs: Record<string, string | Error> = {}) {
  const logReads: { path: string; lines: number; bytes: number }[] = [];
  const readers: TerminationMessageReaders = {
    async readTail(path, maxBytes) {
      const f = files[path];
      if (f instanceof Error) throw f;
      if (f === undefined) return undefined;
      const b = enc.encode(f);
      return b.subarray(Math.max(0, b.length - maxBytes));
    },
    async logTail(path, lines, bytes) {
      logReads.push({ path, lines, bytes });
      const l = logs[path];
      if (l instanceof Error) throw l;
      return l ?? "";
    },
  };
  return { readers, logReads };
}

const exited = (over: Partial<ExitedContainer> = {}): ExitedContainer => ({
  exitCode: 0, reason: "Completed", message: "",
  mounts: [{ containerPath: "/dev/termination-log", hostPath: "/pods/u/containers/c/abc" }],
  logPath: "/var/log/pods/ns_p_u/c/0.log",
  terminationMessagePath: "/dev/termination-log", terminationMessagePolicy: "File",
  ...over,
});

test("policy File: the message is what the container wrote to its terminationMessagePath", async () => {
  const { readers } = fakeReaders({ "/pods/u/containers/c/abc": "DONE" });
  assert.is(await terminationMessage(exited(), readers), "DONE");
});

test("a custom terminationMessagePath is found through the container's mounts", async () => {
  const { readers } = fakeReaders({ "/h/x": "custom" });
  const c = exited({ terminationMessagePath: "/tmp/msg", mounts: [{ containerPath: "/data", hostPath: "/h/d" }, { containerPath: "/tmp/msg", hostPath: "/h/x" }] });
  assert.is(await terminationMessage(c, readers), "custom");
});

test("only the last 4 KiB of the message file are kept", async () => {
  const long = `${"a".repeat(5000)}END`;
  const { readers } = fakeReaders({ "/pods/u/containers/c/abc": long });
  const m = await terminationMessage(exited(), readers);
  assert.is(m.length, MAX_TERMINATION_MESSAGE_BYTES);
  assert.ok(m.endsWith("END"));
});

test("the runtime's message comes first, joined with ': '", async () => {
  const { readers } = fakeReaders({ "/pods/u/containers/c/abc": "bye" });
  assert.is(await terminationMessage(exited({ message: "runtime says" }), readers), "runtime says: bye");
  assert.is(await terminationMessage(exited({ message: "runtime says" }), fakeReaders({}).readers), "runtime says");
});

test("policy File never reads the log, even when the container failed and wrote nothing", async () => {
  const { readers, logReads } = fakeReaders({ "/pods/u/containers/c/abc": "" }, { "/var/log/pods/ns_p_u/c/0.log": "boom" });
  assert.is(await terminationMessage(exited({ exitCode: 1, reason: "Error" }), readers), "");
  assert.is(logReads.length, 0);
});

test("FallbackToLogsOnError: a failed container with an empty message file gets its last 80 log lines, at most 2 KiB", async () => {
  const { readers, logReads } = fakeReaders({ "/pods/u/containers/c/abc": "" }, { "/var/log/pods/ns_p_u/c/0.log": "last words\n" });
  const c = exited({ exitCode: 2, reason: "Error", terminationMessagePolicy: "FallbackToLogsOnError" });
  assert.is(await terminationMessage(c, readers), "last words\n");
  assert.equal(logReads, [{ path: "/var/log/pods/ns_p_u/c/0.log", lines: MAX_TERMINATION_MESSAGE_LOG_LINES, bytes: MAX_TERMINATION_MESSAGE_LOG_BYTES }]);
});

test("FallbackToLogsOnError: a missing message file falls back to the log too", async () => {
  const { readers } = fakeReaders({}, { "/var/log/pods/ns_p_u/c/0.log": "from log" });
  assert.is(await terminationMessage(exited({ exitCode: 1, reason: "Error", terminationMessagePolicy: "FallbackToLogsOnError" }), readers), "from log");
});

test("FallbackToLogsOnError: a message file with content wins over the log", async () => {
  const { readers, logReads } = fakeReaders({ "/pods/u/containers/c/abc": "file" }, { "/var/log/pods/ns_p_u/c/0.log": "log" });
  assert.is(await terminationMessage(exited({ exitCode: 1, reason: "Error", terminationMessagePolicy: "FallbackToLogsOnError" }), readers), "file");
  assert.is(logReads.length, 0);
});

test("FallbackToLogsOnError: a successful container does not fall back", async () => {
  const { readers, logReads } = fakeReaders({ "/pods/u/containers/c/abc": "" }, { "/var/log/pods/ns_p_u/c/0.log": "log" });
  assert.is(await terminationMessage(exited({ terminationMessagePolicy: "FallbackToLogsOnError" }), readers), "");
  assert.is(logReads.length, 0);
});

test("FallbackToLogsOnError: a container that could not run (ContainerCannotRun) has no logs to read", async () => {
  const { readers, logReads } = fakeReaders({}, {});
  assert.is(await terminationMessage(exited({ exitCode: 128, reason: "ContainerCannotRun", message: "exec: not found", terminationMessagePolicy: "FallbackToLogsOnError" }), readers), "exec: not found");
  assert.is(logReads.length, 0);
});

test("an unreadable message file becomes the message, as upstream reports it, and the log is not read", async () => {
  const { readers, logReads } = fakeReaders({ "/pods/u/containers/c/abc": new Error("EACCES: permission denied") });
  const m = await terminationMessage(exited({ exitCode: 1, reason: "Error", terminationMessagePolicy: "FallbackToLogsOnError" }), readers);
  assert.is(m, "Error on reading termination log /pods/u/containers/c/abc: EACCES: permission denied");
  assert.is(logReads.length, 0);
});

test("an unreadable log becomes the message", async () => {
  const { readers } = fakeReaders({}, { "/var/log/pods/ns_p_u/c/0.log": new Error("ENOENT") });
  const m = await terminationMessage(exited({ exitCode: 1, reason: "Error", terminationMessagePolicy: "FallbackToLogsOnError" }), readers);
  assert.is(m, "Error on reading termination message from logs: ENOENT");
});

test("an empty terminationMessagePath reads nothing", async () => {
  const { readers } = fakeReaders({ "/pods/u/containers/c/abc": "ignored" });
  assert.is(await terminationMessage(exited({ terminationMessagePath: "" }), readers), "");
});

test.run();
