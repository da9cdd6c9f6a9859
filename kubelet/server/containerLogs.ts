/**
 * `GET /containerLogs/{namespace}/{pod}/{container}`: the kubelet end of `kubectl logs`. Query
 * decoding and validation, pod and container lookup and the choice of container instance follow
 * upstream's server.getContainerLogs and Kubelet.validateContainerLogStatus, with their messages
 * and status codes; the bytes come from the CRI log file (kuberuntime/logs.ts).
 */
import type { ContainerStatus, Pod } from "../../bindings/kube/types.ts";
import type { Cri } from "../ports/cri.ts";
import type { Clock } from "../ports/clock.ts";
import type { Fs } from "../ports/fs.ts";
import { parseRfc3339Nano, readContainerLog, type LogReadOptions } from "../kuberuntime/logs.ts";

/** The pods and runtime facts the endpoint reads (a narrow view of the kubelet). */
export interface ContainerLogSource {
  /** The pod `namespace/name` this kubelet runs, with its latest status. */
  pod(namespace: string, name: string): Pod | undefined | Promise<Pod | undefined>;
  /** The runtime's view of one container instance: where its log is and whether it runs. */
  containerStatus(containerId: string): Promise<{ logPath: string; running: boolean }>;
}

/** PodLogOptions (core/v1) as the kubelet receives them in the query. */
export interface PodLogOptions {
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  limitBytes?: number;
  sinceSeconds?: number;
  /** RFC3339 text. */
  sinceTime?: string;
}

/** A refusal with upstream's status code and message. */
export class LogRequestError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function parseBool(v: string): boolean | undefined {
  if (["1", "t", "T", "true", "TRUE", "True"].includes(v)) return true;
  if (["0", "f", "F", "false", "FALSE", "False"].includes(v)) return false;
  return undefined;
}

/**
 * The log options of a query (upstream decodes them into v1.PodLogOptions; the legacy `tail`
 * parameter stands for tailLines, "all" for no limit). 400 when a value does not decode, 422 when
 * the options are invalid together.
 */
export function parsePodLogOptions(query: URLSearchParams): PodLogOptions {
  const undecodable = () => new LogRequestError(400, `{"message": "Unable to decode query."}`);
  const invalid = () => new LogRequestError(422, `{"message": "Invalid request."}`);
  const bool = (name: string) => {
    const v = query.get(name);
    if (v === null || v === "") return false;
    const b = parseBool(v);
    if (b === undefined) throw undecodable();
    return b;
  };
  const int = (name: string, value = query.get(name)) => {
    if (value === null || value === "") return undefined;
    if (!/^[+-]?\d+$/.test(value)) throw undecodable();
    return Number(value);
  };
  const tail = query.get("tail");
  const tailLines = tail !== null && tail !== "" ? (tail === "all" ? undefined : int("tail", tail)) : int("tailLines");
  const sinceTime = query.get("sinceTime") || undefined;
  if (sinceTime !== undefined && parseRfc3339Nano(sinceTime) === undefined) throw undecodable();
  const o: PodLogOptions = {
    follow: bool("follow"), previous: bool("previous"), timestamps: bool("timestamps"),
    tailLines, limitBytes: int("limitBytes"), sinceSeconds: int("sinceSeconds"), sinceTime,
  };
  // Upstream ValidatePodLogOptions.
  if (o.tailLines !== undefined && o.tailLines < 0) throw invalid();
  if (o.limitBytes !== undefined && o.limitBytes < 1) throw invalid();
  if (o.sinceSeconds !== undefined && o.sinceSeconds < 1) throw invalid();
  if (o.sinceSeconds !== undefined && o.sinceTime !== undefined) throw invalid();
  return o;
}

