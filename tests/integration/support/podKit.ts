/**
 * Pod-level helpers for the kubelet integration tests: manifest builders, waiting on /pods, and
 * reading what containerd holds for a pod (container statuses in creation order, ExecSync output).
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ContainerStatus as CriContainerStatus } from "../../../bindings/cri/types.ts";
import type { Container, ContainerStatus, Pod, PodSpec } from "../../../bindings/kube/types.ts";
import { BUSYBOX_IMAGE, testCri } from "./cri.ts";
import { eventually } from "./eventually.ts";
import type { KubeletProcess } from "./kubeletProcess.ts";

/** A v1 Pod manifest named `name` (the kubelet suffixes the node name). */
export function podManifest(name: string, spec: Partial<PodSpec> & Pick<PodSpec, "containers">): Pod {
  return { apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { terminationGracePeriodSeconds: 2, ...spec } } as Pod;
}

/** A busybox container running `script` under `sh -c`, pulled only if absent. */
export function shContainer(name: string, script: string, extra: Partial<Container> = {}): Container {
  return { name, image: BUSYBOX_IMAGE, imagePullPolicy: "IfNotPresent", command: ["sh", "-c", script], ...extra };
}

/** A script that exits 0 on SIGTERM (busybox sh as PID 1 ignores it otherwise), then runs `body`. */
export const trapped = (body = "while true; do sleep 1; done") => `trap 'exit 0' TERM; ${body}`;

/** Waits until the pod from manifest `name` in /pods satisfies `pred`; resolves to the pod. */
export function waitPod(k: KubeletProcess, name: string, what: string, pred: (p: Pod) => boolean, timeoutMs = 30_000): Promise<Pod> {
  let last = "pod not in /pods";
  return eventually(`${name}: ${what}`, async () => {
    const p = await k.pod(name);
    if (p) last = JSON.stringify(p.status);
    return p && pred(p) ? p : undefined;
  }, { timeoutMs, intervalMs: 100, describe: () => `last status ${last.slice(0, 1500)}` });
}

/** The status of container `name` (app or init) of a pod from /pods. */
export function statusOf(p: Pod, name: string): ContainerStatus | undefined {
  return p.status?.containerStatuses?.find((c) => c.name === name) ?? p.status?.initContainerStatuses?.find((c) => c.name === name);
}

/** Every container the runtime holds for pod `uid`, with full CRI status, oldest first. */
export async function criContainers(uid: string): Promise<CriContainerStatus[]> {
  const cri = await testCri();
  const list = await cri.listContainers({ labelSelector: { "io.kubernetes.pod.uid": uid } });
  const out: CriContainerStatus[] = [];
  for (const c of list) {
    const st = await cri.containerStatus(c.id).then((r) => r.status).catch(() => null);
    if (st) out.push(st);
  }
  return out.sort((a, b) => a.createdAt - b.createdAt);
}

/** The CRI instances of one container of the pod, oldest first. */
export async function criInstances(uid: string, container: string): Promise<CriContainerStatus[]> {
  return (await criContainers(uid)).filter((c) => c.metadata?.name === container);
}

/** Runs `cmd` in a running container through CRI ExecSync. */
export async function execIn(containerId: string, cmd: string[]): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const res = await (await testCri()).execSync(containerId, cmd, 10);
  return { stdout: new TextDecoder().decode(res.stdout), stderr: new TextDecoder().decode(res.stderr), exitCode: res.exitCode };
}

