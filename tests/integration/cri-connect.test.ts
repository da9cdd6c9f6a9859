/**
 * How the Node CRI port connects and fails: absent or wrong sockets, a runtime that is gone,
 * restarts or does not answer. The errors must say which socket and what to do.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { connectCri } from "../../hosts/node/cri.ts";
import { isCriError, type Cri } from "../../kubelet/ports/cri.ts";
import { CRI_ENDPOINT } from "./support/cri.ts";
import { startFakeCriRuntime, type FakeCriRuntime } from "./support/fakeCriRuntime.ts";

const dir = mkdtempSync(join(tmpdir(), "kts-cri-connect-"));
const cleanups: (() => void)[] = [];

/** Resolves to the rejection of `promise` (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    (value) => assert.unreachable(`expected a failure, got ${JSON.stringify(value)}`),
    (err: Error) => err,
  ) as Promise<Error>;
}

async function fake(name: string): Promise<FakeCriRuntime> {
  const runtime = await startFakeCriRuntime(join(dir, name));
  cleanups.push(runtime.kill);
  return runtime;
}

function track(cri: Cri): Cri {
  cleanups.push(() => cri.close());
  return cri;
}

test.after(() => {
  for (const cleanup of cleanups.reverse()) cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test("an absent socket fails at once, naming the socket and containerd", async () => {
  const path = join(dir, "absent", "containerd.sock");
  const t0 = Date.now();
  const err = await rejection(connectCri(`unix://${path}`));
  assert.ok(isCriError(err, "Unavailable"), String(err));
  assert.is(err.method, "connect");
  assert.ok(err.message.includes(`container runtime endpoint ${path}: no such socket; is containerd running?`), err.message);
  assert.ok(Date.now() - t0 < 1000, "no waiting for a socket that is not there");
});

test("a path that is not a socket is reported as such", async () => {
  const path = join(dir, "plain-file");
  writeFileSync(path, "");
  const err = await rejection(connectCri(path));
  assert.match(err.message, `${path}: not a socket`);
});

test("endpoints other than unix sockets are refused with the accepted forms", async () => {
  const err = await rejection(connectCri("tcp://127.0.0.1:10010"));
  assert.match(err.message, "expected unix:///path/to.sock or an absolute socket path");
});

test("a socket nobody listens on (crashed runtime) fails after connectTimeoutMs", async () => {
  const path = join(dir, "stale.sock");
  // A process that listens and dies at once leaves its socket file behind.
  spawnSync(process.execPath, ["-e", "require('net').createServer().listen(process.argv[1], () => process.kill(process.pid, 'SIGKILL'))", path]);
  assert.ok(statSync(path).isSocket(), "setup: stale socket file");
  const err = await rejection(connectCri(path, { connectTimeoutMs: 300 }));
  assert.ok(isCriError(err, "Unavailable"), String(err));
  assert.match(err.message, `${path}: no connection within 300 ms`);
  assert.match(err.message, "is containerd running?");
});

test("calls after the runtime went away fail with Unavailable naming the missing socket", async () => {
  const runtime = await fake("gone.sock");
  const cri = track(await connectCri(runtime.socketPath));
  assert.is((await cri.version()).runtimeName, "fake");
  runtime.kill();
  const err = await rejection(cri.version());
  assert.ok(isCriError(err, "Unavailable"), String(err));
  assert.match(err.message, `${runtime.socketPath}: no such socket; is containerd running?`);
});

test("with waitForReady, calls ride out a runtime restart", async () => {
  const first = await fake("restart.sock");
  const cri = track(await connectCri(first.socketPath, { waitForReady: true }));
  assert.is((await cri.version()).runtimeName, "fake");
  first.kill();
  const pending = cri.version({ timeoutMs: 10_000 });
  await fake("restart.sock");
  assert.is((await pending).runtimeName, "fake");
});

test("an unanswered call fails with DeadlineExceeded; an aborted one with Canceled", async () => {
  const runtime = await fake("slow.sock");
  const cri = track(await connectCri(runtime.socketPath));
  const late = await rejection(cri.status(false, { timeoutMs: 200 }));
  assert.ok(isCriError(late, "DeadlineExceeded"), String(late));
  assert.match(late.message, `no answer from the runtime at ${runtime.socketPath} within 200 ms`);

  const abort = new AbortController();
  const pending = cri.status(false, { signal: abort.signal });
  abort.abort();
  const canceled = await rejection(pending);
  assert.ok(isCriError(canceled, "Canceled"), String(canceled));
});

test("an RPC the runtime does not serve fails with Unimplemented", async () => {
  const runtime = await fake("partial.sock");
  const cri = track(await connectCri(runtime.socketPath));
  const err = await rejection(cri.listImages());
  assert.ok(isCriError(err, "Unimplemented"), String(err));
  assert.is(err.method, "ListImages");
});

test("the real runtime is reachable by a bare socket path too", async () => {
  const cri = track(await connectCri(CRI_ENDPOINT.replace(/^unix:\/\//, "")));
  assert.is((await cri.version()).runtimeApiVersion, "v1");
});

test.run();
