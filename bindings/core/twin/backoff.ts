/**
 * The pure-TypeScript twin of core/backoff.ts: the KeyedBackoff contract over a Map of entries,
 * the way upstream's flowcontrol.Backoff keeps them. Test oracle and benchmark baseline.
 */
import {
  BackoffError, BackoffErrorCode, DEFAULT_INITIAL_BACKOFF_MS, DEFAULT_MAX_BACKOFF_MS,
  checkBackoffBatch, checkBackoffTimes, describeBackoffError,
  type BackoffOptions, type KeyedBackoff,
} from "../backoff.ts";

interface Entry {
  backoff: number;
  lastUpdate: number;
}

/** KeyedBackoff in plain TypeScript. */
export class TwinKeyedBackoff implements KeyedBackoff {
  readonly #entries = new Map<string, Entry>();
  readonly #initial: number;
  readonly #max: number;

  /** Same options as WasmKeyedBackoff (the table only matters to the core). */
  constructor(options: BackoffOptions) {
    const initial = options.initialMs ?? DEFAULT_INITIAL_BACKOFF_MS;
    const max = options.maxMs ?? DEFAULT_MAX_BACKOFF_MS;
    if (options.table !== 0 && options.table !== 1) {
      throw new BackoffError(`backoff: configure: ${describeBackoffError(BackoffErrorCode.BadTable)}`, BackoffErrorCode.BadTable);
    }
    if (!Number.isFinite(initial) || !Number.isFinite(max) || !(initial > 0) || max < initial) {
      throw new BackoffError(`backoff: configure: ${describeBackoffError(BackoffErrorCode.BadConfig)}`, BackoffErrorCode.BadConfig);
    }
    this.#initial = initial;
    this.#max = max;
  }

  #expired(eventTime: number, e: Entry): boolean {
    return eventTime - e.lastUpdate > this.#max * 2;
  }

  get size(): number {
    return this.#entries.size;
  }

  next(key: string, eventTime: number, now: number): number {
    checkBackoffTimes("next", eventTime, now);
    const e = this.#entries.get(key);
    if (!e || this.#expired(eventTime, e)) {
      this.#entries.set(key, { backoff: this.#initial, lastUpdate: now });
      return this.#initial;
    }
    e.backoff = Math.min(e.backoff * 2, this.#max);
    e.lastUpdate = now;
    return e.backoff;
  }

  inBackoffSince(key: string, eventTime: number, now: number): boolean {
    checkBackoffTimes("inBackoffSince", eventTime, now);
    const e = this.#entries.get(key);
    if (!e || this.#expired(eventTime, e)) return false;
    return now - eventTime < e.backoff;
  }

  inBackoffSinceUpdate(key: string, eventTime: number): boolean {
    checkBackoffTimes("inBackoffSinceUpdate", eventTime);
    const e = this.#entries.get(key);
    if (!e || this.#expired(eventTime, e)) return false;
    return eventTime - e.lastUpdate < e.backoff;
  }

  get(key: string): number {
    return this.#entries.get(key)?.backoff ?? 0;
  }

  reset(key: string): void {
    this.#entries.delete(key);
  }

  gc(now: number): string[] {
    checkBackoffTimes("gc", now);
    const gone: string[] = [];
    for (const [key, e] of this.#entries) {
      if (now - e.lastUpdate > this.#max * 2) {
        this.#entries.delete(key);
        gone.push(key);
      }
    }
    return gone.sort();
  }

  decide(n: number, keys: readonly string[], eventTimes: Float64Array, now: number,
    inBackoff: Uint8Array, backoffMs: Float64Array): number {
    checkBackoffBatch(n, eventTimes, now);
    const max2 = this.#max * 2;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const key = keys[i]!;
      const eventTime = eventTimes[i]!;
      const e = this.#entries.get(key);
      const fresh = !e || eventTime - e.lastUpdate > max2;
      if (!fresh && now - eventTime < e.backoff) {
        inBackoff[i] = 1;
        backoffMs[i] = e.backoff;
        count++;
        continue;
      }
      inBackoff[i] = 0;
      if (fresh) {
        this.#entries.set(key, { backoff: this.#initial, lastUpdate: now });
        backoffMs[i] = this.#initial;
      } else {
        e.backoff = Math.min(e.backoff * 2, this.#max);
        e.lastUpdate = now;
        backoffMs[i] = e.backoff;
      }
    }
    return count;
  }
}
