/** The Node host's cgroup accounting reader on fake /sys/fs/cgroup trees (v1 hybrid and pure v2). */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nodeCgroups } from "../../hosts/node/cgroups.ts";
import { nodeCgroupStats, parseFlatKeyed } from "../../hosts/node/cgroupStats.ts";

const POD = "/kubepods/burstable/podabc";

function write(root: string, rel: string, files: Record<string, string>) {
  mkdirSync(join(root, rel), { recursive: true });
  for (const [f, t] of Object.entries(files)) writeFileSync(join(root, rel, f), t);
}

function v1Root(): string {
  const root = mkdtempSync(join(tmpdir(), "kts-cgstats-v1-"));
  write(root, join("cpuacct", POD), { "cpuacct.usage": "5000000000\n", "cgroup.procs": "10\n11\n" });
  write(root, join("cpuacct", POD, "ctr1"), { "cpuacct.usage": "1", "cgroup.procs": "12\n" });
  write(root, join("memory", POD), {
    "memory.usage_in_bytes": "104857600\n",
    "memory.limit_in_bytes": "209715200\n",
    "memory.stat": "cache 1\nrss 2\npgfault 300\npgmajfault 4\ninactive_file 5\ntotal_rss 41943040\ntotal_inactive_file 20971520\ntotal_pgfault 999\n",
  });
  mkdirSync(join(root, "unified"));
  return root;
}

test("v1: cpuacct.usage, memory usage, hierarchical rss and inactive file, the cgroup's own faults, limit, processes", async () => {
  const root = v1Root();
  const s = await nodeCgroupStats(root).stats(POD);
  assert.ok(s);
  assert.is(s!.cpuUsageNanos, 5_000_000_000);
  assert.is(s!.memoryUsageBytes, 100 << 20);
  assert.is(s!.memoryInactiveFileBytes, 20 << 20, "total_inactive_file, as cAdvisor");
  assert.is(s!.memoryRssBytes, 40 << 20, "total_rss");
  assert.is(s!.pageFaults, 300, "pgfault of the cgroup itself, as cAdvisor's ContainerData");
  assert.is(s!.majorPageFaults, 4);
  assert.is(s!.memoryLimitBytes, 200 << 20);
  assert.is(s!.processCount, 3, "the pod's and its containers' processes");
  assert.type(s!.createdAtMs, "number");
  rmSync(root, { recursive: true });
});

test("v1: an unlimited memory limit is left out; a missing cgroup is undefined; the root skips the process walk", async () => {
  const root = v1Root();
  write(root, "cpuacct", { "cpuacct.usage": "7" });
  write(root, "memory", { "memory.usage_in_bytes": "9", "memory.limit_in_bytes": "9223372036854771712\n", "memory.stat": "total_inactive_file 1\n" });
  const reader = nodeCgroupStats(root);
  const s = await reader.stats("/");
  assert.is(s!.cpuUsageNanos, 7);
  assert.is(s!.memoryLimitBytes, undefined);
  assert.is(s!.processCount, undefined);
  assert.is(await reader.stats("/kubepods/podmissing"), undefined);
  rmSync(root, { recursive: true });
});

test("v2: cpu.stat usage_usec, memory.current, anon, inactive_file, memory.max", async () => {
  const root = mkdtempSync(join(tmpdir(), "kts-cgstats-v2-"));
  writeFileSync(join(root, "cgroup.controllers"), "cpu memory pids\n");
  write(root, POD, {
    "cpu.stat": "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n",
    "memory.current": "1000\n",
    "memory.max": "max\n",
    "memory.stat": "anon 600\nfile 400\ninactive_file 300\npgfault 12\npgmajfault 1\n",
    "cgroup.procs": "1\n",
  });
  const s = await nodeCgroupStats(root).stats(POD);
  assert.equal(
    { ...s, createdAtMs: undefined },
    { cpuUsageNanos: 2_500_000, memoryUsageBytes: 1000, memoryInactiveFileBytes: 300, memoryRssBytes: 600, pageFaults: 12, majorPageFaults: 1, processCount: 1, createdAtMs: undefined },
  );
  rmSync(root, { recursive: true });
});

test("the Cgroups port answers stats through the same reader", async () => {
  const root = v1Root();
  assert.is((await nodeCgroups(root).stats!(POD))?.cpuUsageNanos, 5_000_000_000);
  rmSync(root, { recursive: true });
});

test("parseFlatKeyed skips blank and malformed lines", () => {
  assert.equal([...parseFlatKeyed("a 1\n\nb x\nc 3 \n")], [["a", 1], ["c", 3]]);
});

test.run();
