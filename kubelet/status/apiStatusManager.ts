/**
 * The status manager for cluster mode: writes each pod's generated status to
 * `pods/<name>/status` on the API server, only when it changed, one write in flight per pod, the
 * newest status winning; the pod UID goes with the patch as a precondition. Also performs the
 * final DELETE of a terminated pod (grace 0, UID precondition), as upstream's status manager does.
 */
import type { Pod, PodStatus } from "../../bindings/kube/types.ts";
import type { Logger } from "../log.ts";
import { isApiError, type ApiTransport } from "../ports/api.ts";
import type { Clock } from "../ports/clock.ts";

interface Entry {
  ns: string; name: string; uid: string; status: PodStatus; api?: PodStatus; sent?: string; inFlight: boolean; deleteWhenSent: boolean;
  /** resourceVersion our last write produced: older copies seen later are not news. */
  sentVersion?: number;
  /** When the status was last re-written because the API server's copy differed. */
  reconciledAt: number;
  cancelCheck?: () => void;
}

/** Upstream's status manager reconciles pods whose API status drifted every 10 s (syncBatch). */
const RECONCILE_PERIOD_MS = 10_000;

/** The kubelet-owned parts of a status that a reconcile compares (upstream isPodStatusByKubeletEqual, coarser). */
function kubeletView(s: PodStatus | undefined): string {
  return JSON.stringify([
    s?.phase, s?.reason, s?.podIP,
    (s?.conditions ?? []).filter((c) => KUBELET_CONDITIONS.has(c.type)).map((c) => [c.type, c.status]).sort(),
    [...(s?.initContainerStatuses ?? []), ...(s?.containerStatuses ?? [])].map((c) => [c.name, c.ready, c.restartCount, c.containerID, c.started, Object.keys(c.state ?? {})]),
  ]);
}

/** The pod conditions the kubelet owns (upstream kubetypes.PodConditionsByKubelet). */
const KUBELET_CONDITIONS = new Set(["PodScheduled", "Ready", "Initialized", "ContainersReady"]);

/**
 * The status to write over the API object's `api` status (upstream mergePodStatus and
 * updateLastTransitionTime): conditions the kubelet does not own stay first, and a kubelet
 * condition whose status the API already shows keeps the API's lastTransitionTime (so PodScheduled
 * keeps the scheduler's time).
 */
export function mergePodStatus(api: PodStatus | undefined, mine: PodStatus): PodStatus {
  const apiConditions = api?.conditions ?? [];
  const kept = apiConditions.filter((c) => !KUBELET_CONDITIONS.has(c.type));
  const own = (mine.conditions ?? []).map((c) => {
    const old = apiConditions.find((a) => a.type === c.type);
    return old && old.status === c.status && old.lastTransitionTime ? { ...c, lastTransitionTime: old.lastTransitionTime } : c;
  });
  const { conditions: _mine, ...rest } = mine;
  const conditions = [...kept, ...own];
  return conditions.length > 0 ? { ...rest, conditions } : rest;
}

/** A JSON merge patch from `api` to `next`: fields the kubelet no longer reports are removed. */
function statusPatch(api: PodStatus | undefined, next: PodStatus): Record<string, unknown> {
  const patch: Record<string, unknown> = { ...next };
  for (const k of Object.keys(api ?? {})) if (!(k in next)) patch[k] = null;
  return patch;
}

