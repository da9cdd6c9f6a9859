/**
 * The API pod source: lists and watches the pods bound to this node (fieldSelector
 * spec.nodeName=<node>) like upstream's reflector — keeps the resourceVersion, accepts bookmarks,
 * relists on 410 Gone, re-watches after server timeouts, and backs off with jitter on errors.
 * Mirror pods (annotation kubernetes.io/config.mirror) are reported apart from the pods to run.
 */
import type { Pod, PodList } from "../../bindings/kube/types.ts";
import type { Logger } from "../log.ts";
import { isApiError, isConnectionRefused, type ApiTransport, type WatchEvent } from "../ports/api.ts";
import type { Clock } from "../ports/clock.ts";

/** The annotation that marks a mirror pod (its value is the static pod's config hash). */
export const MIRROR_ANNOTATION = "kubernetes.io/config.mirror";

/** What the API pod source needs. */
export interface ApiPodSourceOptions {
  api: ApiTransport;
  nodeName: string;
  clock: Clock;
  log: Logger;
  /** Every change delivers the full set: pods to run, and mirror pods of static pods. */
  onPods(pods: Pod[], mirrors: Pod[]): void;
  random?: () => number;
}

/** A running API pod source. */
export interface ApiPodSource {
  /** Resolves after the first successful list was delivered. */
  readonly synced: Promise<void>;
  stop(): void;
}

const isMirror = (p: Pod) => p.metadata.annotations?.[MIRROR_ANNOTATION] !== undefined;

/** Starts listing and watching; never throws out of its loop. */
export function startApiPodSource(o: ApiPodSourceOptions): ApiPodSource {
  const random = o.random ?? Math.random;
  const pods = new Map<string, Pod>();
  const abort = new AbortController();
  let resourceVersion = "";
  let stopped = false;
  let markSynced!: () => void;
  const synced = new Promise<void>((r) => (markSynced = r));
  let emitQueued = false;
  const fieldSelector = `spec.nodeName=${o.nodeName}`;

  const emit = () => {
    if (emitQueued) return;
    emitQueued = true;
    queueMicrotask(() => {
      emitQueued = false;
      if (stopped) return;
      const all = [...pods.values()];
      try {
        o.onPods(all.filter((p) => !isMirror(p)), all.filter(isMirror));
      } catch (err) {
        o.log.error("pod source consumer failed", { err: err instanceof Error ? err.message : String(err) });
      }
    });
  };

  const list = async () => {
    const res = await o.api.request<PodList>({ method: "GET", path: "/api/v1/pods", query: { fieldSelector }, timeoutMs: 60_000, signal: abort.signal });
    pods.clear();
    for (const p of res.body.items) pods.set(p.metadata.uid!, { apiVersion: "v1", kind: "Pod", ...p });
    resourceVersion = res.body.metadata.resourceVersion ?? "";
    emit();
    markSynced();
  };

  const watch = async () => {
    // Upstream reflectors pick a random timeout between 5 and 10 minutes so watches do not expire together.
    const timeoutSeconds = Math.floor(300 + random() * 300);
    let gone = false;
    await o.api.watch<Pod>("/api/v1/pods", { fieldSelector, resourceVersion, allowWatchBookmarks: true, timeoutSeconds }, (e: WatchEvent<Pod>) => {
      if (e.type === "ERROR") {
        const status = e.object as unknown as { code?: number; message?: string };
        if (status.code === 410) gone = true;
        else o.log.warn("pod watch error event", { message: status.message ?? "" });
        return;
      }
      const rv = e.object?.metadata?.resourceVersion;
      if (rv) resourceVersion = rv;
      if (e.type === "BOOKMARK") return;
      const uid = e.object.metadata.uid!;
      if (e.type === "DELETED") pods.delete(uid);
      else pods.set(uid, { apiVersion: "v1", kind: "Pod", ...e.object });
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
          // Upstream's reflector: the API server is down or restarting; re-watch from the same
          // resourceVersion every second, without a relist or growing back-off.
          o.log.info(4, "pod watch: connection refused; retrying in 1 s", {});
          await o.clock.sleep(1000);
          continue;
        }
        o.log.warn("pod list/watch failed; retrying", { err: err instanceof Error ? err.message : String(err), retryInMs: backoffMs });
        await o.clock.sleep(backoffMs * (1 + random()));
        backoffMs = Math.min(backoffMs * 2, 30_000);
      }
    }
  })();

  return {
    synced,
    stop() {
      stopped = true;
      abort.abort();
    },
  };
}
