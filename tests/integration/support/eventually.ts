/** Waiting for a condition in integration tests: poll until it holds, never a fixed sleep. */

/** Options of `eventually`. */
export interface EventuallyOptions {
  /** Give up after this long. Default 30 s. */
  timeoutMs?: number;
  /** Pause between attempts. Default 50 ms. */
  intervalMs?: number;
  /** Says what was seen last, for the timeout message (e.g. the container's state). */
  describe?: () => string;
}

/**
 * Calls `probe` until it returns something other than `undefined` and resolves to that value.
 * On timeout rejects naming `what` and what `describe` (or the last error) says.
 */
export async function eventually<T>(
  what: string, probe: () => Promise<T | undefined> | T | undefined, opts: EventuallyOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const intervalMs = opts.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let last = "no attempt finished";
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      last = opts.describe?.() ?? "condition not met";
    } catch (err) {
      last = `last attempt failed: ${(err as Error).message}`;
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${last})`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
