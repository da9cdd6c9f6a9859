/**
 * The hosts' Fs ports on a real temporary directory: readTail reads only a file's end. Runs under
 * Node (nodeFs) in the unit tier and under Deno (denoFs) in the Deno tier (scripts/test-deno.sh
 * runs tests/unit/core-*.test.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { nodeFs } from "../../hosts/node/fs.ts";
import type { Fs } from "../../kubelet/ports/fs.ts";

// The Deno host is loaded only under Deno (the Node typecheck has no Deno types).
const denoHostFs = "../../hosts/deno/fs.ts";
const fs: Fs = typeof (globalThis as { Deno?: unknown }).Deno === "undefined" ? nodeFs : ((await import(denoHostFs)) as { denoFs: Fs }).denoFs;
const dir = mkdtempSync(join(tmpdir(), "kts-fs-"));
const dec = new TextDecoder();

test.after(() => rmSync(dir, { recursive: true, force: true }));

test("readTail returns the last maxBytes bytes of a larger file", async () => {
  const p = join(dir, "big");
  writeFileSync(p, `${"x".repeat(100_000)}the end`);
  assert.is(dec.decode(await fs.readTail(p, 7)), "the end");
  assert.is((await fs.readTail(p, 4096)).length, 4096);
});

test("readTail returns a smaller file whole, and an empty file empty", async () => {
  writeFileSync(join(dir, "small"), "abc");
  writeFileSync(join(dir, "empty"), "");
  assert.is(dec.decode(await fs.readTail(join(dir, "small"), 4096)), "abc");
  assert.is((await fs.readTail(join(dir, "empty"), 4096)).length, 0);
});

test("readTail rejects for a missing file", async () => {
  let err: unknown;
  await fs.readTail(join(dir, "missing"), 10).catch((e) => (err = e));
  assert.ok(err instanceof Error, "rejected");
});

test.run();