/** The id (without runtime prefix) of a container status from /pods. */
export const bareId = (s: ContainerStatus | undefined) => s?.containerID?.replace(/^\w+:\/\//, "") ?? "";

/** Waits until the pod is Running with every app container running; resolves to the pod. */
export function waitRunning(k: KubeletProcess, name: string, timeoutMs = 30_000): Promise<Pod> {
  return waitPod(k, name, "Running with all containers running", (p) =>
    p.status?.phase === "Running" && (p.status.containerStatuses ?? []).every((c) => c.state.running !== undefined), timeoutMs);
}

/** What is left on the host of pod `uid`: its pod dir, its log dir, its pod cgroups (any QoS tier). */
export function hostLeftovers(k: KubeletProcess, uid: string, podName: string): string[] {
  const paths = [`${k.rootDir}/pods/${uid}`, `/var/log/pods/default_${podName}_${uid}`];
  for (const ctrl of ["memory", "cpu", "pids"]) {
    for (const tier of ["", "burstable/", "besteffort/"]) paths.push(`/sys/fs/cgroup/${ctrl}/kubepods/${tier}pod${uid}`);
  }
  return paths.filter((p) => existsSync(p));
}

/**
 * Removes a manifest and waits until /pods no longer lists the pod, the runtime holds nothing of
 * it (found by the pod-name label) and its pod dir, log dir and cgroups are gone, so the next test
 * (or the kubelet's exit) does not race the cleanup.
 */
export async function removeAndWait(k: KubeletProcess, file: string, name: string, knownUid?: string): Promise<void> {
  const uid = knownUid ?? (await k.pod(name))?.metadata.uid;
  k.removeManifest(file);
  const cri = await testCri();
  const selector = { "io.kubernetes.pod.name": k.podName(name) };
  let left: string[] = [];
  await eventually(`${name} removed from /pods, the runtime and the host`, async () => {
    if (await k.pod(name)) return undefined;
    const [sb, ct] = await Promise.all([cri.listPodSandbox({ labelSelector: selector }), cri.listContainers({ labelSelector: selector })]);
    if (sb.length > 0 || ct.length > 0) return undefined;
    left = uid ? hostLeftovers(k, uid, k.podName(name)) : [];
    return left.length === 0 ? true : undefined;
  }, { timeoutMs: 40_000, intervalMs: 100, describe: () => `left on the host: ${left.join(", ")}` });
}

/**
 * Writes `pod` as manifest `<name>.json`, runs `body`, then removes the manifest and waits for the
 * cleanup, also when `body` failed (a cleanup failure then does not hide the test's own).
 */
export async function withPod(k: KubeletProcess, pod: Pod, body: (file: string) => Promise<void>): Promise<void> {
  const name = pod.metadata.name!;
  const file = `${name}.json`;
  k.writeManifest(file, pod);
  let failed = false;
  try {
    await body(file);
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    try {
      await removeAndWait(k, file, name);
    } catch (err) {
      if (!failed) throw err;
    }
  }
}

/**
 * Checks `probe` repeatedly for `durationMs` and rejects as soon as it returns false: for behaviour
 * that must not happen (a restart, a new sandbox), where there is no event to wait for.
 */
export async function consistently(what: string, probe: () => Promise<boolean> | boolean, durationMs: number): Promise<void> {
  const until = Date.now() + durationMs;
  do {
    if (!(await probe())) throw new Error(`expected to hold for ${durationMs} ms but did not: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  } while (Date.now() < until);
}

/** Kubelet log lines (stderr) that mention `needle`. */
export function logLines(k: KubeletProcess, needle: string): string[] {
  return k.log.split("\n").filter((l) => l.includes(needle));
}

/** Messages of the events with `reason` the kubelet logged about object `object` ("<ns>/<name>"). */
export function eventMessages(k: KubeletProcess, reason: string, object: string): string[] {
  return logLines(k, `reason="${reason}"`)
    .filter((l) => l.includes(` event `) && l.includes(`object=${JSON.stringify(object)}`))
    .map((l) => JSON.parse(/ message=("(?:[^"\\]|\\.)*")/.exec(l)?.[1] ?? '""') as string);
}

/**
 * With KTS_KEEP_LOGS=<dir>, saves the kubelet's stderr as <dir>/<label>.log (call in `after`, before
 * dispose), for reading what the kubelet did in a run.
 */
export function keepLog(k: KubeletProcess | undefined, label: string): void {
  const dir = process.env.KTS_KEEP_LOGS;
  if (!dir || !k) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${label}.log`), k.log);
}

/** Nanoseconds (CRI timestamps) to milliseconds. */
export const nsToMs = (ns: number) => Math.floor(ns / 1e6);
