/**
 * kubelet-ts in cluster mode as a child process for e2e tests: its own node name (registered with a
 * `kts-e2e=<node>:NoSchedule` taint, so only pods placed on purpose land there), a minted node
 * kubeconfig or a bootstrap kubeconfig, its own root dir, pod log dir, static pod dir and API port,
 * all against the shared containerd and the testbed control plane.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { freePort } from "../../integration/support/kubeletProcess.ts";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Pod } from "../../../bindings/kube/types.ts";
import { MANAGED_LABEL } from "../../../kubelet/kuberuntime/labels.ts";
import { testCri } from "../../integration/support/cri.ts";
import { eventually } from "../../integration/support/eventually.ts";
import { apiRequest, kubectl } from "./cluster.ts";
import { writeBootstrapKubeconfig, writeNodeKubeconfig } from "./nodeCredentials.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const ENV = process.env.KTS_ENV ?? "/tmp/kts";
/** The containerd the testbed runs. */
export const CRI_ENDPOINT = process.env.KTS_CRI_ENDPOINT ?? `unix://${ENV}/rt/containerd.sock`;
/** The taint key every e2e kubelet registers with (value: its node name). */
export const E2E_TAINT_KEY = "kts-e2e";


/** True when something accepts TCP connections on 127.0.0.1:`port`. */
function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => { socket.destroy(); resolve(true); });
    socket.once("error", () => resolve(false));
  });
}

/** How the kubelet joins the cluster. */
export interface ClusterKubeletOptions {
  /** Prefix of the node name (a random suffix is added). */
  prefix?: string;
  /** TLS bootstrap with a bootstrap token instead of a pre-signed node certificate. */
  bootstrap?: boolean;
  /** Extra KubeletConfiguration lines (YAML). */
  configLines?: string[];
}

/** A cluster-mode kubelet-ts process and its files. */
export class ClusterKubelet {
  child?: ChildProcess;
  /** Everything written to stderr (the log) and stdout (status lines), across restarts. */
  log = "";
  stdout = "";
  /** The bootstrap token id when started with `bootstrap`. */
  tokenId?: string;
  readonly kubeconfig: string;
  readonly bootstrapKubeconfig: string;
  readonly rootDir: string;
  readonly manifests: string;
  readonly podLogsDir: string;
  private starts = 0;

  /** The plain-HTTP healthz port (the API port serves HTTPS with authentication). */
  healthzPort = 0;

  private constructor(readonly nodeName: string, readonly dir: string, readonly port: number, private readonly bootstrap: boolean) {
    this.kubeconfig = join(dir, "kubelet.kubeconfig");
    this.bootstrapKubeconfig = join(dir, "bootstrap.kubeconfig");
    this.rootDir = join(dir, "root");
    this.manifests = join(dir, "manifests");
    this.podLogsDir = join(dir, "logs");
  }

  /** Mints credentials and writes the config; `start()` runs it. */
  static async create(opts: ClusterKubeletOptions = {}): Promise<ClusterKubelet> {
    const nodeName = `${opts.prefix ?? "kts-kubelet"}-${randomBytes(3).toString("hex")}`;
    const dir = mkdtempSync(join(tmpdir(), `${nodeName}-`));
    const k = new ClusterKubelet(nodeName, dir, await freePort(), opts.bootstrap ?? false);
    k.healthzPort = await freePort();
    mkdirSync(k.manifests);
    mkdirSync(k.podLogsDir);
    if (k.bootstrap) k.tokenId = (await writeBootstrapKubeconfig(k.bootstrapKubeconfig)).tokenId;
    else await writeNodeKubeconfig(dir, nodeName, k.kubeconfig);
    writeFileSync(join(dir, "config.yaml"), [
      "apiVersion: kubelet.config.k8s.io/v1beta1",
      "kind: KubeletConfiguration",
      `staticPodPath: ${k.manifests}`,
      "fileCheckFrequency: 1s",
      // Every address: kube-apiserver reaches the kubelet API (kubectl logs) at the node's InternalIP.
      "address: 0.0.0.0",
      `port: ${k.port}`,
      "healthzBindAddress: 127.0.0.1",
      `healthzPort: ${k.healthzPort}`,
      // kube-apiserver's kubelet client certificate is signed by the cluster CA.
      `authentication: {x509: {clientCAFile: ${join(ENV, "pki/ca.crt")}}}`,
      "clusterDomain: cluster.local",
      "clusterDNS: [10.96.0.10]",
      `registerWithTaints: [{key: ${E2E_TAINT_KEY}, value: ${nodeName}, effect: NoSchedule}]`,
      ...(opts.configLines ?? []),
      "",
    ].join("\n"));
    return k;
  }

  /** The nodeSelector and toleration that place a pod on this node (and only here). */
  placement(): { nodeSelector: Record<string, string>; tolerations: Array<Record<string, string>> } {
    return {
      nodeSelector: { "kubernetes.io/hostname": this.nodeName },
      tolerations: [{ key: E2E_TAINT_KEY, operator: "Equal", value: this.nodeName, effect: "NoSchedule" }],
    };
  }

