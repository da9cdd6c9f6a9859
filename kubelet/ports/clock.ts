/** The `Clock` port: time and timers, injected so that control loops run in simulation and tests. */

/** Cancels a timer; calling it twice is harmless. */
export type Cancel = () => void;

/** Wall-clock time and one-shot timers. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds. */
  setTimer(ms: number, fn: () => void): Cancel;
  /** Resolves after `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
}
