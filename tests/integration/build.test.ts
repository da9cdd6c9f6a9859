import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) =>
  execFileSync(cmd, args, { cwd: ROOT, encoding: "utf8", env, stdio: ["ignore", "pipe", "pipe"], timeout: 300_000 });

test("build.ts produces core.wasm, the Node bundle and a single executable that prints its version", () => {
  const env = { ...process.env };
  delete env.DENORT_BIN;
  const out = run(process.execPath, ["--import", "tsx", "build.ts"], env);
  const wasm = readFileSync(`${ROOT}/dist/core.wasm`);
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(wasm));
  assert.equal(imports.map((i) => `${i.module}.${i.name}`), ["env.abort"]);
  assert.ok(statSync(`${ROOT}/dist/kubelet-ts.cjs`).size > 100_000, "bundle written");
  assert.ok(existsSync(`${ROOT}/dist/kubelet-ts`));
  assert.match(run(`${ROOT}/dist/kubelet-ts`, ["--version"]).trim(), /^kubelet-ts v\d+\.\d+\.\d+ \(kubelet v1\.20\.2\)$/);
  assert.match(out, /deno compile skipped: it needs a denort runtime binary/);
});

test("the Deno host runs the same CLI", () => {
  assert.match(run(`${ROOT}/node_modules/.bin/deno`, ["run", "-A", "hosts/deno/main.ts", "--version"]).trim(), /^kubelet-ts v\d+\.\d+\.\d+ \(kubelet v1\.20\.2\)$/);
});

test.run();