  /**
   * Starts the process and waits until its API answers (it has connected and synced its pods).
   * Its log level is KTS_E2E_KUBELET_V (default 2).
   */
  async start(timeoutMs = 60_000): Promise<void> {
    this.starts++;
    const args = ["--import", "tsx", join(ROOT, "hosts/node/main.ts"),
      "--config", join(this.dir, "config.yaml"),
      "--container-runtime-endpoint", CRI_ENDPOINT,
      "--hostname-override", this.nodeName,
      "--root-dir", this.rootDir,
      "--v", process.env.KTS_E2E_KUBELET_V ?? "2",
      ...(this.bootstrap ? ["--bootstrap-kubeconfig", this.bootstrapKubeconfig] : []),
      "--kubeconfig", this.kubeconfig];
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, KTS_POD_LOGS_DIR: this.podLogsDir } });
    this.child = child;
    this.log += `--- start #${this.starts}\n`;
    child.stdout!.on("data", (d) => (this.stdout += d));
    child.stderr!.on("data", (d) => (this.log += d));
    await eventually("kubelet-ts /healthz", async () => {
      if (child.exitCode !== null) throw new Error(`kubelet-ts exited with ${child.exitCode}`);
      const res = await fetch(`http://127.0.0.1:${this.healthzPort}/healthz`).catch(() => undefined);
      // The API port opens right after the healthz port.
      return res?.ok && (await acceptsConnections(this.port)) ? true : undefined;
    }, { timeoutMs, intervalMs: 100, describe: () => this.output() });
  }

  /** Stops the process: SIGTERM (orderly) or SIGKILL (crash); containers keep running either way. */
  async stop(signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once("exit", () => r()));
    c.kill(signal);
    const timer = setTimeout(() => c.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(timer);
  }

  /** True while the process runs. */
  running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Writes a static pod manifest atomically. */
  writeManifest(file: string, content: Pod): void {
    const tmp = join(this.manifests, `.${file}.tmp`);
    writeFileSync(tmp, JSON.stringify(content));
    renameSync(tmp, join(this.manifests, file));
  }

  /** Removes a static pod manifest. */
  removeManifest(file: string): void {
    rmSync(join(this.manifests, file), { force: true });
  }

  /** The name the kubelet gives a static pod (and its mirror pod): `<name>-<node>`. */
  staticPodName(name: string): string {
    return `${name}-${this.nodeName}`;
  }

  /** IDs of the runtime containers this kubelet created, by pod UID and container name. */
  async containers(): Promise<Array<{ id: string; podUid: string; name: string; state: string; attempt: number }>> {
    const cri = await testCri();
    return (await cri.listContainers({ labelSelector: { [MANAGED_LABEL]: this.nodeName } })).map((c) => ({
      id: c.id, podUid: c.labels["io.kubernetes.pod.uid"] ?? "", name: c.metadata?.name ?? "", state: String(c.state), attempt: c.metadata?.attempt ?? 0,
    }));
  }

  /**
   * Deletes the pods bound to this node and the static manifests, waits for the kubelet to remove
   * their sandboxes, stops it, removes whatever is left in the runtime, and deletes the Node, its
   * Lease, the bootstrap token and the files. Never throws.
   */
  async cleanup(): Promise<void> {
    const cri = await testCri().catch(() => undefined);
    const sandboxes = async () => (cri ? await cri.listPodSandbox({ labelSelector: { [MANAGED_LABEL]: this.nodeName } }) : []);
    rmSync(this.manifests, { recursive: true, force: true });
    mkdirSync(this.manifests);
    if (this.running()) {
      const list = await apiRequest("GET", `/api/v1/pods?fieldSelector=spec.nodeName=${this.nodeName}`).catch(() => undefined);
      const pods = list?.status === 200 ? (JSON.parse(list.body).items as Pod[]) : [];
      for (const p of pods) await apiRequest("DELETE", `/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}?gracePeriodSeconds=1`).catch(() => undefined);
      await eventually("the kubelet to remove its pods", async () => ((await sandboxes()).length === 0 ? true : undefined), { timeoutMs: 60_000, intervalMs: 500 }).catch(() => undefined);
    }
    await this.stop("SIGKILL");
    for (const s of await sandboxes().catch(() => [])) {
      for (const c of await cri!.listContainers({ podSandboxId: s.id }).catch(() => [])) await cri!.removeContainer(c.id).catch(() => undefined);
      await cri!.stopPodSandbox(s.id).catch(() => undefined);
      await cri!.removePodSandbox(s.id).catch(() => undefined);
    }
    await kubectl(["delete", "node", this.nodeName, "--ignore-not-found", "--wait=false"]).catch(() => {});
    await kubectl(["-n", "kube-node-lease", "delete", "lease", this.nodeName, "--ignore-not-found", "--wait=false"]).catch(() => {});
    if (this.tokenId) await apiRequest("DELETE", `/api/v1/namespaces/kube-system/secrets/bootstrap-token-${this.tokenId}`).catch(() => undefined);
    // Volumes a killed kubelet left mounted (secret tmpfs) must come off before the files go.
    const mounts = readFileSync("/proc/self/mountinfo", "utf8").split("\n").map((l) => l.split(" ")[4] ?? "").filter((m) => m.startsWith(`${this.dir}/`));
    for (const m of mounts.reverse()) spawnSync("umount", ["-l", m]);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The end of the log, for failure messages. */
  output(): string {
    return `--- kubelet-ts ${this.nodeName} stderr\n${this.log.slice(-4000)}`;
  }
}
