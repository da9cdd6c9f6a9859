/**
 * API pod startup benchmark: kubelet-ts vs the upstream kubelet 1.20.2, same containerd, same
 * control plane, same run, one kubelet at a time (order alternating across repetitions).
 *
 * For each kubelet: a pod created through the API with spec.nodeName set (no scheduler), the
 * pre-pulled busybox, imagePullPolicy IfNotPresent -> first watch event with phase Running and
 * Ready=True; measured from the watcher's clock just before the POST and from
 * metadata.creationTimestamp (server clock, 1 s resolution, so biased high by up to 1 s).
 *   seq-nosa  / seq-sa   : N pods one by one (automountServiceAccountToken false / default SA token volume)
 *   burst-nosa / burst-sa: B pods created at once
 * delete (grace 1 s) -> DELETED event for every pod; RSS and CPU of the kubelet process idle and with
 * B running pods (scripts/env/procstat.sh).
 *
 * Run through bench/api-startup/run.sh (which sets the environment up). Env knobs: REPS (2), N (20),
 * BURST (30), IDLE_S (30), LOAD_S (30), ONLY (comma list of kubelet labels), SCENARIOS (comma list),
 * BASE_BIN (a second kubelet-ts executable measured as "kubelet-ts@base", for A/B runs of a change).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Pod } from "../../bindings/kube/types.ts";
import { summarize } from "../pod-startup/stats.ts";
import { AdminApi, ApiMonitor, HttpError, now, PodWatcher } from "./api.ts";
import { BENCH_TAINT, KubeletTs, sh, UpstreamKubelet, type BenchKubelet } from "./kubelets.ts";
import { report, type PodResult, type ProcStat, type ScenarioResult, type Session } from "./report.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TB = process.env.KTS_ENV ?? "/tmp/kts";
const B = process.env.KTS_BENCH_ENV ?? "/tmp/kts-bench";
const NS = "kts-bench";
const IMAGE = "127.0.0.1:5000/busybox:latest";
const num = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
const REPS = num("REPS", 2);
const N = num("N", 20);
const BURST = num("BURST", 30);
const IDLE_S = num("IDLE_S", 30);
const LOAD_S = num("LOAD_S", 30);
const WAIT_MS = 180_000;
const SCENARIOS = (process.env.SCENARIOS ?? "seq-nosa,seq-sa,burst-nosa,burst-sa").split(",");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const r1 = (x: number) => Math.round(x * 10) / 10;

const api = new AdminApi(join(TB, "pki"));
const watcher = new PodWatcher(api, NS);
const monitor = new ApiMonitor(api, join(TB, "pids", "kube-apiserver.pid"), (f) => {
  try {
    return readFileSync(f, "utf8").trim();
  } catch {
    return "";
  }
});

function podSpec(name: string, node: string, sa: boolean): Pod {
  return {
    apiVersion: "v1", kind: "Pod",
    metadata: { name, namespace: NS, labels: { app: "kts-api-startup" } },
    spec: {
      nodeName: node,
      ...(sa ? {} : { automountServiceAccountToken: false }),
      tolerations: [{ key: BENCH_TAINT, operator: "Exists" }],
      containers: [{ name: "main", image: IMAGE, imagePullPolicy: "IfNotPresent", command: ["sleep", "3600"] }],
    },
  } as Pod;
}

async function createPod(name: string, node: string, sa: boolean): Promise<PodResult> {
  const t_req = now();
  const o = await api.request<Pod>("POST", `/api/v1/namespaces/${NS}/pods`, podSpec(name, node, sa));
  return { name, t_req, t_resp: now(), creationTimestamp: o.metadata.creationTimestamp! };
}

function fill(r: PodResult): void {
  const tr = watcher.traces.get(r.name);
  if (!tr) return;
  if (tr.readyAt !== undefined) {
    r.t_ready = tr.readyAt;
    r.ready_ms = tr.readyAt - r.t_req;
    r.ready_from_creationTs_ms = tr.readyAt - Date.parse(r.creationTimestamp);
  }
  if (tr.firstKubeletStatusAt !== undefined) r.first_status_ms = tr.firstKubeletStatusAt - r.t_req;
  if (tr.runningAt !== undefined) r.running_ms = tr.runningAt - r.t_req;
  r.events = tr.events.map((e) => ({ dt: r1(e.t - r.t_req), type: e.type, what: e.what }));
}

async function deletePods(rs: PodResult[]): Promise<void> {
  await Promise.all(rs.map(async (r) => {
    const t0 = now();
    await api.request("DELETE", `/api/v1/namespaces/${NS}/pods/${r.name}`, { kind: "DeleteOptions", apiVersion: "v1", gracePeriodSeconds: 1 }).catch((e) => {
      if (!(e instanceof HttpError && e.status === 404)) throw e;
    });
    const gone = await watcher.waitFor(r.name, "gone", WAIT_MS);
    r.delete_ms = gone - t0;
  }));
}

/** Deletes whatever is left in the namespace (grace 1 s, then force after 60 s) and waits until empty. */
async function cleanNamespace(force = false): Promise<void> {
  const list = await api.request(`GET`, `/api/v1/namespaces/${NS}/pods`);
  if (!list.items.length) return;
  await Promise.all(list.items.map((p: Pod) => api.request("DELETE", `/api/v1/namespaces/${NS}/pods/${p.metadata.name}`, { gracePeriodSeconds: force ? 0 : 1 }).catch(() => {})));
  const deadline = Date.now() + (force ? 30_000 : 60_000);
  while (Date.now() < deadline) {
    if (!(await api.request(`GET`, `/api/v1/namespaces/${NS}/pods`)).items.length) return;
    await sleep(250);
  }
  if (!force) return cleanNamespace(true);
}

