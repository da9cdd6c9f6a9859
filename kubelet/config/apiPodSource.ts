/**
 * The API pod source: lists and watches the pods bound to this node (fieldSelector
 * spec.nodeName=<node>) with a reflector. Mirror pods (annotation kubernetes.io/config.mirror) are
 * reported apart from the pods to run.
 */
import type { Pod } from "../../bindings/kube/types.ts";
import type { Logger } from "../log.ts";
import type { ApiTransport } from "../ports/api.ts";
import type { Clock } from "../ports/clock.ts";
import { startReflector } from "./reflector.ts";

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
  const r = startReflector<Pod>({
    api: o.api, path: "/api/v1/pods", query: { fieldSelector: `spec.nodeName=${o.nodeName}` },
    apiVersion: "v1", kind: "Pod", resource: "pod", clock: o.clock, log: o.log, random: o.random,
    onChange: (all) => o.onPods(all.filter((p) => !isMirror(p)), all.filter(isMirror)),
  });
  return { synced: r.synced, stop: () => r.stop() };
}
