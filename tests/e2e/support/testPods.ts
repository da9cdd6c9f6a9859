/** Pod and container specs for e2e tests: busybox from the testbed registry, placed on one test node. */
import type { Container, Pod } from "../../../bindings/kube/types.ts";

/** The busybox image the testbed registry serves (pre-pulled by containerd). */
export const BUSYBOX = "127.0.0.1:5000/busybox:latest";

/** A shell loop that exits 0 on SIGTERM (within a second) and is ready once /tmp/ready exists. */
export const TRAPPING_SLEEPER = "trap 'exit 0' TERM; touch /tmp/ready; while true; do sleep 1; done";

/** A busybox container running `sh -c script` (IfNotPresent: the image is pre-pulled). */
export function shContainer(name: string, script: string, extra: Partial<Container> = {}): Container {
  return { name, image: BUSYBOX, imagePullPolicy: "IfNotPresent", command: ["sh", "-c", script], ...extra };
}

/** A readiness probe that passes while /tmp/ready exists (checked every second). */
export const READY_FILE_PROBE = { exec: { command: ["test", "-f", "/tmp/ready"] }, periodSeconds: 1, failureThreshold: 1 };

/** A Pod object in `ns` with `containers`, placed with `placement` (nodeSelector + tolerations, or nodeName). */
export function podObject(ns: string, name: string, placement: Partial<Pod["spec"]>, containers: Container[], extra: Partial<Pod["spec"]> = {}, labels: Record<string, string> = {}): Pod {
  return {
    apiVersion: "v1", kind: "Pod",
    metadata: { name, namespace: ns, labels },
    spec: { terminationGracePeriodSeconds: 5, ...placement, containers, ...extra },
  };
}
