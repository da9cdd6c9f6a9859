/**
 * A `Cri` that counts and times every call of another, as upstream's instrumentedRuntimeService and
 * instrumentedImageManagerService do (pkg/kubelet/kuberuntime/instrumented_services.go):
 * kubelet_runtime_operations_total, _errors_total and _duration_seconds by operation_type, plus
 * kubelet_run_podsandbox_duration_seconds / _errors_total by runtime handler. Each method's metric
 * children are looked up once, on its first call; after that a call costs an increment and a
 * histogram observation.
 */
import type { Cri, CriCallOptions } from "../ports/cri.ts";
import type { KubeletMetrics } from "./kubeletMetrics.ts";
import type { Counter, Histogram } from "./registry.ts";

/** Upstream's operation_type for each Cri method. */
export const CRI_OPERATION_TYPES = {
  version: "version",
  status: "status",
  updateRuntimeConfig: "update_runtime_config",
  runPodSandbox: "run_podsandbox",
  stopPodSandbox: "stop_podsandbox",
  removePodSandbox: "remove_podsandbox",
  podSandboxStatus: "podsandbox_status",
  listPodSandbox: "list_podsandbox",
  createContainer: "create_container",
  startContainer: "start_container",
  stopContainer: "stop_container",
  removeContainer: "remove_container",
  listContainers: "list_containers",
  containerStatus: "container_status",
  updateContainerResources: "update_container",
  reopenContainerLog: "reopen_container_log",
  execSync: "exec_sync",
  exec: "exec",
  attach: "attach",
  portForward: "port_forward",
  containerStats: "container_stats",
  listContainerStats: "list_container_stats",
  podSandboxStats: "podsandbox_stats",
  listPodSandboxStats: "list_podsandbox_stats",
  listImages: "list_images",
  imageStatus: "image_status",
  pullImage: "pull_image",
  removeImage: "remove_image",
  imageFsInfo: "image_fs_info",
} as const satisfies Record<Exclude<keyof Cri, "endpoint" | "close">, string>;

type Method = keyof typeof CRI_OPERATION_TYPES;

/** One operation's metric children, created on its first call (upstream's vectors show only operations seen). */
class Op {
  private total?: Counter;
  private errors?: Counter;
  private duration?: Histogram;
  constructor(private readonly type: string, private readonly m: KubeletMetrics) {}
  done(seconds: number): void {
    (this.total ??= this.m.runtimeOperations.labels(this.type)).inc();
    (this.duration ??= this.m.runtimeOperationsDuration.labels(this.type)).observe(seconds);
  }
  failed(): void {
    (this.errors ??= this.m.runtimeOperationsErrors.labels(this.type)).inc();
  }
}

/** Wraps `inner`; `nowMs` times the calls (the Clock port's `now`). */
export class InstrumentedCri implements Cri {
  private readonly ops: Record<Method, Op>;

  constructor(private readonly inner: Cri, private readonly m: KubeletMetrics, private readonly nowMs: () => number) {
    const ops = {} as Record<Method, Op>;
    for (const [method, type] of Object.entries(CRI_OPERATION_TYPES) as [Method, string][]) ops[method] = new Op(type, m);
    this.ops = ops;
  }

  get endpoint(): string {
    return this.inner.endpoint;
  }

  private async track<T>(op: Op, call: () => Promise<T>): Promise<T> {
    const start = this.nowMs();
    try {
      return await call();
    } catch (err) {
      op.failed();
      throw err;
    } finally {
      op.done((this.nowMs() - start) / 1000);
    }
  }

