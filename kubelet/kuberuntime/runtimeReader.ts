/**
 * Reads what the runtime holds for the kubelet's pods through CRI and turns it into
 * PodRuntimeStatus values: two list calls per read, plus ContainerStatus / PodSandboxStatus only for
 * instances not seen before or whose state changed (exited instances never change, so their details
 * are cached until they disappear). Reads of single pods requested in the same turn of the event
 * loop (a burst of new pods, a relist waking many workers) share one pair of node-wide list calls:
 * during a 30-pod burst, per-pod lists were ~350 CRI calls competing with the pods' own start.
 */
import type { Container as CriContainer, PodSandbox } from "../../bindings/cri/types.ts";
import type { Container, Pod } from "../../bindings/kube/types.ts";
import type { Cri } from "../ports/cri.ts";
import type { PodRuntimeStatus, RuntimeContainer, RuntimeContainerState, RuntimeSandbox } from "./podRuntimeStatus.ts";
import { CONTAINER_NAME_LABEL, MANAGED_LABEL, POD_UID_LABEL, containerInfoFromAnnotations, sandboxInfoFromLabels } from "./labels.ts";
import { terminationMessage, type TerminationMessageReaders } from "./terminationMessage.ts";

const ms = (ns: number) => Math.floor(ns / 1e6);

function containerState(s: string): RuntimeContainerState {
  switch (s) {
    case "CONTAINER_CREATED": return "created";
    case "CONTAINER_RUNNING": return "running";
    case "CONTAINER_EXITED": return "exited";
    default: return "unknown";
  }
}

interface SandboxDetail { ips: string[]; hostNetwork: boolean; ready: boolean }

/** Reads our pods from the runtime, caching immutable details between reads. */
export class RuntimeReader {
  private readonly containerDetails = new Map<string, RuntimeContainer>();
  private readonly sandboxDetails = new Map<string, SandboxDetail>();
  /** Single-pod reads waiting for the current turn of the event loop to end. */
  private pending?: { uids: Set<string>; result: Promise<Map<string, PodRuntimeStatus>> };

  /**
   * `nodeName` selects this kubelet's pods (the marker label's value, see labels.ts managedValue).
   * With `readers`, exited containers get their termination message (read once: exited details are cached).
   */
  constructor(private readonly cri: Cri, private readonly nodeName: string, private readonly readers?: TerminationMessageReaders) {}

  /** Every pod with our sandboxes or containers. */
  async readAll(): Promise<PodRuntimeStatus[]> {
    const selector = { [MANAGED_LABEL]: this.nodeName };
    const [sandboxes, containers] = await Promise.all([
      this.cri.listPodSandbox({ labelSelector: selector }),
      this.cri.listContainers({ labelSelector: selector }),
    ]);
    const out = await this.build(sandboxes, containers);
    this.forgetMissing(sandboxes, containers);
    return out;
  }

  /**
   * One pod by UID (empty lists when the runtime holds nothing of it). The list calls start after
   * this call was made, so the result reflects every CRI call the caller completed before.
   */
  async readPod(uid: string, name: string, namespace: string): Promise<PodRuntimeStatus> {
    let batch = this.pending;
    if (!batch) {
      const uids = new Set<string>();
      batch = this.pending = {
        uids,
        result: new Promise((resolve, reject) => queueMicrotask(() => {
          this.pending = undefined;
          this.readBatch(uids).then(resolve, reject);
        })),
      };
    }
    batch.uids.add(uid);
    const pods = await batch.result;
    return pods.get(uid) ?? { uid, name, namespace, sandboxes: [], containers: [] };
  }

  /** One pod: lists filtered by its UID; several: node-wide lists, built for those pods only. */
  private async readBatch(uids: ReadonlySet<string>): Promise<Map<string, PodRuntimeStatus>> {
    const single = uids.size === 1 ? [...uids][0]! : undefined;
    const selector = single === undefined ? { [MANAGED_LABEL]: this.nodeName } : { [MANAGED_LABEL]: this.nodeName, [POD_UID_LABEL]: single };
    const [sandboxes, containers] = await Promise.all([
      this.cri.listPodSandbox({ labelSelector: selector }),
      this.cri.listContainers({ labelSelector: selector }),
    ]);
    const wanted = (labels: Record<string, string>) => uids.has(labels[POD_UID_LABEL] ?? "");
    const pods = await this.build(sandboxes.filter((x) => wanted(x.labels)), containers.filter((x) => wanted(x.labels)));
    if (single === undefined) this.forgetMissing(sandboxes, containers);
    return new Map(pods.map((p) => [p.uid, p]));
  }

