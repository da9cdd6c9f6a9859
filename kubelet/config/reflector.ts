/**
 * A reflector (upstream client-go cache.Reflector): lists a collection of API objects and watches it
 * into an in-memory store — keeps the resourceVersion, accepts bookmarks, relists on 410 Gone,
 * re-watches after server timeouts, retries a refused watch every second from the same
 * resourceVersion, and backs off with jitter on other errors. Used by the API pod and service sources.
 */
import type { List, ObjectMeta } from "../../bindings/kube/types.ts";
import type { Logger } from "../log.ts";
import { isApiError, isConnectionRefused, type ApiTransport, type WatchEvent } from "../ports/api.ts";
import type { Clock } from "../ports/clock.ts";

/** What a reflector needs. */
export interface ReflectorOptions<T> {
  api: ApiTransport;
  /** The collection, e.g. `/api/v1/pods` (all namespaces). */
  path: string;
  /** Extra list and watch parameters, e.g. a fieldSelector. */
  query?: Record<string, string>;
  /** Set on every stored object (list items come without them). */
  apiVersion: string;
  kind: string;
  /** The resource in log messages ("pod", "service"). */
  resource: string;
  clock: Clock;
  log: Logger;
  /** Called with every stored object after each change (coalesced within a microtask). */
  onChange?(items: T[]): void;
  random?: () => number;
}

/** A running reflector. */
export interface Reflector<T> {
  /** Resolves after the first successful list was stored (and delivered to `onChange`). */
  readonly synced: Promise<void>;
  /** True once the first list was stored. */
  hasSynced(): boolean;
  /** The stored objects, in no particular order. */
  items(): T[];
  stop(): void;
}

/** Starts listing and watching; never throws out of its loop. */
export function startReflector<T extends { metadata: ObjectMeta }>(o: ReflectorOptions<T>): Reflector<T> {
  const random = o.random ?? Math.random;
  const store = new Map<string, T>();
  const abort = new AbortController();
  let resourceVersion = "";
  let stopped = false;
  let synced = false;
  let markSynced!: () => void;
  const syncedPromise = new Promise<void>((r) => (markSynced = r));
  let emitQueued = false;
  const typed = (obj: T): T => ({ apiVersion: o.apiVersion, kind: o.kind, ...obj });

  const emit = () => {
    if (!o.onChange || emitQueued) return;
    emitQueued = true;
    queueMicrotask(() => {
      emitQueued = false;
      if (stopped) return;
      try {
        o.onChange!([...store.values()]);
      } catch (err) {
        o.log.error(`${o.resource} source consumer failed`, { err: err instanceof Error ? err.message : String(err) });
      }
    });
  };

  const list = async () => {
    const res = await o.api.request<List<T>>({ method: "GET", path: o.path, query: o.query, timeoutMs: 60_000, signal: abort.signal });
    store.clear();
    for (const item of res.body.items) store.set(item.metadata.uid!, typed(item));
    resourceVersion = res.body.metadata.resourceVersion ?? "";
    synced = true;
    emit();
    markSynced();
  };

  const watch = async () => {
    // Upstream reflectors pick a random timeout between 5 and 10 minutes so watches do not expire together.
    const timeoutSeconds = Math.floor(300 + random() * 300);
    let gone = false;
    await o.api.watch<T>(o.path, { ...o.query, resourceVersion, allowWatchBookmarks: true, timeoutSeconds }, (e: WatchEvent<T>) => {
      if (e.type === "ERROR") {
        const status = e.object as unknown as { code?: number; message?: string };
        if (status.code === 410) gone = true;
        else o.log.warn(`${o.resource} watch error event`, { message: status.message ?? "" });
        return;
      }
      const rv = e.object?.metadata?.resourceVersion;
      if (rv) resourceVersion = rv;
      if (e.type === "BOOKMARK") return;
      const uid = e.object.metadata.uid!;
      if (e.type === "DELETED") store.delete(uid);
      else store.set(uid, typed(e.object));
      emit();
    }, abort.signal);
    if (gone) resourceVersion = "";
  };

  void (async () => {
    let backoffMs = 800;
    while (!stopped) {
      let watching = false;
      try {
        if (resourceVersion === "") await list();
        watching = true;
        await watch();
        backoffMs = 800;
      } catch (err) {
        if (stopped) break;
        if (isApiError(err, 410)) {
          resourceVersion = "";
          continue;
        }
        if (watching && isConnectionRefused(err)) {
          // The API server is down or restarting: re-watch from the same resourceVersion every
          // second, without a relist or growing back-off (upstream reflector).
          o.log.info(4, `${o.resource} watch: connection refused; retrying in 1 s`, {});
          await o.clock.sleep(1000);
          continue;
        }
        o.log.warn(`${o.resource} list/watch failed; retrying`, { err: err instanceof Error ? err.message : String(err), retryInMs: backoffMs });
        await o.clock.sleep(backoffMs * (1 + random()));
        backoffMs = Math.min(backoffMs * 2, 30_000);
      }
    }
  })();

  return {
    synced: syncedPromise,
    hasSynced: () => synced,
    items: () => [...store.values()],
    stop() {
      stopped = true;
      abort.abort();
    },
  };
}
