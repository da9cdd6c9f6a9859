/**
 * The "container running" signal of the benchmark: CRI ListContainers (state RUNNING, our marker
 * label) polled every ~10 ms. Both the raw CRI sequence and the kubelet are observed through it, so
 * both pay the same observation delay.
 */
import type { Cri } from "../../kubelet/ports/cri.ts";

const MANAGED_LABEL = "io.kubelet-ts.managed";
const POD_NAME_LABEL = "io.kubernetes.pod.name";

/** Resolves, per pod name, the first time a container of that pod is seen RUNNING. */
export class RunningWatch {
  private readonly waiters = new Map<string, (at: number) => void>();
  private timer?: NodeJS.Timeout;
  private polls = 0;

  /** Watches containers labelled with `managedValues` (node names) on `cri`, every `intervalMs`. */
  constructor(private readonly cri: Cri, private readonly managedValues: readonly string[], private readonly intervalMs = 10) {}

  /** Starts polling. */
  start(): void {
    const tick = async () => {
      if (this.waiters.size > 0) await this.poll().catch(() => {});
      this.timer = setTimeout(tick, this.intervalMs);
    };
    this.timer = setTimeout(tick, this.intervalMs);
  }

  /** Stops polling. */
  stop(): void {
    clearTimeout(this.timer);
  }

  /** Number of ListContainers rounds so far. */
  get rounds(): number {
    return this.polls;
  }

  /** A promise of the time (performance.now()) a container of pod `podName` is first seen RUNNING. */
  running(podName: string): Promise<number> {
    return new Promise((resolve) => this.waiters.set(podName, resolve));
  }

  private async poll(): Promise<void> {
    this.polls++;
    const lists = await Promise.all(this.managedValues.map((v) =>
      this.cri.listContainers({ state: { state: "CONTAINER_RUNNING" }, labelSelector: { [MANAGED_LABEL]: v } })));
    const at = performance.now();
    for (const c of lists.flat()) {
      const name = c.labels[POD_NAME_LABEL] ?? "";
      const resolve = this.waiters.get(name);
      if (!resolve || c.state !== "CONTAINER_RUNNING") continue;
      this.waiters.delete(name);
      resolve(at);
    }
  }
}
