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

interface Entry { ns: string; name: string; uid: string; status: PodStatus; sent?: string; inFlight: boolean; deleteWhenSent: boolean }

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
      e = { ns: target.metadata.namespace!, name: target.metadata.name!, uid, status, inFlight: false, deleteWhenSent: false };
      this.entries.set(uid, e);
    }
    e.status = status;
    this.flush(e);
  }

  /** After the latest status is written, deletes the pod object (grace 0, UID precondition). */
  deleteWhenDone(target: Pod): void {
    const e = this.entries.get(target.metadata.uid!);
    if (!e) return;
    e.deleteWhenSent = true;
    this.flush(e);
  }

  /** Forgets a pod (its object is gone). */
  forget(uid: string): void {
    this.entries.delete(uid);
  }

  private flush(e: Entry): void {
    if (e.inFlight) return;
    const body = JSON.stringify(e.status);
    if (body === e.sent && !e.deleteWhenSent) return;
    e.inFlight = true;
    void this.write(e, body).finally(() => {
      e.inFlight = false;
      // Whatever arrived meanwhile (or a failed write, after write's pause) goes out now.
      if (this.entries.get(e.uid) === e) this.flush(e);
    });
  }

  private async write(e: Entry, body: string): Promise<void> {
    const path = `/api/v1/namespaces/${e.ns}/pods/${e.name}`;
    try {
      if (body !== e.sent) {
        await this.api.request({
          method: "PATCH", path: `${path}/status`, contentType: "application/merge-patch+json",
          body: { metadata: { uid: e.uid }, status: e.status },
        });
        e.sent = body;
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