async function procstat(pid: number, secs: number): Promise<ProcStat> {
  const raw = (await sh("bash", [join(ROOT, "scripts/env/procstat.sh"), String(pid), String(secs)])).trim();
  const get = (k: string) => Number(new RegExp(`${k}=([0-9.]+)`).exec(raw)?.[1] ?? NaN);
  return { rss_kb_median: get("rss_kb_median"), rss_kb_max: get("rss_kb_max"), cpu_pct_of_one_core: get("cpu_pct_of_one_core"), wall_s: get("wall_s"), raw };
}

async function runSeq(k: BenchKubelet, tag: string, sa: boolean): Promise<ScenarioResult> {
  const res: ScenarioResult = { scenario: sa ? "seq-sa" : "seq-nosa", pods: [], discarded: [] };
  for (let i = 0; res.pods.length < N; i++) {
    if (i >= 2 * N) throw new Error(`${res.scenario}: too many measurements disturbed by API server outages`);
    // a random pause so creations do not phase-lock with the kubelets' periodic loops (relist, status)
    await sleep(300 + Math.random() * 1000);
    await monitor.waitHealthy();
    const r = await createPod(`${tag}-${sa ? "sa" : "nosa"}-${i}`, k.nodeName, sa);
    let failure: unknown;
    try {
      await watcher.waitFor(r.name, "ready", WAIT_MS);
      fill(r);
      await sleep(500);
      await deletePods([r]);
      fill(r);
    } catch (err) {
      failure = err;
    }
    const why = monitor.overlapping(r.t_req, now());
    if (why.length) {
      res.discarded.push({ why, pods: [r] });
      console.log(`  ${k.label} ${res.scenario} ${r.name}: discarded, the API server was down meanwhile (${why.join("; ")})`);
      await monitor.waitHealthy();
      await cleanNamespace();
      continue;
    }
    if (failure) throw failure;
    res.pods.push(r);
    console.log(`  ${k.label} ${res.scenario} ${r.name}: ready ${r1(r.ready_ms!)} ms (creationTimestamp ${r1(r.ready_from_creationTs_ms!)}; first kubelet status ${r.first_status_ms === undefined ? "-" : r1(r.first_status_ms)}), delete->gone ${r1(r.delete_ms!)} ms`);
  }
  return res;
}

