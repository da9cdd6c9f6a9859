/**
 * Builds kubelet-ts: core.wasm (AssemblyScript), the Node daemon bundle, the Node single
 * executable (SEA) and, when a denort binary is available, the Deno single executable.
 *
 *   npx tsx build.ts            # everything
 *   npx tsx build.ts core       # only dist/core.wasm
 *   npx tsx build.ts core bundle sea deno   # any subset, in that order
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, "dist");
const bin = (name: string) => join(root, "node_modules", ".bin", name);

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  execFileSync(cmd, args, { cwd: root, stdio: "inherit", env });
}

function step(name: string, fn: () => void): void {
  const t0 = performance.now();
  fn();
  console.log(`[build] ${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/** core/ -> dist/core.wasm: optimized, stub runtime (no GC), only import is env.abort. */
export function buildCore(): string {
  mkdirSync(dist, { recursive: true });
  const out = join(dist, "core.wasm");
  run(bin("asc"), ["core/index.ts", "--outFile", out, "--textFile", join(dist, "core.wat"), "-O3", "--runtime", "stub"]);
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(out)));
  const foreign = imports.filter((i) => !(i.module === "env" && i.name === "abort"));
  if (foreign.length > 0) {
    throw new Error(`core.wasm must import only env.abort, but imports ${foreign.map((i) => `${i.module}.${i.name}`).join(", ")}`);
  }
  console.log(`[build] core.wasm: ${statSync(out).size} bytes`);
  return out;
}

/** hosts/node/main.ts -> dist/kubelet-ts.cjs, with core.wasm embedded (base64). */
export function buildBundle(): string {
  const wasm = join(dist, "core.wasm");
  if (!existsSync(wasm)) buildCore();
  const out = join(dist, "kubelet-ts.cjs");
  const embedded = JSON.stringify(readFileSync(wasm).toString("base64"));
  run(bin("esbuild"), ["hosts/node/main.ts", "--bundle", "--platform=node", "--format=cjs", "--target=node20",
    `--outfile=${out}`, `--define:KTS_EMBEDDED_CORE=${embedded}`, "--log-level=warning",
    // import.meta.url has no meaning in a CJS bundle; the embedded core makes it unnecessary.
    "--define:import.meta.url=\"file:///kubelet-ts.cjs\""]);
  console.log(`[build] bundle: ${statSync(out).size} bytes`);
  return out;
}

/** dist/kubelet-ts.cjs -> dist/kubelet-ts, a Node single executable application. */
export function buildSea(): string {
  const bundle = join(dist, "kubelet-ts.cjs");
  if (!existsSync(bundle)) buildBundle();
  const config = join(dist, "sea-config.json");
  const blob = join(dist, "sea-prep.blob");
  const out = join(dist, "kubelet-ts");
  writeFileSync(config, JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true }));
  run(process.execPath, ["--experimental-sea-config", config]);
  rmSync(out, { force: true });
  copyFileSync(process.execPath, out);
  chmodSync(out, 0o755);
  run(bin("postject"), [out, "NODE_SEA_BLOB", blob, "--sentinel-fuse", "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2"]);
  rmSync(blob, { force: true });
  const version = execFileSync(out, ["--version"], { encoding: "utf8" }).trim();
  console.log(`[build] single executable: ${out} (${(statSync(out).size / 1e6).toFixed(0)} MB) prints "${version}"`);
  return out;
}

/** hosts/deno/main.ts -> dist/kubelet-ts-deno via `deno compile`, only where a denort exists. */
export function buildDeno(): string | undefined {
  const denort = process.env.DENORT_BIN;
  if (!denort || !existsSync(denort)) {
    console.log("[build] deno compile skipped: it needs a denort runtime binary, which is not downloadable here; " +
      "set DENORT_BIN to a denort matching deno 2.9.5 to build dist/kubelet-ts-deno");
    return undefined;
  }
  const wasm = join(dist, "core.wasm");
  if (!existsSync(wasm)) buildCore();
  const out = join(dist, "kubelet-ts-deno");
  run(bin("deno"), ["compile", "--allow-all", "--include", wasm, "--output", out, "hosts/deno/main.ts"],
    { ...process.env, DENORT_BIN: denort });
  return out;
}

const steps: Record<string, () => unknown> = { core: buildCore, bundle: buildBundle, sea: buildSea, deno: buildDeno };

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const wanted = process.argv.slice(2);
  const names = wanted.length > 0 ? wanted : Object.keys(steps);
  for (const name of names) {
    const fn = steps[name];
    if (!fn) {
      console.error(`build.ts: unknown step "${name}"; steps are ${Object.keys(steps).join(", ")}`);
      process.exit(2);
    }
    step(name, fn);
  }
}
