/**
 * The node Lease (upstream nodelease controller): a coordination.k8s.io/v1 Lease in kube-node-lease
 * named after the node, held by the node, renewed every `renewIntervalMs` (0.25 × duration, jittered
 * by 4%), owned by the Node object, recreated when deleted, with backoff while the server fails.
 * The node lifecycle controller reads its renewTime as the node's heartbeat.
 */
import type { Lease, Node } from "../../bindings/kube/node.ts";
import type { Logger } from "../log.ts";
import { isApiError, type ApiTransport } from "../ports/api.ts";
import type { Clock } from "../ports/clock.ts";

/** The namespace of node leases. */
export const NODE_LEASE_NAMESPACE = "kube-node-lease";
/** Upstream maxUpdateRetries: immediate renewal retries before waiting for the next interval. */
export const LEASE_UPDATE_RETRIES = 5;
/** Upstream maxBackoff of backoffEnsureLease. */
export const LEASE_MAX_BACKOFF_MS = 7_000;

/** A metav1.MicroTime: RFC 3339 with microseconds ("2006-01-02T15:04:05.000000Z"). */
export function formatMicroTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/** What the lease controller needs. */
export interface LeaseControllerDeps {
  api: ApiTransport;
  nodeName: string;
  clock: Clock;
  log: Logger;
  /** leaseDurationSeconds (upstream default 40). */
  durationSeconds: number;
  /** Renewal period; upstream 0.25 × duration = 10 s. */
  renewIntervalMs?: number;
  /** [0, 1) source for jitter; default Math.random. */
  random?: () => number;
  /** Called when renewals keep failing (upstream closes the heartbeat client's connections). */
  onRepeatedHeartbeatFailure?: () => void;
}

const leasePath = (name: string) => `/apis/coordination.k8s.io/v1/namespaces/${NODE_LEASE_NAMESPACE}/leases/${name}`;

/** A running lease renewal loop. */
export class LeaseController {
  private latest: Lease | undefined;
  private readonly stopped = new AbortController();
  private timer: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private readonly renewIntervalMs: number;

  constructor(private readonly d: LeaseControllerDeps) {
    this.renewIntervalMs = d.renewIntervalMs ?? d.durationSeconds * 250;
  }

  /** Starts renewing now and every interval after each renewal. */
  start(): void {
    this.kick();
  }

  /** Renews now instead of at the next interval (e.g. right after the Node registered). */
  syncNow(): void {
    if (this.running || this.stopped.signal.aborted) return;
    this.timer?.();
    this.kick();
  }

  /** Stops renewing; an in-flight renewal finishes or is abandoned at its next backoff. */
  async stop(): Promise<void> {
    this.stopped.abort();
    this.timer?.();
    await this.running;
  }

  /** The last Lease the server returned. */
  lease(): Lease | undefined {
    return this.latest;
  }

  private kick(): void {
    this.running = this.sync().catch((err) => this.d.log.error("node lease sync failed", { err: String(err) })).finally(() => {
      this.running = undefined;
      if (this.stopped.signal.aborted) return;
      const jittered = this.renewIntervalMs * (1 + 0.04 * (this.d.random ?? Math.random)());
      this.timer = this.d.clock.setTimer(jittered, () => this.kick());
    });
  }

  /** One renewal (upstream controller.sync). */
  async sync(): Promise<void> {
    if (this.latest) {
      try {
        await this.retryUpdate(this.latest);
        return;
      } catch (err) {
        this.d.log.info(2, "failed to update lease using latest lease, fallback to ensure lease", { err: String(err) });
      }
    }
    const ensured = await this.backoffEnsure();
    if (!ensured) return;
    this.latest = ensured.lease;
    if (!ensured.created) {
      await this.retryUpdate(ensured.lease).catch((err) => this.d.log.error(`${err instanceof Error ? err.message : String(err)}, will retry after ${this.renewIntervalMs} ms`));
    }
  }

