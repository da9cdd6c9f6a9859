/**
 * Posts kubelet events to the API server as core/v1 Events, as upstream's event broadcaster does:
 * a repeated event (same object, reason, message) PATCHes the count and lastTimestamp of the event
 * already posted; a spam filter per object (burst 25, one token per 5 minutes) drops floods; the
 * requests themselves go out at most `eventRecordQPS` per second after a burst of `eventBurst`
 * (upstream's event client rate limiter: they wait, in order), and at most 1,000 wait (upstream's
 * broadcaster queue; more are dropped).
 */
import type { Logger } from "../log.ts";
import type { ApiTransport } from "../ports/api.ts";
import type { Clock } from "../ports/clock.ts";
import type { KubeletEvent } from "./recorder.ts";

const BURST = 25;
const REFILL_MS = 5 * 60_000;
/** Events waiting to be posted beyond this are dropped. */
export const EVENT_QUEUE_LIMIT = 1000;

/** The event client's request rate: KubeletConfiguration eventRecordQPS (0 = unlimited) and eventBurst. */
export interface EventRateLimit { qps: number; burst: number }

/** Upstream's v1beta1 defaults: 5 events per second after a burst of 10. */
export const DEFAULT_EVENT_RATE_LIMIT: EventRateLimit = { qps: 5, burst: 10 };

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/** Sends events to the API server; never throws (events are best effort). */
export class ApiEventSink {
  private readonly posted = new Map<string, { name: string; namespace: string }>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private queue: Promise<void> = Promise.resolve();
  private waiting = 0;
  private dropped = 0;
  /** Request tokens of the client rate limiter and when they were last counted. */
  private tokens: number;
  private tokensAt: number;

  constructor(private readonly api: ApiTransport, private readonly nodeName: string, private readonly log: Logger,
    private readonly clock: Clock, private readonly rate: EventRateLimit = DEFAULT_EVENT_RATE_LIMIT) {
    this.tokens = Math.max(1, rate.burst);
    this.tokensAt = clock.now();
  }

  /** Events queued and not yet posted. */
  get pending(): number {
    return this.waiting;
  }

  /** Waits until the client rate limiter lets one more request go. */
  private async takeRequestToken(): Promise<void> {
    if (this.rate.qps <= 0) return;
    const burst = Math.max(1, this.rate.burst);
    for (;;) {
      const now = this.clock.now();
      this.tokens = Math.min(burst, this.tokens + ((now - this.tokensAt) / 1000) * this.rate.qps);
      this.tokensAt = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.clock.sleep(Math.ceil(((1 - this.tokens) / this.rate.qps) * 1000));
    }
  }

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
    if (this.waiting >= EVENT_QUEUE_LIMIT) {
      if (this.dropped++ % 100 === 0) this.log.error("event queue full, dropping events", { limit: EVENT_QUEUE_LIMIT, dropped: this.dropped });
      return;
    }
    this.waiting++;
    this.queue = this.queue
      .then(() => this.takeRequestToken())
      .then(() => this.post(e, eventKey))
      .catch((err) => {
        this.log.info(2, "event not posted", { reason: e.reason, err: err instanceof Error ? err.message : String(err) });
      })
      .finally(() => this.waiting--);
  }

  /** Resolves when every event queued so far was posted or given up. */
  flushed(): Promise<void> {
    return this.queue;
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
