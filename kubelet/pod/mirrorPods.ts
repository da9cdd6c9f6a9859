/**
 * Mirror pods: the API server's view of static pods. For each static pod the kubelet keeps one
 * mirror pod (same name and namespace, annotation kubernetes.io/config.mirror = the static pod's
 * config hash, owned by the Node), re-creates it when it is deleted, replaces it when the static pod
 * changes, and deletes mirror pods whose static pod is gone — as upstream's mirror client and
 * syncPod do.
 */
import type { Pod } from "../../bindings/kube/types.ts";
import { MIRROR_ANNOTATION } from "../config/apiPodSource.ts";
import type { Logger } from "../log.ts";
import { isApiError, type ApiTransport } from "../ports/api.ts";
import type { Clock } from "../ports/clock.ts";

const CONFIG_HASH = "kubernetes.io/config.hash";

const key = (p: Pod) => `${p.metadata.namespace}/${p.metadata.name}`;

/** The static pod's config hash (its UID). */
export const configHash = (p: Pod) => p.metadata.annotations?.[CONFIG_HASH] ?? p.metadata.uid ?? "";

/** Builds the mirror pod object for a static pod. */
export function mirrorPodFor(staticPod: Pod, node: { name: string; uid: string }): Pod {
  const { uid: _uid, resourceVersion: _rv, creationTimestamp: _ct, ...meta } = staticPod.metadata;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      ...meta,
      annotations: { ...staticPod.metadata.annotations, [MIRROR_ANNOTATION]: configHash(staticPod) },
      ownerReferences: [{ apiVersion: "v1", kind: "Node", name: node.name, uid: node.uid, controller: true }],
    },
    spec: { ...staticPod.spec, nodeName: node.name },
  };
}

/** Keeps mirror pods in line with the static pods. */
export class MirrorPodManager {
  private staticPods: Pod[] = [];
  private mirrors: Pod[] = [];
  private running = false;
  private again = false;

  constructor(
    private readonly api: ApiTransport,
    private readonly node: () => Promise<{ name: string; uid: string }>,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** The mirror pod of a static pod, when the API has one for this config hash. */
  mirrorOf(staticPod: Pod): Pod | undefined {
    const hash = configHash(staticPod);
    return this.mirrors.find((m) => key(m) === key(staticPod) && m.metadata.annotations?.[MIRROR_ANNOTATION] === hash && !m.metadata.deletionTimestamp);
  }

  /** New set of static pods (from the file source). */
  setStaticPods(pods: Pod[]): void {
    this.staticPods = pods;
    this.reconcile();
  }

  /** New set of mirror pods seen on the API server. */
  setMirrors(mirrors: Pod[]): void {
    this.mirrors = mirrors;
    this.reconcile();
  }

  private reconcile(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void (async () => {
      do {
        this.again = false;
        try {
          await this.once();
        } catch (err) {
          // e.g. the Node is not registered yet: try again shortly.
          this.log.warn("mirror pod sync failed; retrying", { err: err instanceof Error ? err.message : String(err) });
          this.clock.setTimer(2000, () => this.reconcile());
        }
      } while (this.again);
      this.running = false;
    })();
  }

  private async once(): Promise<void> {
    const wanted = new Map(this.staticPods.map((p) => [key(p), p]));
    for (const m of this.mirrors) {
      const s = wanted.get(key(m));
      const stale = !s || m.metadata.annotations?.[MIRROR_ANNOTATION] !== configHash(s);
      // A mirror pod being deleted is finished off at once (grace 0) and then re-created, as upstream.
      if (stale || m.metadata.deletionTimestamp) {
        await this.remove(m);
        this.mirrors = this.mirrors.filter((x) => x !== m);
      }
    }
    for (const s of this.staticPods) {
      if (this.mirrors.some((m) => key(m) === key(s))) continue;
      const mirror = mirrorPodFor(s, await this.node());
      try {
        await this.api.request({ method: "POST", path: `/api/v1/namespaces/${s.metadata.namespace}/pods`, body: mirror });
        this.log.info(2, "created mirror pod", { pod: key(s) });
      } catch (err) {
        if (!isApiError(err, 409)) throw err;
      }
    }
  }

  private async remove(m: Pod): Promise<void> {
    try {
      await this.api.request({
        method: "DELETE", path: `/api/v1/namespaces/${m.metadata.namespace}/pods/${m.metadata.name}`,
        body: { kind: "DeleteOptions", apiVersion: "v1", gracePeriodSeconds: 0, preconditions: { uid: m.metadata.uid } },
      });
      this.log.info(2, "deleted mirror pod", { pod: key(m) });
    } catch (err) {
      if (!isApiError(err, 404) && !isApiError(err, 409)) throw err;
    }
  }
}
