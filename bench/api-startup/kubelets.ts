/**
 * The two kubelets under benchmark, both on the benchmark's own containerd and the testbed's
 * control plane, never running at the same time:
 *  - kubelet-ts in cluster mode (node `kts-bench`), the single executable built by run.sh
 *    (KTS_BENCH_BIN) or, with KTS_BENCH_BIN=tsx, from source with `node --import tsx`;
 *  - the upstream kubelet 1.20.2 through scripts/env/upstream-kubelet-up.sh / -down.sh with
 *    KTS_ENV pointing at the benchmark's env dir (its node name is the testbed's, $KTS_ENV/node-name).
 * Both register with a NoSchedule taint so the scheduler never places other engineers' pods there
 * (the benchmark's pods set spec.nodeName and bypass the scheduler).
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../../tests/integration/support/kubeletProcess.ts";
import { AdminApi, now } from "./api.ts";

export const BENCH_TAINT = "kts-bench";

/** A kubelet the benchmark can start, measure and stop. */
export interface BenchKubelet {
  /** "kubelet-ts", "upstream", or "kubelet-ts@base" for a second kubelet-ts build (A/B runs). */
  readonly label: string;
  readonly nodeName: string;
  /** What runs (binary, version). */
  describe(): string;
  /** Starts the process and resolves when its node reports Ready with a fresh heartbeat. */
  start(): Promise<void>;
  pid(): number;
  /** Stops the process (pods must be gone already). */
  stop(): Promise<void>;
}

export function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 300_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env, timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, out, stderr) => (err ? reject(new Error(`${cmd} ${args.join(" ")}: ${err.message}\n${stderr}\n${out}`.slice(0, 4000))) : resolve(out)));
  });
}


/** Resolves when node `name` is Ready=True with a heartbeat written at or after `since` (ms). */
export async function waitNodeReady(api: AdminApi, name: string, since: number, timeoutMs: number, alive: () => boolean): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!alive()) throw new Error(`${name}: kubelet exited before its node was Ready`);
    const node = await api.request("GET", `/api/v1/nodes/${name}`).catch(() => undefined);
    const ready = node?.status?.conditions?.find((c: { type: string }) => c.type === "Ready");
    if (ready?.status === "True" && Date.parse(ready.lastHeartbeatTime) >= Math.floor(since / 1000) * 1000) return now();
    if (Date.now() > deadline) throw new Error(`${name}: node not Ready after ${timeoutMs} ms (${JSON.stringify(ready ?? null)})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** kubelet-ts in cluster mode. */
export class KubeletTs implements BenchKubelet {
  readonly label: string;
  private child?: ChildProcess;
  private readonly dir: string;

  constructor(private readonly api: AdminApi, private readonly o: { benchEnv: string; testbedEnv: string; root: string; nodeName: string; bin: string; criEndpoint: string; verbosity: number; label?: string }) {
    this.label = o.label ?? "kubelet-ts";
    this.dir = join(o.benchEnv, "kts");
  }

  get nodeName(): string {
    return this.o.nodeName;
  }

  describe(): string {
    if (this.o.bin === "tsx") return "kubelet-ts from source (node --import tsx hosts/node/main.ts)";
    if (this.o.bin.startsWith("node:")) return `kubelet-ts traced bundle (profiling, port calls timed) node ${this.o.bin.slice(5)}`;
    return `${this.label} single executable ${this.o.bin}`;
  }

  pid(): number {
    return this.child?.pid ?? -1;
  }

  /** Node client certificate (CN=system:node:<name>, O=system:nodes) signed by the testbed CA, and a kubeconfig. */
  private async credentials(): Promise<string> {
    const kc = join(this.dir, "kubelet.kubeconfig");
    if (existsSync(kc)) return kc;
    const pki = join(this.o.testbedEnv, "pki");
    const key = join(this.dir, "node.key"), csr = join(this.dir, "node.csr"), crt = join(this.dir, "node.crt");
    await sh("openssl", ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-subj", `/O=system:nodes/CN=system:node:${this.o.nodeName}`, "-out", csr]);
    await sh("openssl", ["x509", "-req", "-in", csr, "-CA", `${pki}/ca.crt`, "-CAkey", `${pki}/ca.key`, "-set_serial", `0x${randomBytes(8).toString("hex")}`, "-days", "2", "-out", crt]);
    writeFileSync(kc, [
      "apiVersion: v1", "kind: Config", "current-context: node",
      "clusters:", "- name: testbed", "  cluster:", `    server: https://127.0.0.1:6443`, `    certificate-authority: ${pki}/ca.crt`,
      "contexts:", "- name: node", "  context: {cluster: testbed, user: node}",
      "users:", "- name: node", "  user:", `    client-certificate: ${crt}`, `    client-key: ${key}`, "",
    ].join("\n"));
    return kc;
  }

  async start(): Promise<void> {
    mkdirSync(join(this.dir, "root"), { recursive: true });
    const kubeconfig = await this.credentials();
    const port = await freePort();
    const config = join(this.dir, "config.yaml");
    writeFileSync(config, [
      "apiVersion: kubelet.config.k8s.io/v1beta1",
      "kind: KubeletConfiguration",
      "address: 127.0.0.1",
      `port: ${port}`,
      "healthzPort: 0",
      "cgroupDriver: cgroupfs",
      // pod cgroups apart from the testbed's /kubepods (other kubelets' pods)
      "cgroupRoot: /kts-bench",
      "clusterDomain: cluster.local",
      "clusterDNS: [10.96.0.10]",
      "resolvConf: /etc/resolv.conf",
      `registerWithTaints: [{key: ${BENCH_TAINT}, value: "true", effect: NoSchedule}]`,
      "",
    ].join("\n"));
    const args = ["--config", config, "--kubeconfig", kubeconfig, "--hostname-override", this.o.nodeName,
      "--container-runtime-endpoint", this.o.criEndpoint, "--root-dir", join(this.dir, "root"), "--v", String(this.o.verbosity)];
    // "tsx": from source; "node:<file.cjs>": a bundle run by node (the traced profiling build); else the executable
    const [cmd, argv] = this.o.bin === "tsx" ? [process.execPath, ["--import", "tsx", join(this.o.root, "hosts/node/main.ts"), ...args]]
      : this.o.bin.startsWith("node:") ? [process.execPath, [this.o.bin.slice(5), ...args]] : [this.o.bin, args];
    const logFd = openSync(join(this.o.benchEnv, "logs", "kubelet-ts.log"), "a");
    writeFileSync(logFd, `===== kubelet-ts start ${new Date().toISOString()}: ${cmd} ${argv.join(" ")}\n`);
    const since = Date.now();
    this.child = spawn(cmd, argv, { cwd: this.o.root, stdio: ["ignore", logFd, logFd], env: { ...process.env, KTS_TRACE_FILE: join(this.o.benchEnv, "logs", "trace.jsonl") } });
    const child = this.child;
    await waitNodeReady(this.api, this.o.nodeName, since, 90_000, () => child.exitCode === null && child.signalCode === null);
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill("SIGTERM");
    const t = setTimeout(() => c.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(t);
  }

  /** Deletes the Node and its Lease (end of the benchmark). */
  async forget(): Promise<void> {
    await this.api.request("DELETE", `/api/v1/nodes/${this.o.nodeName}`).catch(() => {});
    await this.api.request("DELETE", `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${this.o.nodeName}`).catch(() => {});
  }
}

