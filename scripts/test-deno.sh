#!/bin/bash
# Runs the core tests (tests/unit/core-*.test.ts) under Deno with uvu, printing uvu's usual
# "Total: / Passed: / Skipped:" summary; exits non-zero when any test fails.
# npm packages resolve from node_modules (deno.json: "nodeModulesDir": "manual"); build
# dist/core.wasm first (`npx tsx build.ts core`).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DENO=${DENO:-node_modules/.bin/deno}
[ -f dist/core.wasm ] || { echo "test-deno.sh: dist/core.wasm missing; run npx tsx build.ts core" >&2; exit 1; }
# uvu's own CLI is Node-only (require, sade); this runner does what uvu/run does: defer each
# file's test.run(), import the files in order, then execute the queue.
exec "$DENO" run -A --quiet --node-modules-dir=manual - "$@" <<'RUNNER'
import { readdirSync } from "node:fs";
import process from "node:process";

const pattern = new RegExp(Deno.args[0] ?? "^core-.*\\.test\\.ts$");
const files = readdirSync("tests/unit").filter((f) => pattern.test(f)).sort();
const g = globalThis as unknown as { UVU_DEFER: number; UVU_INDEX: number; UVU_QUEUE: unknown[][] };
g.UVU_DEFER = 1;
const uvu = await import("uvu");
let index = 0;
for (const file of files) {
  g.UVU_INDEX = index++;
  g.UVU_QUEUE.push([file]);
  await import(new URL(`tests/unit/${file}`, `file://${Deno.cwd()}/`).href);
}
console.log(`deno ${Deno.version.deno}: ${files.length} files`);
await uvu.exec();
Deno.exit(Number(process.exitCode ?? 0));
RUNNER
