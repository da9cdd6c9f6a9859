/**
 * The `CgroupStatsReader` port on /sys/fs/cgroup: cgroup v1 (and hybrid, where the kubelet's
 * controllers are v1) reads cpuacct and memory; a pure cgroup v2 host reads the unified files.
 * Values are what cAdvisor reports upstream (memory page faults of the cgroup itself, rss and
 * inactive file cache hierarchical).
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { CgroupStats, CgroupStatsReader } from "../../kubelet/ports/cgroupStats.ts";

/** Limits at or above this are "unlimited" (v1 reports 2^63 rounded down to a page). */
const UNLIMITED = 2 ** 60;

const readText = (p: string) => readFile(p, "utf8").catch(() => undefined);

async function readNumber(p: string): Promise<number | undefined> {
  const t = (await readText(p))?.trim();
  if (t === undefined || t === "" || t === "max") return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/** `key value` lines (memory.stat, cpu.stat) as a map. */
export function parseFlatKeyed(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && Number.isFinite(Number(v))) out.set(k, Number(v));
  }
  return out;
}

async function processCount(dir: string): Promise<number | undefined> {
  const procs = await readText(join(dir, "cgroup.procs"));
  if (procs === undefined) return undefined;
  let n = procs.split("\n").filter((l) => l.trim() !== "").length;
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (e.isDirectory()) n += (await processCount(join(dir, e.name))) ?? 0;
  }
  return n;
}

const limit = (n: number | undefined) => (n !== undefined && n < UNLIMITED ? n : undefined);

/** Strips undefined fields, so a reading has only what was read. */
function defined(s: CgroupStats): CgroupStats {
  return Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)) as CgroupStats;
}

/** Cgroup accounting under `root` (default /sys/fs/cgroup). */
export function nodeCgroupStats(root = "/sys/fs/cgroup"): CgroupStatsReader {
  let mode: Promise<"v1" | "v2" | "none"> | undefined;
  const detect = () => (mode ??= (async () => {
    if ((await stat(join(root, "cpuacct")).catch(() => undefined))?.isDirectory()) return "v1";
    if ((await stat(join(root, "cgroup.controllers")).catch(() => undefined))?.isFile()) return "v2";
    return "none";
  })());
  return {
    async stats(path) {
      const m = await detect();
      if (m === "v1") {
        const cpuDir = join(root, "cpuacct", path);
        const memDir = join(root, "memory", path);
        const st = await stat(cpuDir).catch(() => undefined);
        if (!st?.isDirectory()) return undefined;
        const [cpu, usage, lim, memStat, procs] = await Promise.all([
          readNumber(join(cpuDir, "cpuacct.usage")),
          readNumber(join(memDir, "memory.usage_in_bytes")),
          readNumber(join(memDir, "memory.limit_in_bytes")),
          readText(join(memDir, "memory.stat")),
          path === "/" ? undefined : processCount(cpuDir),
        ]);
        const ms = parseFlatKeyed(memStat ?? "");
        return defined({
          cpuUsageNanos: cpu, memoryUsageBytes: usage, memoryLimitBytes: limit(lim),
          memoryInactiveFileBytes: ms.get("total_inactive_file"), memoryRssBytes: ms.get("total_rss"),
          pageFaults: ms.get("pgfault"), majorPageFaults: ms.get("pgmajfault"),
          processCount: procs, createdAtMs: st.mtimeMs,
        });
      }
      if (m === "v2") {
        const dir = join(root, path);
        const st = await stat(dir).catch(() => undefined);
        if (!st?.isDirectory()) return undefined;
        const [cpuStat, usage, lim, memStat, procs] = await Promise.all([
          readText(join(dir, "cpu.stat")),
          readNumber(join(dir, "memory.current")),
          readNumber(join(dir, "memory.max")),
          readText(join(dir, "memory.stat")),
          path === "/" ? undefined : processCount(dir),
        ]);
        const cs = parseFlatKeyed(cpuStat ?? "");
        const ms = parseFlatKeyed(memStat ?? "");
        const usec = cs.get("usage_usec");
        return defined({
          cpuUsageNanos: usec === undefined ? undefined : usec * 1000,
          // The v2 root has no memory.current; cAdvisor then leaves usage to /proc/meminfo (not read here).
          memoryUsageBytes: usage, memoryLimitBytes: limit(lim),
          memoryInactiveFileBytes: ms.get("inactive_file"), memoryRssBytes: ms.get("anon"),
          pageFaults: ms.get("pgfault"), majorPageFaults: ms.get("pgmajfault"),
          processCount: procs, createdAtMs: st.mtimeMs,
        });
      }
      return undefined;
    },
  };
}
