/**
 * The hosts' Fs.fsCapacity (statfs) on a real temporary directory. Runs under Node (nodeFs) in the
 * unit tier and under Deno (denoFs, through node:fs compatibility) in the Deno tier
 * (scripts/test-deno.sh runs tests/unit/core-*.test.ts).
 */
import { mkdtempSync, rmSync, statfsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { nodeFs } from "../../hosts/node/fs.ts";
import type { Fs } from "../../kubelet/ports/fs.ts";

const denoHostFs = "../../hosts/deno/fs.ts";
const fs: Fs = typeof (globalThis as { Deno?: unknown }).Deno === "undefined" ? nodeFs : ((await import(denoHostFs)) as { denoFs: Fs }).denoFs;
const dir = mkdtempSync(join(tmpdir(), "kts-statfs-"));

test.after(() => rmSync(dir, { recursive: true, force: true }));

test("fsCapacity reports the filesystem holding the path, as statfs does", async () => {
  const cap = await fs.fsCapacity(dir);
  assert.ok(cap, "an existing directory has a filesystem");
  const s = statfsSync(dir);
  assert.is(cap!.capacityBytes, s.blocks * s.bsize);
  assert.ok(cap!.capacityBytes > 0);
  assert.ok(cap!.availableBytes <= cap!.freeBytes && cap!.freeBytes <= cap!.capacityBytes, "available <= free <= capacity");
  assert.is(cap!.inodes, s.files);
  assert.ok(cap!.inodesFree <= cap!.inodes);
});

test("fsCapacity is undefined for a path that does not exist", async () => {
  assert.is(await fs.fsCapacity(join(dir, "missing", "deeper")), undefined);
});

test.run();