/** Writes pod statuses to the API server. */
export class ApiStatusManager {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly api: ApiTransport, private readonly clock: Clock, private readonly log: Logger) {}

  /**
   * Records the status of the API object `target` (the pod itself, or the mirror pod of a static
   * pod); it is written soon if it differs from what was written last.
   */
  setStatus(target: Pod, status: PodStatus): void {
    const uid = target.metadata.uid!;
    let e = this.entries.get(uid);
    if (!e) {
      e = { ns: target.metadata.namespace!, name: target.metadata.name!, uid, status, inFlight: false, deleteWhenSent: false, reconciledAt: -Infinity };
      this.entries.set(uid, e);
    }
    e.status = status;
    e.api = target.status;
    this.flush(e);
  }

  /** After the latest status is written, deletes the pod object (grace 0, UID precondition). */
  deleteWhenDone(target: Pod): void {
    const e = this.entries.get(target.metadata.uid!);
    if (!e) return;
    e.deleteWhenSent = true;
    this.flush(e);
  }

  /**
   * The API server's current copy of a pod the kubelet writes status for (from the watch). When its
   * kubelet-owned status differs from what the kubelet last wrote — someone else wrote it, e.g. the
   * node lifecycle controller marking the pods of an unreachable node not ready — the kubelet's
   * status is written again, at most every 10 s per pod (upstream needsReconcile in syncBatch).
   */
  observe(apiPod: Pod): void {
    const e = this.entries.get(apiPod.metadata.uid!);
    if (!e || e.sent === undefined || e.deleteWhenSent) return;
    const version = Number(apiPod.metadata.resourceVersion);
    if (e.sentVersion !== undefined && Number.isFinite(version) && version < e.sentVersion) return;
    e.api = apiPod.status;
    e.cancelCheck?.();
    e.cancelCheck = undefined;
    if (kubeletView(apiPod.status) === kubeletView(JSON.parse(e.sent) as PodStatus)) return;
    const wait = e.reconciledAt + RECONCILE_PERIOD_MS - this.clock.now();
    if (wait > 0) {
      e.cancelCheck = this.clock.setTimer(wait, () => {
        e.cancelCheck = undefined;
        this.observe({ ...apiPod, metadata: { ...apiPod.metadata, resourceVersion: undefined } });
      });
      return;
    }
    this.log.info(3, "pod status differs on the API server; writing it again", { pod: `${e.ns}/${e.name}` });
    e.reconciledAt = this.clock.now();
    e.sent = undefined;
    this.flush(e);
  }

  /** Forgets a pod (its object is gone). */
  forget(uid: string): void {
    this.entries.get(uid)?.cancelCheck?.();
    this.entries.delete(uid);
  }

  private flush(e: Entry): void {
    if (e.inFlight) return;
    const next = mergePodStatus(e.api, e.status);
    const body = JSON.stringify(next);
    if (body === e.sent && !e.deleteWhenSent) return;
    e.inFlight = true;
    void this.write(e, next, body).finally(() => {
      e.inFlight = false;
      // Whatever arrived meanwhile (or a failed write, after write's pause) goes out now.
      if (this.entries.get(e.uid) === e) this.flush(e);
    });
  }

  private async write(e: Entry, next: PodStatus, body: string): Promise<void> {
    const path = `/api/v1/namespaces/${e.ns}/pods/${e.name}`;
    try {
      if (body !== e.sent) {
        const res = await this.api.request<Pod>({
          method: "PATCH", path: `${path}/status`, contentType: "application/merge-patch+json",
          body: { metadata: { uid: e.uid }, status: statusPatch(e.api, next) },
        });
        e.sent = body;
        const version = Number(res.body?.metadata?.resourceVersion);
        if (Number.isFinite(version)) e.sentVersion = version;
      }
      if (e.deleteWhenSent) {
        await this.api.request({ method: "DELETE", path, body: { kind: "DeleteOptions", apiVersion: "v1", gracePeriodSeconds: 0, preconditions: { uid: e.uid } } });
        e.sent = "deleted";
        this.entries.delete(e.uid);
      }
    } catch (err) {
      if (isApiError(err, 404) || isApiError(err, 409)) {
        // The object is gone or was replaced (UID precondition): nothing left to write.
        this.entries.delete(e.uid);
        return;
      }
      this.log.warn("pod status write failed; will retry", { pod: `${e.ns}/${e.name}`, err: err instanceof Error ? err.message : String(err) });
      await this.clock.sleep(1000);
    }
  }
}
