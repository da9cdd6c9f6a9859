/**
 * Runs the node agent (nodeAgentMain.ts) as a child process against the e2e control plane, with a
 * node name of its own, and mints what it needs: a node client certificate signed by the cluster CA
 * (plus a kubeconfig referencing it by file), or a bootstrap token and a bootstrap kubeconfig.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { kubectl } from "./cluster.ts";
import { writeBootstrapKubeconfig, writeNodeKubeconfig } from "./nodeCredentials.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const ENV = process.env.KTS_ENV ?? "/tmp/kts";
/** The containerd the testbed runs. */
export const CRI_ENDPOINT = process.env.KTS_CRI_ENDPOINT ?? `unix://${ENV}/rt/containerd.sock`;

/** A unique node name for one test run. */
export function e2eNodeName(): string {
  return `kts-e2e-${randomBytes(3).toString("hex")}`;
}

/** A node agent process and its files. */
export class NodeAgentProcess {
  child?: ChildProcess;
  stdout = "";
  stderr = "";
  readonly kubeconfig: string;
  readonly certDir: string;
  readonly rootDir: string;
  bootstrapKubeconfig?: string;

  private constructor(readonly nodeName: string, readonly dir: string) {
    this.kubeconfig = join(dir, "kubelet.kubeconfig");
    this.certDir = join(dir, "pki");
    this.rootDir = dir;
  }

  /** A workspace for `nodeName`; then `withNodeCertificate()` or `withBootstrapToken()`, then `start()`. */
  static create(nodeName = e2eNodeName()): NodeAgentProcess {
    return new NodeAgentProcess(nodeName, mkdtempSync(join(tmpdir(), `${nodeName}-`)));
  }

  /** Signs a client certificate for system:node:<name> with the cluster CA; the kubeconfig references the files. */
  async withNodeCertificate(): Promise<this> {
    await writeNodeKubeconfig(this.dir, this.nodeName, this.kubeconfig);
    return this;
  }

  /** Creates a bootstrap token secret in kube-system and a bootstrap kubeconfig using it. */
  async withBootstrapToken(): Promise<{ tokenId: string }> {
    this.bootstrapKubeconfig = join(this.dir, "bootstrap.kubeconfig");
    return writeBootstrapKubeconfig(this.bootstrapKubeconfig);
  }

  /** Starts the agent process. */
  start(): this {
    const args = ["--import", "tsx", join(ROOT, "tests/e2e/support/nodeAgentMain.ts"), "--node-name", this.nodeName, "--kubeconfig", this.kubeconfig,
      "--cert-dir", this.certDir, "--root-dir", this.rootDir, "--cri", CRI_ENDPOINT];
    if (this.bootstrapKubeconfig) args.push("--bootstrap-kubeconfig", this.bootstrapKubeconfig);
    this.child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    this.child.stdout!.on("data", (d) => (this.stdout += d));
    this.child.stderr!.on("data", (d) => (this.stderr += d));
    return this;
  }

  /** Parsed `EVENT` lines printed so far. */
  events(): Array<{ subject: { kind: string; name: string }; type: string; reason: string; message: string }> {
    return this.stdout.split("\n").filter((l) => l.startsWith("EVENT ")).map((l) => JSON.parse(l.slice(6)));
  }

  /** The JSON of the last `<TAG> {...}` line, if any. */
  line<T>(tag: string): T | undefined {
    const l = this.stdout.split("\n").filter((x) => x.startsWith(`${tag} `)).at(-1);
    return l ? (JSON.parse(l.slice(tag.length + 1)) as T) : undefined;
  }

  /** Stops the process: SIGTERM (graceful) or SIGKILL; resolves when it has exited. */
  async stop(signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once("exit", () => r()));
    c.kill(signal);
    const timer = setTimeout(() => c.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }

  /** Stops the agent and deletes its Node, Lease and files. */
  async cleanup(): Promise<void> {
    await this.stop("SIGKILL");
    await kubectl(["delete", "node", this.nodeName, "--ignore-not-found", "--wait=false"]).catch(() => {});
    await kubectl(["-n", "kube-node-lease", "delete", "lease", this.nodeName, "--ignore-not-found", "--wait=false"]).catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Output for failure messages. */
  output(): string {
    return `--- stdout\n${this.stdout.slice(-3000)}\n--- stderr\n${this.stderr.slice(-3000)}`;
  }
}