  /**
   * The spec of a pod the kubelet no longer knows (removed while it was down), rebuilt from what its
   * containers recorded, as upstream's restoreSpecsFromContainerLabels: the grace periods and each
   * container's preStop hook, so stopping it honours them instead of the 30 s default.
   */
  async recoverPod(uid: string, name: string, namespace: string): Promise<Pod> {
    const list = await this.cri.listContainers({ labelSelector: { [MANAGED_LABEL]: this.nodeName, [POD_UID_LABEL]: uid } });
    const pod: Pod = { metadata: { name, namespace, uid }, spec: { containers: [] } };
    const seen = new Set<string>();
    for (const c of [...list].sort((a, b) => b.createdAt - a.createdAt)) {
      const info = containerInfoFromAnnotations(c.annotations);
      if (pod.spec.terminationGracePeriodSeconds === undefined && info.podTerminationGracePeriod !== undefined) pod.spec.terminationGracePeriodSeconds = info.podTerminationGracePeriod;
      if (pod.metadata.deletionGracePeriodSeconds === undefined && info.podDeletionGracePeriod !== undefined) pod.metadata.deletionGracePeriodSeconds = info.podDeletionGracePeriod;
      const cname = c.metadata?.name ?? c.labels[CONTAINER_NAME_LABEL] ?? "";
      if (seen.has(cname)) continue;
      seen.add(cname);
      const spec: Container = { name: cname, image: c.image?.image ?? "" };
      if (info.preStopHandler) spec.lifecycle = { preStop: info.preStopHandler };
      pod.spec.containers.push(spec);
    }
    return pod;
  }

  private async build(sandboxes: PodSandbox[], containers: CriContainer[]): Promise<PodRuntimeStatus[]> {
    const pods = new Map<string, PodRuntimeStatus>();
    const podFor = (labels: Record<string, string>): PodRuntimeStatus | undefined => {
      const info = sandboxInfoFromLabels(labels);
      if (!info.podUID) return undefined;
      const id = { uid: info.podUID, name: info.podName, namespace: info.podNamespace };
      let p = pods.get(id.uid);
      if (!p) {
        p = { uid: id.uid, name: id.name, namespace: id.namespace, sandboxes: [], containers: [] };
        pods.set(id.uid, p);
      }
      return p;
    };
    await Promise.all(sandboxes.map(async (s) => {
      const p = podFor(s.labels);
      if (!p) return;
      const ready = s.state === "SANDBOX_READY";
      let d = this.sandboxDetails.get(s.id);
      if (!d || d.ready !== ready) {
        d = await this.sandboxDetail(s.id, ready);
        this.sandboxDetails.set(s.id, d);
      }
      const sb: RuntimeSandbox = { id: s.id, attempt: s.metadata?.attempt ?? 0, ready, createdAt: ms(s.createdAt), ips: d.ips, hostNetwork: d.hostNetwork };
      p.sandboxes.push(sb);
    }));
    await Promise.all(containers.map(async (c) => {
      const p = podFor(c.labels);
      if (!p) return;
      const state = containerState(c.state);
      let d = this.containerDetails.get(c.id);
      if (!d || d.state !== state) {
        d = await this.containerDetail(c, state);
        if (d) this.containerDetails.set(c.id, d);
      }
      if (d) p.containers.push(d);
    }));
    for (const p of pods.values()) {
      p.sandboxes.sort((a, b) => b.createdAt - a.createdAt || b.attempt - a.attempt);
      p.containers.sort((a, b) => b.createdAt - a.createdAt);
    }
    return [...pods.values()];
  }

  private async sandboxDetail(id: string, ready: boolean): Promise<SandboxDetail> {
    try {
      const st = (await this.cri.podSandboxStatus(id)).status;
      const net = st?.network;
      const ips = net?.ip ? [net.ip, ...net.additionalIps.map((x) => x.ip)] : [];
      return { ips, hostNetwork: st?.linux?.namespaces?.options?.network === "NODE", ready };
    } catch {
      return { ips: [], hostNetwork: false, ready };
    }
  }

  private async containerDetail(c: CriContainer, state: RuntimeContainerState): Promise<RuntimeContainer | undefined> {
    const ann = containerInfoFromAnnotations(c.annotations);
    const base: RuntimeContainer = {
      id: c.id, name: c.metadata?.name ?? c.labels[CONTAINER_NAME_LABEL] ?? "", sandboxId: c.podSandboxId,
      restartCount: ann.restartCount, hash: ann.hash, state, createdAt: ms(c.createdAt), startedAt: 0, finishedAt: 0,
      exitCode: 0, reason: "", message: "", image: c.image?.image ?? "", imageRef: c.imageRef,
    };
    if (state === "created") return base;
    try {
      const st = (await this.cri.containerStatus(c.id)).status;
      if (!st) return base;
      const finalState = containerState(st.state);
      const message = finalState === "exited" && this.readers
        ? await terminationMessage({
          exitCode: st.exitCode, reason: st.reason, message: st.message, mounts: st.mounts ?? [], logPath: st.logPath,
          terminationMessagePath: ann.terminationMessagePath, terminationMessagePolicy: ann.terminationMessagePolicy,
        }, this.readers)
        : st.message;
      return { ...base, state: finalState, startedAt: ms(st.startedAt), finishedAt: ms(st.finishedAt), exitCode: st.exitCode, reason: st.reason, message, imageRef: st.imageRef || base.imageRef };
    } catch {
      return undefined; // gone between list and status; the next read settles it
    }
  }

  private forgetMissing(sandboxes: PodSandbox[], containers: CriContainer[]): void {
    const sb = new Set(sandboxes.map((s) => s.id));
    for (const id of this.sandboxDetails.keys()) if (!sb.has(id)) this.sandboxDetails.delete(id);
    const ct = new Set(containers.map((c) => c.id));
    for (const id of this.containerDetails.keys()) if (!ct.has(id)) this.containerDetails.delete(id);
  }
}
