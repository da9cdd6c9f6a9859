/**
 * Runs kubelet-ts as a real child process for integration tests: its own node name (so it only sees
 * its own pods on the shared containerd), manifest dir, root dir and API port. Tests write manifests,
 * then read /pods and CRI to assert outcomes.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Pod } from "../../../bindings/kube/types.ts";
import { CRI_ENDPOINT } from "./cri.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** A TCP port on 127.0.0.1 that was free a moment ago (for kubelet API ports in tests). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

/** A kubelet-ts process under test. */
export class KubeletProcess {
  child?: ChildProcess;
  log = "";
  stdout = "";

  private constructor(
    readonly nodeName: string,
    readonly dir: string,
    readonly manifests: string,
    readonly rootDir: string,
    readonly port: number,
  ) {}

  /** Creates the directories and config; call start() to run it. */
  static async create(prefix = "kts-it"): Promise<KubeletProcess> {
    const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
    const nodeName = `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
    const manifests = join(dir, "manifests");
    const rootDir = join(dir, "root");
    mkdirSync(manifests);
    const port = await freePort();
    writeFileSync(join(dir, "config.yaml"), [
      "apiVersion: kubelet.config.k8s.io/v1beta1",
      "kind: KubeletConfiguration",
      `staticPodPath: ${manifests}`,
      "fileCheckFrequency: 1s",
      "address: 127.0.0.1",
      `port: ${port}`,
      "healthzPort: 0",
      "clusterDomain: cluster.local",
      "clusterDNS: [10.96.0.10]",
      "",
    ].join("\n"));
    return new KubeletProcess(nodeName, dir, manifests, rootDir, port);
  }

  /** Starts the kubelet and waits until its API answers. */
  async start(extraArgs: string[] = []): Promise<void> {
    this.child = spawn(process.execPath, [
      "--import", "tsx", join(ROOT, "hosts/node/main.ts"),
      "--config", join(this.dir, "config.yaml"),
      "--container-runtime-endpoint", CRI_ENDPOINT,
      "--hostname-override", this.nodeName,
      "--root-dir", this.rootDir,
      "--v", "2",
      ...extraArgs,
    ], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    this.child.stdout!.on("data", (d) => (this.stdout += d));
    this.child.stderr!.on("data", (d) => (this.log += d));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`kubelet-ts exited with ${this.child.exitCode}:\n${this.log.slice(-3000)}`);
      try {
        const res = await fetch(`http://127.0.0.1:${this.port}/healthz`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`kubelet-ts did not come up in 30 s:\n${this.log.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Stops the kubelet: SIGTERM (orderly) or SIGKILL (crash); containers keep running either way. */
  async stop(signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill(signal);
    await exited;
  }

  /** Writes a pod manifest (YAML or JSON text, or a Pod object as JSON) into the manifest dir. */
  writeManifest(file: string, content: string | Pod): void {
    const text = typeof content === "string" ? content : JSON.stringify(content);
    const tmp = join(this.manifests, `.${file}.tmp`);
    writeFileSync(tmp, text);
    // rename: the source never sees a half-written file
    renameSync(tmp, join(this.manifests, file));
  }

  removeManifest(file: string): void {
    rmSync(join(this.manifests, file), { force: true });
  }

  /** The static pod name the kubelet gives a manifest's pod (name suffixed with the node name). */
  podName(name: string): string {
    return `${name}-${this.nodeName}`;
  }

  /** The kubelet's /pods. */
  async pods(): Promise<Pod[]> {
    const res = await fetch(`http://127.0.0.1:${this.port}/pods`);
    if (!res.ok) throw new Error(`/pods answered ${res.status}`);
    return ((await res.json()) as { items: Pod[] }).items;
  }

  /** One pod from /pods by its manifest name, or undefined. */
  async pod(name: string): Promise<Pod | undefined> {
    return (await this.pods()).find((p) => p.metadata.name === this.podName(name));
  }

  /** Stops the process and removes its directories (runtime objects are the test's to check). */
  async dispose(): Promise<void> {
    await this.stop("SIGKILL");
    rmSync(this.dir, { recursive: true, force: true });
  }
}
