/**
 * Posts kubelet events to the API server as core/v1 Events, as upstream's event broadcaster does:
 * a repeated event (same object, reason, message) PATCHes the count and lastTimestamp of the event
 * already posted; a spam filter per object (burst 25, one token per 5 minutes) drops floods.
 */
import type { Logger } from "../log.ts";
import type { ApiTransport } from "../ports/api.ts";
import type { KubeletEvent } from "./recorder.ts";

const BURST = 25;
const REFILL_MS = 5 * 60_000;

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/** Sends events to the API server; never throws (events are best effort). */
export class ApiEventSink {
  private readonly posted = new Map<string, { name: string; namespace: string }>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly api: ApiTransport, private readonly nodeName: string, private readonly log: Logger) {}

  private allow(objectKey: string, now: number): boolean {
    let b = this.buckets.get(objectKey);
    if (!b) this.buckets.set(objectKey, (b = { tokens: BURST, at: now }));
    b.tokens = Math.min(BURST, b.tokens + (now - b.at) / REFILL_MS);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Queues `e` for posting (events go out in order). */
  send(e: KubeletEvent): void {
    const s = e.subject;
    const objectKey = `${s.kind}/${s.namespace ?? ""}/${s.name}/${s.uid ?? ""}`;
    if (!this.allow(objectKey, e.lastTimestamp)) return;
    const eventKey = `${objectKey}/${s.fieldPath ?? ""}/${e.type}/${e.reason}/${e.message}`;
    this.queue = this.queue.then(() => this.post(e, eventKey)).catch((err) => {
      this.log.info(2, "event not posted", { reason: e.reason, err: err instanceof Error ? err.message : String(err) });
    });
  }

  private async post(e: KubeletEvent, eventKey: string): Promise<void> {
    const s = e.subject;
    const namespace = s.kind === "Node" ? "default" : s.namespace ?? "default";
    const known = this.posted.get(eventKey);
    if (known && e.count > 1) {
      await this.api.request({
        method: "PATCH", path: `/api/v1/namespaces/${known.namespace}/events/${known.name}`, contentType: "application/merge-patch+json",
        body: { count: e.count, lastTimestamp: iso(e.lastTimestamp) },
      });
      return;
    }
    const name = `${s.name}.${(e.firstTimestamp * 1e6 + Math.floor(Math.random() * 1e6)).toString(16)}`;
    await this.api.request({
      method: "POST", path: `/api/v1/namespaces/${namespace}/events`,
      body: {
        apiVersion: "v1", kind: "Event",
        metadata: { name, namespace },
        involvedObject: { kind: s.kind, name: s.name, namespace: s.kind === "Node" ? undefined : s.namespace, uid: s.kind === "Node" ? s.name : s.uid, apiVersion: "v1", ...(s.fieldPath ? { fieldPath: s.fieldPath } : {}) },
        reason: e.reason, message: e.message, type: e.type, count: e.count,
        firstTimestamp: iso(e.firstTimestamp), lastTimestamp: iso(e.lastTimestamp),
        source: { component: "kubelet", host: this.nodeName },
        reportingComponent: "kubelet", reportingInstance: this.nodeName,
      },
    });
    this.posted.set(eventKey, { name, namespace });
    if (this.posted.size > 4096) this.posted.delete(this.posted.keys().next().value!);
  }
}
