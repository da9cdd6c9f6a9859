/**
 * The hosts' Fs ports on a real temporary directory: readTail / readRange read only part of a
 * file, stat reports its identity. Runs under
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

test("readRange reads from an offset, fewer bytes at the end of the file", async () => {
  const p = join(dir, "range");
  writeFileSync(p, "0123456789");
  assert.is(dec.decode(await fs.readRange(p, 2, 3)), "234");
  assert.is(dec.decode(await fs.readRange(p, 8, 100)), "89");
  assert.is((await fs.readRange(p, 10, 5)).length, 0);
});

test("stat reports the file's identity: a rename keeps it, a re-created file has a new one", async () => {
  const p = join(dir, "ident");
  writeFileSync(p, "a");
  const first = (await fs.stat(p))!.ino;
  assert.ok(first !== undefined && first > 0);
  await fs.rename(p, `${p}.old`);
  assert.is((await fs.stat(`${p}.old`))!.ino, first);
  writeFileSync(p, "b");
  assert.is.not((await fs.stat(p))!.ino, first);
});

test("readTail rejects for a missing file", async () => {
  let err: unknown;
  await fs.readTail(join(dir, "missing"), 10).catch((e) => (err = e));
  assert.ok(err instanceof Error, "rejected");
});

test.run();