/** The upstream Go kubelet 1.20.2 via the project's testbed scripts. */
export class UpstreamKubelet implements BenchKubelet {
  readonly label = "upstream";
  readonly nodeName: string;

  constructor(private readonly api: AdminApi, private readonly o: { benchEnv: string; root: string; k8sBin: string; verbosity: number }) {
    this.nodeName = readFileSync(join(o.benchEnv, "node-name"), "utf8").trim();
  }

  describe(): string {
    return `upstream kubelet ${join(this.o.k8sBin, "kubelet")} via scripts/env/upstream-kubelet-up.sh (--v=${this.o.verbosity}, --cgroup-root=/kts-bench-up${process.env.UPSTREAM_EXTRA_ARGS ? ` ${process.env.UPSTREAM_EXTRA_ARGS}` : ""})`;
  }

  private env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {
      ...process.env, KTS_ENV: this.o.benchEnv, K8S_BIN: this.o.k8sBin, KUBELET_V: String(this.o.verbosity),
      KUBELET_EXTRA_ARGS: `--cgroup-root=/kts-bench-up --register-with-taints=${BENCH_TAINT}=true:NoSchedule ${process.env.UPSTREAM_EXTRA_ARGS ?? ""}`.trim(), ...extra,
    };
  }

  pid(): number {
    const f = join(this.o.benchEnv, "pids", "kubelet.pid");
    return existsSync(f) ? Number(readFileSync(f, "utf8").trim()) : -1;
  }

  async start(): Promise<void> {
    // --cgroup-root must exist in every v1 controller before the kubelet starts.
    for (const c of readdirSync("/sys/fs/cgroup")) {
      if (c === "unified" || !existsSync(`/sys/fs/cgroup/${c}/cgroup.procs`)) continue;
      mkdirSync(`/sys/fs/cgroup/${c}/kts-bench-up`, { recursive: true });
    }
    // An existing node keeps its taints across registrations: taint it for the benchmark's duration.
    const node = await this.api.request("GET", `/api/v1/nodes/${this.nodeName}`).catch(() => undefined);
    if (node && !(node.spec?.taints ?? []).some((t: { key: string }) => t.key === BENCH_TAINT)) {
      await this.api.request("PATCH", `/api/v1/nodes/${this.nodeName}`, { spec: { taints: [...(node.spec?.taints ?? []), { key: BENCH_TAINT, value: "true", effect: "NoSchedule" }] } }, "application/merge-patch+json");
    }
    await sh("bash", [join(this.o.root, "scripts/env/upstream-kubelet-up.sh")], this.env(), 180_000);
  }

  async stop(): Promise<void> {
    await sh("bash", [join(this.o.root, "scripts/env/upstream-kubelet-down.sh")], this.env({ DRAIN: "1" }), 180_000);
  }

  /** Removes the benchmark's taint from the node (end of the benchmark). */
  async forget(): Promise<void> {
    const node = await this.api.request("GET", `/api/v1/nodes/${this.nodeName}`).catch(() => undefined);
    if (!node) return;
    const taints = (node.spec?.taints ?? []).filter((t: { key: string }) => t.key !== BENCH_TAINT);
    if (taints.length !== (node.spec?.taints ?? []).length) {
      await this.api.request("PATCH", `/api/v1/nodes/${this.nodeName}`, { spec: { taints: taints.length ? taints : null } }, "application/merge-patch+json").catch(() => {});
    }
  }
}