async function runBurst(k: BenchKubelet, tag: string, sa: boolean, session: Session, measureLoad: boolean): Promise<ScenarioResult> {
  const res: ScenarioResult = { scenario: sa ? "burst-sa" : "burst-nosa", pods: [], discarded: [] };
  for (let attempt = 0; ; attempt++) {
    await sleep(2000);
    await monitor.waitHealthy();
    const t0 = now();
    const prefix = `${tag}-b${sa ? "sa" : "nosa"}${attempt ? `${attempt}` : ""}`;
    let failure: unknown;
    let pods: PodResult[] = [];
    let allReadyMs: number | undefined;
    try {
      pods = await Promise.all(Array.from({ length: BURST }, (_, i) => createPod(`${prefix}-${i}`, k.nodeName, sa)));
      await Promise.all(pods.map((r) => watcher.waitFor(r.name, "ready", WAIT_MS)));
      pods.forEach(fill);
      allReadyMs = Math.max(...pods.map((r) => r.t_ready!)) - t0;
    } catch (err) {
      failure = err;
    }
    const why = monitor.overlapping(t0, now());
    if (why.length && attempt < 3) {
      res.discarded.push({ why, pods, allReadyMs });
      console.log(`  ${k.label} ${res.scenario}: discarded, the API server was down meanwhile (${why.join("; ")}); again`);
      await monitor.waitHealthy();
      await cleanNamespace();
      continue;
    }
    if (failure) throw failure;
    res.pods = pods;
    res.allReadyMs = allReadyMs;
    break;
  }
  const s = summarize(res.pods.map((r) => r.ready_ms!));
  console.log(`  ${k.label} ${res.scenario}: all ${BURST} Ready after ${r1(res.allReadyMs!)} ms; per pod p50 ${r1(s.median)} p99 ${r1(s.p99)} ms`);
  if (measureLoad) {
    await sleep(10_000);
    const t = now();
    session.load = await procstat(k.pid(), LOAD_S);
    session.loadPods = BURST;
    const why = monitor.overlapping(t, now());
    if (why.length) session.load.raw += ` (API server down meanwhile: ${why.join("; ")})`;
    console.log(`  ${k.label} with ${BURST} pods: ${session.load.raw}`);
  } else {
    await sleep(1000);
  }
  const td = now();
  let deleteFailure: unknown;
  await deletePods(res.pods).catch((e) => (deleteFailure = e));
  res.pods.forEach(fill);
  res.allGoneMs = Math.max(...res.pods.map((r) => watcher.traces.get(r.name)?.goneAt ?? NaN)) - td;
  const why = monitor.overlapping(td, now());
  if (deleteFailure && !why.length) throw deleteFailure;
  if (why.length) {
    // start figures stand; delete figures of this burst do not
    for (const r of res.pods) delete r.delete_ms;
    res.allGoneMs = undefined;
    console.log(`  ${k.label} ${res.scenario}: delete figures dropped, the API server was down meanwhile (${why.join("; ")})`);
    await monitor.waitHealthy();
    await cleanNamespace();
  } else {
    console.log(`  ${k.label} ${res.scenario}: all gone ${r1(res.allGoneMs)} ms after the deletes; delete->gone p50 ${r1(summarize(res.pods.map((r) => r.delete_ms!)).median)} ms`);
  }
  return res;
}

async function runSession(k: BenchKubelet, rep: number): Promise<Session> {
  const session: Session = { kubelet: k.label, rep, describe: k.describe(), pid: -1, scenarios: [], loadavg: { before: loadavg() } };
  console.log(`== rep ${rep}: ${k.describe()}`);
  const tag = `${k.label === "upstream" ? "up" : k.label === "kubelet-ts" ? "kts" : "base"}-r${rep}-${Date.now().toString(36).slice(-4)}`;
  const startKubelet = async () => {
    await monitor.waitHealthy();
    await cleanNamespace();
    const t0 = now();
    await k.start();
    session.pid = k.pid();
    session.nodeReadyMs = now() - t0;
    console.log(`  ${k.label} pid ${session.pid}: node ${k.nodeName} Ready ${r1(session.nodeReadyMs)} ms after start`);
  };
  let restarts = 0;
  let next = 0;
  let t0 = now();
  try {
    await startKubelet();
    await sleep(10_000);
    session.idle = await procstat(session.pid, IDLE_S);
    const why = monitor.overlapping(t0, now());
    if (why.length) session.idle.raw += ` (API server down meanwhile: ${why.join("; ")})`;
    console.log(`  ${k.label} idle: ${session.idle.raw}`);
    while (next < SCENARIOS.length) {
      const sc = SCENARIOS[next]!;
      t0 = now();
      try {
        if (sc === "seq-nosa") session.scenarios.push(await runSeq(k, `${tag}${restarts || ""}`, false));
        else if (sc === "seq-sa") session.scenarios.push(await runSeq(k, `${tag}${restarts || ""}`, true));
        else if (sc === "burst-nosa") session.scenarios.push(await runBurst(k, `${tag}${restarts || ""}`, false, session, false));
        else if (sc === "burst-sa") session.scenarios.push(await runBurst(k, `${tag}${restarts || ""}`, true, session, true));
        next++;
      } catch (err) {
        // an API server outage in the middle (other tests): restart the kubelet and redo this scenario
        const why = monitor.overlapping(t0, now());
        if (!why.length || restarts >= 3) throw err;
        restarts++;
        console.log(`  ${k.label} ${sc}: failed during an API server outage (${err instanceof Error ? err.message : err}); restarting the kubelet and repeating ${sc}`);
        await monitor.waitHealthy();
        await cleanNamespace().catch(() => {});
        await k.stop().catch(() => {});
        await cleanNamespace(true).catch(() => {});
        await startKubelet();
      }
    }
  } catch (err) {
    session.error = err instanceof Error ? err.message : String(err);
    console.error(`  ${k.label} rep ${rep} FAILED: ${session.error}`);
  } finally {
    session.loadavg.after = loadavg();
    await monitor.waitHealthy(2000).catch(() => {});
    await cleanNamespace().catch(() => {});
    await k.stop().catch((e) => console.error(`  stopping ${k.label}: ${e instanceof Error ? e.message : e}`));
    await cleanNamespace(true).catch(() => {});
    // anything the kubelet left in the runtime goes before the other kubelet starts
    await sh("node", ["--import", "tsx", join(ROOT, "bench/api-startup/criSweep.ts"), `unix://${B}/rt/containerd.sock`]).then((o) => o && process.stdout.write(`  ${o}`)).catch(() => {});
  }
  return session;
}