  private async sleep(ms: number): Promise<boolean> {
    if (this.stopped.signal.aborted) return false;
    const signal = this.stopped.signal;
    await new Promise<void>((resolve) => {
      const onAbort = () => { cancel(); resolve(); };
      const cancel = this.d.clock.setTimer(ms, () => { signal.removeEventListener("abort", onAbort); resolve(); });
      signal.addEventListener("abort", onAbort, { once: true });
    });
    return !this.stopped.signal.aborted;
  }

  /** Gets or creates the lease, retrying with exponential backoff until it works or the controller stops. */
  private async backoffEnsure(): Promise<{ lease: Lease; created: boolean } | undefined> {
    let sleep = 100;
    for (;;) {
      try {
        return await this.ensure();
      } catch (err) {
        sleep = Math.min(2 * sleep, LEASE_MAX_BACKOFF_MS);
        this.d.log.error(`failed to ensure node lease exists, will retry in ${sleep} ms`, { err: String(err) });
        if (!(await this.sleep(sleep))) return undefined;
      }
    }
  }

  private async ensure(): Promise<{ lease: Lease; created: boolean } | undefined> {
    try {
      const got = await this.d.api.request<Lease>({ method: "GET", path: leasePath(this.d.nodeName), signal: this.stopped.signal });
      return { lease: got.body, created: false };
    } catch (err) {
      if (!isApiError(err, 404)) throw err;
    }
    const fresh = await this.newLease(undefined);
    // Without the owning Node (not registered yet) the lease waits for the next round, as upstream.
    if (!fresh) return undefined;
    const created = await this.d.api.request<Lease>({ method: "POST", path: `/apis/coordination.k8s.io/v1/namespaces/${NODE_LEASE_NAMESPACE}/leases`, body: fresh, signal: this.stopped.signal });
    this.d.log.info(2, "node lease created", { lease: `${NODE_LEASE_NAMESPACE}/${this.d.nodeName}` });
    return { lease: created.body, created: true };
  }

  private async retryUpdate(base: Lease): Promise<void> {
    for (let i = 0; i < LEASE_UPDATE_RETRIES; i++) {
      if (this.stopped.signal.aborted) return;
      const lease = (await this.newLease(base))!;
      try {
        const res = await this.d.api.request<Lease>({ method: "PUT", path: leasePath(this.d.nodeName), body: lease, signal: this.stopped.signal });
        this.latest = res.body;
        return;
      } catch (err) {
        this.d.log.error("failed to update node lease", { err: String(err) });
        if (isApiError(err, 409)) {
          const ensured = await this.backoffEnsure();
          if (!ensured) return;
          base = ensured.lease;
          continue;
        }
        if (i > 0) this.d.onRepeatedHeartbeatFailure?.();
      }
    }
    throw new Error(`failed ${LEASE_UPDATE_RETRIES} attempts to update node lease`);
  }

  /**
   * The lease to write: a copy of `base` (or a new one) with renewTime now and the owner reference to
   * the Node once it can be read. A new lease without its owner is undefined (not created yet).
   */
  private async newLease(base: Lease | undefined): Promise<Lease | undefined> {
    const lease: Lease = base
      ? structuredClone(base)
      : {
          apiVersion: "coordination.k8s.io/v1", kind: "Lease",
          metadata: { name: this.d.nodeName, namespace: NODE_LEASE_NAMESPACE },
          spec: { holderIdentity: this.d.nodeName, leaseDurationSeconds: this.d.durationSeconds },
        };
    lease.spec = { ...lease.spec, renewTime: formatMicroTime(this.d.clock.now()) };
    if (!lease.metadata.ownerReferences?.length) {
      try {
        const node = (await this.d.api.request<Node>({ method: "GET", path: `/api/v1/nodes/${this.d.nodeName}`, signal: this.stopped.signal })).body;
        lease.metadata.ownerReferences = [{ apiVersion: "v1", kind: "Node", name: this.d.nodeName, uid: node.metadata.uid! }];
      } catch (err) {
        this.d.log.error("failed to get node when trying to set owner ref to the node lease", { node: this.d.nodeName, err: String(err) });
        if (!base) return undefined;
      }
    }
    return lease;
  }
}
