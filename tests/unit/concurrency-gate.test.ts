import { test } from "uvu";
import * as assert from "uvu/assert";
import { ConcurrencyGate, sandboxStartGate, SANDBOX_START_LIMIT } from "../../kubelet/kuberuntime/concurrencyGate.ts";
import type { Clock } from "../../kubelet/ports/clock.ts";

/** A fake clock whose timers fire only when the test advances time. */
function fakeClock() {
  let now = 0;
  const timers: { at: number; fn: () => void; live: boolean }[] = [];
  const clock: Clock = {
    now: () => now,
    setTimer(ms, fn) {
      const t = { at: now + ms, fn, live: true };
      timers.push(t);
      return () => (t.live = false);
    },
    sleep: async () => {},
  };
  const advance = (ms: number) => {
    now += ms;
    for (const t of timers) if (t.live && t.at <= now) { t.live = false; t.fn(); }
  };
  return { clock, advance, liveTimers: () => timers.filter((t) => t.live).length };
}

const tick = () => new Promise((r) => setImmediate(r));

/** A call the test finishes by hand. */
function deferred<T = string>() {
  let resolve!: (v: T) => void, reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

test("at most `limit` calls run at once; the others start in arrival order as slots free up", async () => {
  const { clock } = fakeClock();
  const gate = new ConcurrencyGate(clock, 2, 10_000);
  const calls = [deferred(), deferred(), deferred(), deferred()];
  const started: number[] = [];
  const results = calls.map((d, i) => gate.run(() => (started.push(i), d.promise)));
  await tick();
  assert.equal(started, [0, 1]);
  assert.is(gate.inFlight, 2);
  assert.is(gate.queued, 2);
  calls[1]!.resolve("b");
  await tick();
  assert.equal(started, [0, 1, 2], "the first waiter gets the freed slot");
  calls[0]!.resolve("a");
  await tick();
  assert.equal(started, [0, 1, 2, 3]);
  calls[2]!.resolve("c");
  calls[3]!.resolve("d");
  assert.equal(await Promise.all(results), ["a", "b", "c", "d"]);
  assert.is(gate.inFlight, 0);
  assert.is(gate.queued, 0);
});

test("a failing call gives its slot back and its error to its caller", async () => {
  const { clock, liveTimers } = fakeClock();
  const gate = new ConcurrencyGate(clock, 1, 10_000);
  const first = gate.run(() => Promise.reject(new Error("RunPodSandbox failed")));
  const second = gate.run(async () => "ok");
  const err = await first.then(() => undefined, (e: Error) => e);
  assert.match(String(err), /RunPodSandbox failed/);
  assert.is(await second, "ok");
  assert.is(gate.inFlight, 0);
  assert.is(liveTimers(), 0, "hold timers are cancelled when calls settle");
});

test("a call holding its slot longer than maxHoldMs stops blocking the others, and does not free a second slot when it ends", async () => {
  const { clock, advance } = fakeClock();
  const gate = new ConcurrencyGate(clock, 1, 5_000);
  const stuck = deferred();
  const started: string[] = [];
  const a = gate.run(() => (started.push("stuck"), stuck.promise));
  const next = deferred();
  const b = gate.run(() => (started.push("next"), next.promise));
  const c = gate.run(async () => (started.push("third"), "c"));
  await tick();
  assert.equal(started, ["stuck"]);
  advance(5_000);
  await tick();
  assert.equal(started, ["stuck", "next"], "the slot moved on after 5 s");
  stuck.resolve("late");
  assert.is(await a, "late");
  await tick();
  assert.equal(started, ["stuck", "next"], "the stuck call's end does not release the slot again");
  next.resolve("b");
  assert.is(await b, "b");
  assert.is(await c, "c");
  assert.is(gate.inFlight, 0);
});

test("one sandbox gate per runtime connection", () => {
  const { clock } = fakeClock();
  const criA = {}, criB = {};
  assert.is(sandboxStartGate(criA, clock), sandboxStartGate(criA, clock));
  assert.is.not(sandboxStartGate(criA, clock), sandboxStartGate(criB, clock));
  assert.is(sandboxStartGate(criA, clock).limit, SANDBOX_START_LIMIT);
});

test("limit must be at least 1", () => {
  assert.throws(() => new ConcurrencyGate(fakeClock().clock, 0, 1000), /limit must be >= 1/);
});

test.run();