async function ensureNamespace(): Promise<void> {
  await api.request("GET", `/api/v1/namespaces/${NS}`).catch(async (e) => {
    if (!(e instanceof HttpError && e.status === 404)) throw e;
    await api.request("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
  });
  // pods with the default SA token volume need the SA and its token secret (token controller)
  const deadline = Date.now() + 60_000;
  for (;;) {
    const sa = await api.request("GET", `/api/v1/namespaces/${NS}/serviceaccounts/default`).catch(() => undefined);
    if (sa?.secrets?.length) return;
    if (Date.now() > deadline) throw new Error(`namespace ${NS}: no default service account token after 60 s`);
    await sleep(250);
  }
}

async function main(): Promise<void> {
  const bin = process.env.KTS_BENCH_BIN ?? "tsx";
  const verbosity = num("KUBELET_V", 1);
  const kts = new KubeletTs(api, { benchEnv: B, testbedEnv: TB, root: ROOT, nodeName: process.env.KTS_BENCH_NODE ?? "kts-bench", bin, criEndpoint: `unix://${B}/rt/containerd.sock`, verbosity });
  const up = new UpstreamKubelet(api, { benchEnv: B, root: ROOT, k8sBin: process.env.K8S_BIN ?? "/var/cache/k8s-1.20.2/bin", verbosity });
  const only = process.env.ONLY?.split(",");
  const base = process.env.BASE_BIN
    ? [new KubeletTs(api, { benchEnv: B, testbedEnv: TB, root: ROOT, nodeName: process.env.KTS_BENCH_NODE ?? "kts-bench", bin: process.env.BASE_BIN, criEndpoint: `unix://${B}/rt/containerd.sock`, verbosity, label: "kubelet-ts@base" })]
    : [];
  const all: BenchKubelet[] = [kts, ...base, up].filter((k) => !only || only.includes(k.label));
  const started = new Date();
  console.log(`# api-startup ${started.toISOString()} host: ${cpus().length} cpus, load ${loadavg().map((x) => x.toFixed(2)).join(" ")}; reps=${REPS} n=${N} burst=${BURST}`);
  console.log(`# commit ${(await sh("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"]).catch(() => "?")).trim()}${(await sh("git", ["-C", ROOT, "status", "--porcelain", "--untracked-files=no"]).catch(() => "")).trim() ? " (+ uncommitted changes in the tree)" : ""}`);
  monitor.start();
  await ensureNamespace();
  await watcher.start();
  const sessions: Session[] = [];
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    console.error("interrupted: cleaning up");
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    for (let rep = 1; rep <= REPS && !stopping; rep++) {
      const order = rep % 2 === 1 ? all : [...all].reverse();
      for (const k of order) {
        if (stopping) break;
        sessions.push(await runSession(k, rep));
      }
    }
  } finally {
    watcher.stop();
    monitor.stop();
    await kts.forget();
    await up.forget();
    await api.request("DELETE", `/api/v1/namespaces/${NS}`).catch(() => {});
  }
  const { lines, summary } = report(sessions, all.map((k) => k.label), { scenarios: SCENARIOS, burst: BURST });
  console.log("");
  for (const k of all) console.log(`# ${k.describe()}`);
  console.log(`# load average at the end: ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  for (const l of lines) console.log(l);
  const outDir = process.env.RESULTS_DIR ?? join(ROOT, "bench/api-startup/results");
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `api-startup-${started.toISOString().replace(/[:.]/g, "-")}.json`);
  if (monitor.outages.length) console.log(`# API server outages during the run (other tests; measurements overlapping them were repeated): ${monitor.outages.map((o) => `${new Date(o.from).toISOString().slice(11, 19)} for ${o.to ? ((o.to - o.from) / 1000).toFixed(0) : "?"} s (${o.why})`).join(", ")}`);
  writeFileSync(file, JSON.stringify({ started: started.toISOString(), host: { cpus: cpus().length }, outages: monitor.outages, config: { REPS, N, BURST, IDLE_S, LOAD_S, SCENARIOS, bin, verbosity }, kubelets: all.map((k) => k.describe()), summary, table: lines, sessions }, null, 1));
  console.log(`# results: ${file}`);
  process.exit(sessions.some((s) => s.error) ? 1 : 0);
}

main().catch((e) => {
  console.error(`api-startup: ${e instanceof Error ? e.stack : e}`);
  process.exit(1);
});
