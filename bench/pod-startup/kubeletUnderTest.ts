/**
 * kubelet-ts as a child process for the benchmark, configured as a production node would be
 * (default fileCheckFrequency 20 s, --v 0) with its own node name, manifest dir and root dir, on
 * the shared containerd. Unlike the integration tests' KubeletProcess it keeps no logs in memory.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** A kubelet-ts process under benchmark. */
export class KubeletUnderTest {
  private child?: ChildProcess;
  private stderrTail = "";
  readonly manifests: string;
  readonly rootDir: string;

  /** `dir` holds config, manifests and root; `podLogsDir` is passed as KTS_POD_LOGS_DIR. */
  constructor(readonly nodeName: string, readonly dir: string, readonly criEndpoint: string, readonly podLogsDir: string, readonly port: number) {
    this.manifests = join(dir, "manifests");
    this.rootDir = join(dir, "root");
  }

  /** A kubelet with fresh directories under the system temp dir. */
  static create(prefix: string, criEndpoint: string, podLogsDir: string, port: number): KubeletUnderTest {
    const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
    return new KubeletUnderTest(`${prefix}-${Math.random().toString(36).slice(2, 8)}`, dir, criEndpoint, podLogsDir, port);
  }

  /** Starts the process and waits for /healthz. */
  async start(verbosity = 0): Promise<void> {
    mkdirSync(this.manifests, { recursive: true });
    writeFileSync(join(this.dir, "config.yaml"), [
      "apiVersion: kubelet.config.k8s.io/v1beta1",
      "kind: KubeletConfiguration",
      `staticPodPath: ${this.manifests}`,
      "address: 127.0.0.1",
      `port: ${this.port}`,
      "healthzPort: 0",
      "clusterDomain: cluster.local",
      "clusterDNS: [10.96.0.10]",
      "",
    ].join("\n"));
    this.child = spawn(process.execPath, [
      "--import", "tsx", join(ROOT, "hosts/node/main.ts"),
      "--config", join(this.dir, "config.yaml"),
      "--container-runtime-endpoint", this.criEndpoint,
      "--hostname-override", this.nodeName,
      "--root-dir", this.rootDir,
      "--v", String(verbosity),
    ], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, KTS_POD_LOGS_DIR: this.podLogsDir } });
    this.child.stderr!.on("data", (d) => (this.stderrTail = (this.stderrTail + d).slice(-4000)));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`kubelet-ts exited with ${this.child.exitCode}:\n${this.stderrTail}`);
      try {
        if ((await fetch(`http://127.0.0.1:${this.port}/healthz`)).ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`kubelet-ts did not come up in 30 s:\n${this.stderrTail}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Writes a manifest atomically (temp file + rename), as an operator's tooling would. */
  writeManifest(file: string, text: string): void {
    const tmp = join(this.manifests, `.${file}.tmp`);
    writeFileSync(tmp, text);
    renameSync(tmp, join(this.manifests, file));
  }

  removeManifest(file: string): void {
    rmSync(join(this.manifests, file), { force: true });
  }

  /** Names of the pods in /pods. */
  async podNames(): Promise<string[]> {
    const res = await fetch(`http://127.0.0.1:${this.port}/pods`);
    return ((await res.json()) as { items: { metadata: { name: string } }[] }).items.map((p) => p.metadata.name);
  }

  /** Stops the process (SIGTERM) and removes its directories. */
  async dispose(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
