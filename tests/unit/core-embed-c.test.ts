// core.wasm embedded in C through wasm2c (embed/c): builds the C program with gcc, runs it, and
// checks that it prints exactly what the JS bindings compute for the same fixed inputs.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { WasmKeyedBackoff } from "../../bindings/core/backoff.ts";
import { instantiateCore } from "../../bindings/core/load.ts";
import { WasmQuantityParser } from "../../bindings/core/quantity.ts";
import { bytes, milliCPU, WasmResourceAccounting, type ContainerResources, type PodResources } from "../../bindings/core/resources.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const wasmPath = fileURLToPath(new URL("../../dist/core.wasm", import.meta.url));

function hasTool(name: string): boolean {
  try { execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }); return true; } catch { return false; }
}

/** Builds and runs the C embedding; installs wabt/gcc first when missing (never skips). */
function runEmbedding(): string {
  if (!hasTool("wasm2c") || !hasTool("gcc")) {
    execFileSync("bash", [`${root}/scripts/env/tools-up.sh`], { stdio: "inherit", timeout: 300_000 });
  }
  const out = `${root}/dist/embed-c`;
  execFileSync("bash", [`${root}/embed/c/build.sh`, wasmPath, out], { stdio: ["ignore", "ignore", "inherit"], timeout: 300_000 });
  return execFileSync(`${out}/core-embed`, { encoding: "utf8", timeout: 30_000 });
}

/** The same inputs as embed/c/main.c, computed through the JS bindings, printed the same way. */
async function expectedOutput(): Promise<string> {
  const core = await instantiateCore(readFileSync(wasmPath));
  const lines = [`abiVersion ${core.abiVersion()}`];
  const backoff = new WasmKeyedBackoff(core, { table: 0, initialMs: 10000, maxMs: 300000 });
  const next = (t: number) => lines.push(`backoff next event=${t} now=${t} -> 0 ${backoff.next("c", t, t)}`);
  const since = (e: number, now: number) => {
    const inBackoff = backoff.inBackoffSince("c", e, now);
    lines.push(`backoff since event=${e} now=${now} -> ${inBackoff ? 1 : 0} ${backoff.get("c")}`);
  };
  for (let i = 0; i < 7; i++) next(i * 15000);
  since(90000, 150000);
  since(90000, 400000);
  next(2000000);

  const MiB = 1024 ** 2, GiB = 1024 ** 3;
  const ctr = (kind: ContainerResources["kind"], rc?: number, rm?: number, lc?: number, lm?: number): ContainerResources => ({
    kind,
    requests: { ...(rc === undefined ? {} : { cpu: milliCPU(rc) }), ...(rm === undefined ? {} : { memory: bytes(rm) }) },
    limits: { ...(lc === undefined ? {} : { cpu: milliCPU(lc) }), ...(lm === undefined ? {} : { memory: bytes(lm) }) },
  });
  const pods: PodResources[] = [
    { containers: [ctr("app", 500, GiB, 500, GiB)] },
    { containers: [ctr("app", 250, 512 * MiB, 1000, GiB), ctr("sidecar", 100, 64 * MiB), ctr("init", 2000)] },
    { containers: [ctr("app")] },
    { containers: [ctr("app", 100)], nodeCritical: true },
  ];
  lines.push("computePods -> 0");
  new WasmResourceAccounting(core).accountPods(pods, { memoryCapacity: bytes(8 * GiB), cpuPeriodUs: 100000 }).forEach((p, i) => {
    const g = p.cgroup;
    lines.push(`pod ${i} qos=${p.qos} cpu=${p.requests.cpu} memory=${p.requests.memory} shares=${g.cpuShares} ` +
      `quota=${g.cpuQuota ?? -1} period=${g.cpuPeriod ?? -1} memoryLimit=${g.memoryLimit ?? -1} weight=${g.cpuWeight} oom=${p.oomScoreAdj.join(",")}`);
  });

  const inputs = ["500m", "1.5Gi", "2e3", "0.1", "100Mi", "1.1.M", "8Ei"];
  new WasmQuantityParser(core).parseMany(inputs, { canonical: true }).forEach((q, i) => {
    const code = q.ok ? (q.valueSaturated ? 2 : 0) | (q.milliSaturated ? 1 : 0) : q.code;
    lines.push(`quantity ${inputs[i]} code=${code} value=${q.ok ? q.value : 0} milli=${q.ok ? q.milli : 0} canonical=${q.ok ? q.canonical : ""}`);
  });
  return lines.join("\n") + "\n";
}

test("the wasm2c-compiled core prints the same backoff, QoS, cgroup and quantity results as the JS bindings", async () => {
  const actual = runEmbedding();
  assert.fixture(actual, await expectedOutput());
});

test.run();
