/**
 * The keyed exponential back-off the kubelet uses for CrashLoopBackOff and image pulls
 * (upstream flowcontrol.Backoff). Implemented by the Wasm core (bindings/core/backoff.ts);
 * the kubelet names keys with strings, the core with integers.
 */
export interface Backoff {
  /** True while `now` is within the current back-off delay after `eventTime` (upstream IsInBackOffSince). */
  inBackoffSince(key: string, eventTime: number, now: number): boolean;
  /** True while `now` is within the current delay after the last `next` (upstream IsInBackOffSinceUpdate). */
  inBackoff(key: string, now: number): boolean;
  /** Records a failure at `now`: starts at the initial delay or doubles it, up to the maximum. */
  next(key: string, now: number): void;
  /** The current delay of `key` in milliseconds (0 when it has none). */
  delay(key: string): number;
  /** Forgets `key`. */
  reset(key: string): void;
  /** Forgets keys whose last update is older than twice the maximum delay. */
  gc(now: number): void;
}
