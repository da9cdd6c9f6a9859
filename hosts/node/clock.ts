/** The `Clock` port on Node's timers. */
import type { Clock } from "../../kubelet/ports/clock.ts";

/** Real time for the kubelet. Timers are unref'd: they never keep the process alive on their own. */
export const nodeClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return () => clearTimeout(t);
  },
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};