  version(call?: CriCallOptions) {
    return this.track(this.ops.version, () => this.inner.version(call));
  }
  status(verbose?: boolean, call?: CriCallOptions) {
    return this.track(this.ops.status, () => this.inner.status(verbose, call));
  }
  updateRuntimeConfig(podCidr: string, call?: CriCallOptions) {
    return this.track(this.ops.updateRuntimeConfig, () => this.inner.updateRuntimeConfig(podCidr, call));
  }
  async runPodSandbox(...args: Parameters<Cri["runPodSandbox"]>) {
    const handler = args[1] ?? "";
    const start = this.nowMs();
    try {
      return await this.track(this.ops.runPodSandbox, () => this.inner.runPodSandbox(...args));
    } catch (err) {
      this.m.runPodSandboxErrors.labels(handler).inc();
      throw err;
    } finally {
      this.m.runPodSandboxDuration.labels(handler).observe((this.nowMs() - start) / 1000);
    }
  }
  stopPodSandbox(...args: Parameters<Cri["stopPodSandbox"]>) {
    return this.track(this.ops.stopPodSandbox, () => this.inner.stopPodSandbox(...args));
  }
  removePodSandbox(...args: Parameters<Cri["removePodSandbox"]>) {
    return this.track(this.ops.removePodSandbox, () => this.inner.removePodSandbox(...args));
  }
  podSandboxStatus(...args: Parameters<Cri["podSandboxStatus"]>) {
    return this.track(this.ops.podSandboxStatus, () => this.inner.podSandboxStatus(...args));
  }
  listPodSandbox(...args: Parameters<Cri["listPodSandbox"]>) {
    return this.track(this.ops.listPodSandbox, () => this.inner.listPodSandbox(...args));
  }
  createContainer(...args: Parameters<Cri["createContainer"]>) {
    return this.track(this.ops.createContainer, () => this.inner.createContainer(...args));
  }
  startContainer(...args: Parameters<Cri["startContainer"]>) {
    return this.track(this.ops.startContainer, () => this.inner.startContainer(...args));
  }
  stopContainer(...args: Parameters<Cri["stopContainer"]>) {
    return this.track(this.ops.stopContainer, () => this.inner.stopContainer(...args));
  }
  removeContainer(...args: Parameters<Cri["removeContainer"]>) {
    return this.track(this.ops.removeContainer, () => this.inner.removeContainer(...args));
  }
  listContainers(...args: Parameters<Cri["listContainers"]>) {
    return this.track(this.ops.listContainers, () => this.inner.listContainers(...args));
  }
  containerStatus(...args: Parameters<Cri["containerStatus"]>) {
    return this.track(this.ops.containerStatus, () => this.inner.containerStatus(...args));
  }
  updateContainerResources(...args: Parameters<Cri["updateContainerResources"]>) {
    return this.track(this.ops.updateContainerResources, () => this.inner.updateContainerResources(...args));
  }
  reopenContainerLog(...args: Parameters<Cri["reopenContainerLog"]>) {
    return this.track(this.ops.reopenContainerLog, () => this.inner.reopenContainerLog(...args));
  }
  execSync(...args: Parameters<Cri["execSync"]>) {
    return this.track(this.ops.execSync, () => this.inner.execSync(...args));
  }
  exec(...args: Parameters<Cri["exec"]>) {
    return this.track(this.ops.exec, () => this.inner.exec(...args));
  }
  attach(...args: Parameters<Cri["attach"]>) {
    return this.track(this.ops.attach, () => this.inner.attach(...args));
  }
  portForward(...args: Parameters<Cri["portForward"]>) {
    return this.track(this.ops.portForward, () => this.inner.portForward(...args));
  }
  containerStats(...args: Parameters<Cri["containerStats"]>) {
    return this.track(this.ops.containerStats, () => this.inner.containerStats(...args));
  }
  listContainerStats(...args: Parameters<Cri["listContainerStats"]>) {
    return this.track(this.ops.listContainerStats, () => this.inner.listContainerStats(...args));
  }
  podSandboxStats(...args: Parameters<Cri["podSandboxStats"]>) {
    return this.track(this.ops.podSandboxStats, () => this.inner.podSandboxStats(...args));
  }
  listPodSandboxStats(...args: Parameters<Cri["listPodSandboxStats"]>) {
    return this.track(this.ops.listPodSandboxStats, () => this.inner.listPodSandboxStats(...args));
  }
  listImages(...args: Parameters<Cri["listImages"]>) {
    return this.track(this.ops.listImages, () => this.inner.listImages(...args));
  }
  imageStatus(...args: Parameters<Cri["imageStatus"]>) {
    return this.track(this.ops.imageStatus, () => this.inner.imageStatus(...args));
  }
  pullImage(...args: Parameters<Cri["pullImage"]>) {
    return this.track(this.ops.pullImage, () => this.inner.pullImage(...args));
  }
  removeImage(...args: Parameters<Cri["removeImage"]>) {
    return this.track(this.ops.removeImage, () => this.inner.removeImage(...args));
  }
  imageFsInfo(...args: Parameters<Cri["imageFsInfo"]>) {
    return this.track(this.ops.imageFsInfo, () => this.inner.imageFsInfo(...args));
  }
  close(): void {
    this.inner.close();
  }
}
