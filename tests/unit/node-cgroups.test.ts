import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nodeCgroups } from "../../hosts/node/cgroups.ts";

/** A fake /sys/fs/cgroup: plain directories for some v1 controllers and the hybrid "unified" tree. */
function fakeRoot(): string {
  const root = mkdtempSync(join(tmpdir(), "kts-cgroups-"));
  for (const c of ["cpu", "memory", "cpuset", "unified"]) mkdirSync(join(root, c));
  return root;
}

const POD = "/kubepods/besteffort/podabc";

test("ensure creates the pod cgroup in the controllers the kubelet sets values in, with its limits", async () => {
  const root = fakeRoot();
  await nodeCgroups(root).ensure(POD, { cpuShares: 2, memoryLimitBytes: 1024 });
  assert.ok(existsSync(join(root, "cpu", POD)));
  assert.ok(existsSync(join(root, "memory", POD)));
  assert.not.ok(existsSync(join(root, "unified", POD)), "runc's, not the kubelet's");
  assert.is(readFileSync(join(root, "cpu", POD, "cpu.shares"), "utf8"), "2");
  assert.is(readFileSync(join(root, "memory", POD, "memory.limit_in_bytes"), "utf8"), "1024");
  rmSync(root, { recursive: true });
});

test("remove and exists cover every hierarchy, including the ones only runc created (cpuset, unified)", async () => {
  const root = fakeRoot();
  const cg = nodeCgroups(root);
  await cg.ensure(POD, {});
  mkdirSync(join(root, "cpuset", POD, "container1"), { recursive: true });
  mkdirSync(join(root, "unified", POD, "container1"), { recursive: true });
  assert.ok(await cg.remove(POD));
  for (const c of ["cpu", "memory", "cpuset", "unified"]) assert.not.ok(existsSync(join(root, c, POD)), c);
  mkdirSync(join(root, "unified", POD), { recursive: true });
  assert.ok(await cg.exists(POD), "a leftover in the unified tree still counts");
  rmSync(root, { recursive: true });
});

test("a repeated ensure with the same limits does not rewrite them; changed limits or a removed cgroup are redone", async () => {
  const root = fakeRoot();
  const cg = nodeCgroups(root);
  await cg.ensure(POD, { cpuShares: 2 });
  writeFileSync(join(root, "cpu", POD, "cpu.shares"), "999");
  await cg.ensure(POD, { cpuShares: 2 });
  assert.is(readFileSync(join(root, "cpu", POD, "cpu.shares"), "utf8"), "999", "unchanged limits are not written again");
  await cg.ensure(POD, { cpuShares: 4 });
  assert.is(readFileSync(join(root, "cpu", POD, "cpu.shares"), "utf8"), "4");
  rmSync(join(root, "cpu", POD), { recursive: true });
  await cg.ensure(POD, { cpuShares: 4 });
  assert.is(readFileSync(join(root, "cpu", POD, "cpu.shares"), "utf8"), "4", "re-created after someone removed it");
  rmSync(root, { recursive: true });
});

test.run();
