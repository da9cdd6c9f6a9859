/**
 * The core benchmark: Wasm core vs pure-TS twin in one process, at 100, 10,000 and 1,000,000
 * probes: ns per scheduled probe run, ns per backoff decision, ns per pod admission, bytes per
 * probe. Runs under Node (tsx) and Deno; bench/core/run.sh runs both.
 *
 *   node --expose-gc --import tsx bench/core/run.ts [--sizes=100,10000] [--reps=5] [--only=probes,backoff,admission,memory]
 *   deno run -A --v8-flags=--expose-gc bench/core/run.ts
 */
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import process from "node:process";
import { instantiateCore, type CoreExports } from "../../bindings/core/load.ts";
import { benchBackoffDecisions } from "./backoff.ts";
import { benchProbeMemory, benchProbeRuns, type Impl } from "./probes.ts";

type Admission = (n: number, impl: Impl, core: CoreExports) => { nsPerOp: number };

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const sizes = (arg("sizes") ?? "100,10000,1000000").split(",").map(Number);
const reps = Number(arg("reps") ?? 5);
const only = new Set((arg("only") ?? "probes,backoff,admission,memory").split(","));
const bytes = readFileSync(new URL("../../dist/core.wasm", import.meta.url));
const newCore = () => instantiateCore(bytes);
const heapUsed = () => process.memoryUsage().heapUsed;
const deno = (globalThis as { Deno?: { version: { deno: string; v8: string } } }).Deno;
const host = deno ? `deno ${deno.version.deno} (V8 ${deno.version.v8})` : `node ${process.version} (V8 ${process.versions.v8})`;

/** The other engineer's admission benchmark, when bench/core/admission.ts exists. */
async function loadAdmission(): Promise<Admission | undefined> {
  const path = "./admission.ts";
  try {
    return ((await import(path)) as { benchAdmission?: Admission }).benchAdmission;
  } catch {
    return undefined;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Median of `times` runs, alternating implementations so drift hits both alike. */
async function pair(times: number, run: (impl: Impl) => number | Promise<number>): Promise<[number, number]> {
  const w: number[] = [];
  const t: number[] = [];
  for (let i = 0; i < times; i++) {
    w.push(await run("wasm"));
    t.push(await run("twin"));
  }
  return [median(w), median(t)];
}

const rows: string[][] = [];
function row(metric: string, n: number, wasm: number | undefined, twin: number | undefined, digits = 0): void {
  const fmt = (x: number | undefined) => (x === undefined ? "n/a" : x.toFixed(digits));
  const ratio = wasm === undefined || twin === undefined ? "n/a" : `${(wasm / twin).toFixed(2)}x`;
  rows.push([metric, n.toLocaleString("en-US"), fmt(wasm), fmt(twin), ratio]);
  console.error(`  ${rows.at(-1)!.join("  ")}`);
}

const admission = await loadAdmission();
const core = await newCore();
console.error(`core benchmark on ${host}: sizes ${sizes.join(", ")}, ${reps} repetitions`);
for (const n of sizes) {
  const r = n >= 1_000_000 ? Math.max(1, Math.min(reps, 3)) : reps;
  if (only.has("probes")) {
    const [pw, pt] = await pair(r, (impl) => benchProbeRuns(n, impl, core).nsPerRun);
    row("probe run, due+report (ns)", n, pw, pt, 1);
  }
  if (only.has("backoff")) {
    const [bw, bt] = await pair(r, (impl) => benchBackoffDecisions(n, impl, core).nsPerDecision);
    row("backoff decision (ns)", n, bw, bt, 1);
  }
  if (only.has("admission") && admission) {
    const [aw, at] = await pair(r, (impl) => admission(n, impl, core).nsPerOp);
    row("pod admission (ns)", n, aw, at, 1);
  } else if (only.has("admission")) {
    row("pod admission (ns)", n, undefined, undefined);
  }
  if (only.has("memory")) {
    const mw = await benchProbeMemory(n, "wasm", newCore, heapUsed);
    const [, mt] = await pair(Math.min(r, 3), async (impl) => impl === "twin" ? (await benchProbeMemory(n, "twin", newCore, heapUsed)).bytesPerProbe : 0);
    row("memory per probe (bytes)", n, mw.bytesPerProbe, mt, 1);
    row("  of which wasm probe table", n, mw.tableBytesPerProbe, undefined, 1);
  }
}

const head = ["metric", "n", "wasm", "twin", "wasm/twin"];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
const load = loadavg().map((x) => x.toFixed(1)).join(" ");
console.log(`\n${host}, ${cpus().length} cpus, load average ${load} — medians of ${reps} (3 at 1,000,000); wasm/twin < 1 means Wasm is faster or smaller`);
console.log(line(head));
for (const r of rows) console.log(line(r));
if (!admission) console.log("pod admission: n/a (bench/core/admission.ts with benchAdmission(n, impl, core) not present yet)");
