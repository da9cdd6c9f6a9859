// Loading core.wasm: the same bytes and bindings work in Node, Deno and browsers.
import { readFileSync, readdirSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { EXPECTED_ABI_VERSION, instantiateCore } from "../../bindings/core/load.ts";
import { BackoffTable, WasmKeyedBackoff } from "../../bindings/core/backoff.ts";
import { ProbeKind, WasmProbeScheduler } from "../../bindings/core/probes.ts";

const bytes = readFileSync(new URL("../../dist/core.wasm", import.meta.url));

test("core.wasm imports only env.abort", () => {
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(bytes));
  assert.equal(imports.map((i) => `${i.module}.${i.name}`), ["env.abort"]);
});

test("core.wasm exports what the probe and backoff bindings call", () => {
  const names = new Set(WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => e.name));
  const wanted = [
    "memory", "abiVersion", "probesBuffer", "probesBufferBytes", "probesInit", "probesAdd", "probesRemove", "probesRestart",
    "probesDue", "probesReport", "probesQuery", "probesNextDue", "probesCount", "probesBytes", "backoffBuffer",
    "backoffBufferBytes", "backoffInit", "backoffConfigure", "backoffNext", "backoffInBackoffSince",
    "backoffInBackoffSinceUpdate", "backoffDecide", "backoffGet", "backoffReset", "backoffGc", "backoffCount",
  ];
  assert.equal(wanted.filter((n) => !names.has(n)), []);
});

test("instantiateCore accepts bytes or a compiled module and checks the ABI version", async () => {
  const fromBytes = await instantiateCore(bytes);
  const fromModule = await instantiateCore(new WebAssembly.Module(bytes));
  assert.is(fromBytes.abiVersion(), EXPECTED_ABI_VERSION);
  assert.is(fromModule.abiVersion(), EXPECTED_ABI_VERSION);
});

test("each core instance has its own probe and backoff tables", async () => {
  const a = await instantiateCore(bytes);
  const b = await instantiateCore(bytes);
  const pa = new WasmProbeScheduler(a, { seed: 1, kubeletStartedAt: 0 });
  const pb = new WasmProbeScheduler(b, { seed: 1, kubeletStartedAt: 0 });
  pa.add([{ kind: ProbeKind.Readiness, periodSeconds: 1, initialDelaySeconds: 0, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 1, containerStartedAt: 0 }], 0);
  assert.is(pa.size, 1);
  assert.is(pb.size, 0);
  new WasmKeyedBackoff(a, { table: BackoffTable.ContainerRestart }).next("k", 0, 0);
  assert.is(new WasmKeyedBackoff(b, { table: BackoffTable.ContainerRestart }).size, 0);
});

test("the core bindings import no runtime-specific module, so browsers can load them", () => {
  for (const dir of ["../../bindings/core/", "../../bindings/core/twin/"]) {
    const url = new URL(dir, import.meta.url);
    for (const file of readdirSync(url).filter((f) => f.endsWith(".ts"))) {
      const code = readFileSync(new URL(file, url), "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
      assert.not.match(code, /from\s+["'](node:|npm:|jsr:)|\bDeno\.|\bprocess\.|\bBuffer\./, `${dir}${file}`);
    }
  }
});

test.run();
