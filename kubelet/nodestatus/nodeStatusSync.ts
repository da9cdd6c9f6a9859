/**
 * Registering the Node and keeping its status current (upstream registerWithAPIServer,
 * tryRegisterWithAPIServer, updateNodeStatus, tryUpdateNodeStatus): POST the Node; on AlreadyExists
 * reconcile the existing one; then, each round, GET the Node, run the setters and PATCH the status
 * subresource when something changed or `reportFrequencyMs` passed since the last report (the Lease
 * carries the heartbeat in between). A failed round is retried up to 5 times at once.
 */
import type { Node } from "../../bindings/kube/node.ts";
import type { Logger } from "../log.ts";
import { isApiError, type ApiTransport } from "../ports/api.ts";
import type { Clock } from "../ports/clock.ts";
import { reconcileExistingNode } from "./nodeObject.ts";
import { setNodeStatus, type NodeEventFn, type NodeStatusInputs } from "./setters.ts";
import { nodeStatusHasChanged, nodeStatusPatch } from "./statusPatch.ts";

/** Upstream nodeStatusUpdateRetry. */
export const NODE_STATUS_UPDATE_RETRY = 5;
/** Upstream registration backoff: 100 ms doubling up to 7 s. */
export const REGISTER_MAX_BACKOFF_MS = 7_000;

/** What the status sync needs. */
export interface NodeStatusSyncDeps {
  api: ApiTransport;
  nodeName: string;
  clock: Clock;
  log: Logger;
  record: NodeEventFn;
  /** The Node to register, without status (nodeObject.initialNode). */
  initialNode: () => Node;
  /** The setters' inputs now (runtime version, images and readiness are read fresh each round). */
  inputs: () => Promise<NodeStatusInputs>;
  /** nodeStatusReportFrequency: the longest time without a status PATCH (upstream default 5 min). */
  reportFrequencyMs: number;
  /** Called when updates keep failing (upstream closes the heartbeat client's connections). */
  onRepeatedHeartbeatFailure?: () => void;
  /** Aborts requests and backoff sleeps. */
  signal?: AbortSignal;
}

const nodePath = (name: string) => `/api/v1/nodes/${name}`;

/** Registration state and status reporting of one node. */
export class NodeStatusSync {
  private registered = false;
  private lastReportMs: number | undefined;
  private lastNode: Node | undefined;

  constructor(private readonly d: NodeStatusSyncDeps) {}

  /** True once the Node exists on the server (registered or found). */
  isRegistered(): boolean {
    return this.registered;
  }

  /** The Node as the server last returned it (after our latest update). */
  node(): Node | undefined {
    return this.lastNode;
  }

  /** One round of upstream syncNodeStatus: register if needed (retrying until done), then update. */
  async sync(): Promise<void> {
    if (!this.registered) await this.register();
    if (!this.registered) return;
    await this.update().catch((err) => this.d.log.error("unable to update node status", { err: String(err) }));
  }

  private sleep(ms: number): Promise<boolean> {
    const signal = this.d.signal;
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = () => { cancel(); resolve(false); };
      const cancel = this.d.clock.setTimer(ms, () => { signal?.removeEventListener("abort", onAbort); resolve(!signal?.aborted); });
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Registers the Node, retrying with backoff until it is registered or the signal aborts. */
  async register(): Promise<void> {
    let step = 100;
    while (!this.registered) {
      if (!(await this.sleep(step))) return;
      step = Math.min(step * 2, REGISTER_MAX_BACKOFF_MS);
      const node = this.d.initialNode();
      try {
        setNodeStatus(node, await this.d.inputs(), this.d.clock.now(), this.d.record);
      } catch (err) {
        this.d.log.error("unable to construct the Node object", { err: String(err) });
        continue;
      }
      this.d.log.info(0, "attempting to register node", { node: this.d.nodeName });
      if (await this.tryRegister(node)) {
        this.d.log.info(0, "successfully registered node", { node: this.d.nodeName });
        this.registered = true;
      }
    }
  }

  /** One registration attempt; true when the Node now exists with our defaults. */
  async tryRegister(node: Node): Promise<boolean> {
    const { api, log, nodeName, signal } = this.d;
    try {
      this.lastNode = (await api.request<Node>({ method: "POST", path: "/api/v1/nodes", body: node, signal })).body;
      // The first status update after registering is always sent (upstream: lastStatusReportTime is zero).
      this.lastReportMs = undefined;
      return true;
    } catch (err) {
      if (!isApiError(err, 409)) {
        log.error("unable to register node with API server", { node: nodeName, err: String(err) });
        return false;
      }
    }
    let existing: Node;
    try {
      existing = (await api.request<Node>({ method: "GET", path: nodePath(nodeName), signal })).body;
    } catch (err) {
      log.error("unable to register node with API server: error getting existing node", { node: nodeName, err: String(err) });
      return false;
    }
    log.info(0, "node was previously registered", { node: nodeName });
    const original = structuredClone(existing);
    if (reconcileExistingNode(node, existing)) {
      const patch = nodeStatusPatch(original, existing);
      try {
        if (patch) existing = (await this.patch(patch)).body;
      } catch (err) {
        log.error("unable to reconcile node with API server: error updating node", { node: nodeName, err: String(err) });
        return false;
      }
    }
    this.lastNode = existing;
    this.lastReportMs = undefined;
    return true;
  }

  private patch(body: Record<string, unknown>) {
    return this.d.api.request<Node>({
      method: "PATCH", path: `${nodePath(this.d.nodeName)}/status`, body,
      contentType: "application/strategic-merge-patch+json", signal: this.d.signal,
    });
  }

  /** Updates the status, retrying at once up to NODE_STATUS_UPDATE_RETRY times. */
  async update(): Promise<void> {
    for (let i = 0; i < NODE_STATUS_UPDATE_RETRY; i++) {
      if (this.d.signal?.aborted) return;
      try {
        await this.tryUpdate(i);
        return;
      } catch (err) {
        if (i > 0) this.d.onRepeatedHeartbeatFailure?.();
        this.d.log.error("error updating node status, will retry", { err: String(err) });
      }
    }
    throw new Error("update node status exceeds retry count");
  }

  /** One update attempt: the first read may come from the apiserver's cache (resourceVersion=0). */
  async tryUpdate(tryNumber: number): Promise<void> {
    const { api, nodeName, clock, signal } = this.d;
    const got = await api.request<Node>({ method: "GET", path: nodePath(nodeName), query: tryNumber === 0 ? { resourceVersion: "0" } : undefined, signal });
    const original = got.body;
    const node = structuredClone(original);
    setNodeStatus(node, await this.d.inputs(), clock.now(), this.d.record);
    const now = clock.now();
    const due = this.lastReportMs === undefined || now >= this.lastReportMs + this.d.reportFrequencyMs;
    if (!due && !nodeStatusHasChanged(original.status, node.status)) {
      this.lastNode = node;
      return;
    }
    const patch = nodeStatusPatch(original, node);
    this.lastNode = patch ? (await this.patch(patch)).body : node;
    this.lastReportMs = now;
  }
}
