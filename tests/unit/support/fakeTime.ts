/** Simulated time for control-loop tests: timers fire only as the test advances the clock. */
import type { Clock } from "../../../kubelet/ports/clock.ts";

/** Lets pending promise callbacks and I/O callbacks run. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

/** A clock starting at `startMs`; `advance` fires due timers in time order, settling after each. */
export function fakeClock(startMs = Date.UTC(2026, 10, 22, 12, 0, 0)) {
  let now = startMs;
  let seq = 0;
  const timers: { at: number; seq: number; fn: () => void; live: boolean }[] = [];
  const clock: Clock = {
    now: () => now,
    setTimer(ms, fn) {
      const t = { at: now + Math.max(0, ms), seq: seq++, fn, live: true };
      timers.push(t);
      return () => (t.live = false);
    },
    sleep: (ms) => new Promise((resolve) => clock.setTimer(ms, resolve)),
  };
  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  const advance = async (ms: number) => {
    const target = now + ms;
    await settle();
    for (;;) {
      const due = timers.filter((t) => t.live && t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      now = Math.max(now, due.at);
      due.live = false;
      due.fn();
      await settle();
    }
    now = target;
    await settle();
  };
  return { clock, advance, pending: () => timers.filter((t) => t.live).length };
}
