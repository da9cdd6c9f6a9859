/** The `Clock` port on Deno's timers. */
import type { Clock } from "../../kubelet/ports/clock.ts";

/** Real time for the kubelet; timers never keep the process alive on their own. */
export const denoClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    Deno.unrefTimer(t);
    return () => clearTimeout(t);
  },
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};