const runtimeId = (id: string) => id.replace(/^[a-z0-9.+-]*:\/\//i, "");

/**
 * The runtime container ID whose log `kubectl logs` means (upstream validateContainerLogStatus):
 * the running instance, else the last terminated one; with `previous`, the one before.
 */
export function containerIdForLogs(pod: Pod, container: string, previous: boolean): string {
  const podName = pod.metadata.name ?? "";
  const all: ContainerStatus[] = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  const s = all.find((c) => c.name === container);
  const fail = (msg: string) => new LogRequestError(400, msg);
  if (!s) throw fail(`container "${container}" in pod "${podName}" is not available`);
  const last = s.lastState.terminated;
  const { waiting, running, terminated } = s.state;
  if (previous) {
    if (!last?.containerID) throw fail(`previous terminated container "${container}" in pod "${podName}" not found`);
    return runtimeId(last.containerID);
  }
  if (running) return runtimeId(s.containerID ?? "");
  if (terminated) {
    if (terminated.containerID) return runtimeId(terminated.containerID);
    if (last?.containerID) return runtimeId(last.containerID);
    throw fail(`container "${container}" in pod "${podName}" is terminated`);
  }
  if (last) {
    if (!last.containerID) throw fail(`container "${container}" in pod "${podName}" is terminated`);
    return runtimeId(last.containerID);
  }
  if (waiting) {
    if (waiting.reason === "ErrImagePull") throw fail(`container "${container}" in pod "${podName}" is waiting to start: image can't be pulled`);
    if (waiting.reason === "ImagePullBackOff") throw fail(`container "${container}" in pod "${podName}" is waiting to start: trying and failing to pull image`);
    throw fail(`container "${container}" in pod "${podName}" is waiting to start: ${waiting.reason ?? ""}`);
  }
  throw fail(`container "${container}" in pod "${podName}" is waiting to start - no logs yet`);
}

/** What serving container logs needs. */
export interface ContainerLogsDeps {
  source: ContainerLogSource;
  fs: Fs;
  clock: Clock;
  /** Follow polling period (tests shorten it). */
  pollMs?: number;
}

const TEXT = { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" };

/** Answers one /containerLogs request; `rest` is the path after `/containerLogs/`. */
export async function serveContainerLogs(rest: string, url: URL, deps: ContainerLogsDeps): Promise<Response> {
  try {
    const [namespace = "", podName = "", containerName = "", ...extra] = rest.split("/").map(decodeURIComponent);
    if (extra.length > 0) return new Response("404 page not found\n", { status: 404, headers: TEXT });
    if (!podName) throw new LogRequestError(400, `{"message": "Missing podID."}`);
    if (!containerName) throw new LogRequestError(400, `{"message": "Missing container name."}`);
    if (!namespace) throw new LogRequestError(400, `{"message": "Missing podNamespace."}`);
    const opts = parsePodLogOptions(url.searchParams);
    const pod = await deps.source.pod(namespace, podName);
    if (!pod) throw new LogRequestError(404, `pod "${podName}" does not exist`);
    const specs = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])];
    if (!specs.some((c) => c.name === containerName)) throw new LogRequestError(404, `container "${containerName}" not found in pod "${podName}"`);
    const id = containerIdForLogs(pod, containerName, opts.previous);
    let status: { logPath: string; running: boolean };
    try {
      status = await deps.source.containerStatus(id);
    } catch (err) {
      throw new LogRequestError(400, `failed to get container status "${id}": ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!(await deps.fs.stat(status.logPath))) {
      throw new LogRequestError(400, `failed to try resolving symlinks in path "${status.logPath}": lstat ${status.logPath}: no such file or directory`);
    }
    const read: LogReadOptions & { follow: boolean } = {
      follow: opts.follow, tailLines: opts.tailLines, limitBytes: opts.limitBytes, timestamps: opts.timestamps,
      sinceNs: opts.sinceTime !== undefined ? parseRfc3339Nano(opts.sinceTime)
        : opts.sinceSeconds !== undefined ? (BigInt(deps.clock.now()) - BigInt(opts.sinceSeconds) * 1000n) * 1_000_000n : undefined,
    };
    const body = readContainerLog(status.logPath, read, {
      fs: deps.fs, clock: deps.clock, pollMs: deps.pollMs,
      isRunning: async () => (await deps.source.containerStatus(id).catch(() => ({ running: false }))).running,
    });
    return new Response(body, { status: 200, headers: TEXT });
  } catch (err) {
    if (err instanceof LogRequestError) return new Response(err.message, { status: err.status, headers: TEXT });
    throw err;
  }
}

/** A ContainerLogSource over the kubelet's pods and CRI ContainerStatus. */
export function kubeletLogSource(pods: () => Pod[], cri: Pick<Cri, "containerStatus">): ContainerLogSource {
  return {
    pod: (namespace, name) => pods().find((p) => p.metadata.namespace === namespace && p.metadata.name === name),
    async containerStatus(id) {
      const res = await cri.containerStatus(id);
      if (!res.status) throw new Error(`container ${id} has no status`);
      return { logPath: res.status.logPath, running: res.status.state === "CONTAINER_RUNNING" };
    },
  };
}
