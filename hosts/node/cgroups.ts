/**
 * The `Cgroups` port on a cgroup v1 (or hybrid) hierarchy under /sys/fs/cgroup, cgroupfs driver.
 * The kubelet creates pod cgroups in the controllers it sets values in; runc adds the same path in
 * every other hierarchy it joins (cpuset, and in hybrid mode the cgroup2 "unified" one), so removal
 * and existence look at every hierarchy mounted under the root, as libcontainer's Destroy does.
 */
import { mkdir, readdir, rmdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { nodeCgroupStats } from "./cgroupStats.ts";
import type { CgroupLimits, Cgroups, CgroupWriteFailure } from "../../kubelet/ports/cgroups.ts";

const CONTROLLERS = ["cpu", "cpuacct", "memory", "pids", "blkio", "devices", "freezer", "hugetlb", "net_cls", "perf_event", "systemd"];

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** cgroup v1 controllers under `root` (default /sys/fs/cgroup). */
export function nodeCgroups(root = "/sys/fs/cgroup"): Cgroups {
  let mounted: Promise<string[]> | undefined;
  const controllers = () => (mounted ??= (async () => {
    const out: string[] = [];
    for (const c of CONTROLLERS) if (await isDir(join(root, c))) out.push(c);
    return out;
  })());
  let all: Promise<string[]> | undefined;
  const hierarchies = () => (all ??= (async () => {
    const out: string[] = [];
    for (const e of await readdir(root, { withFileTypes: true }).catch(() => [])) if (e.isDirectory()) out.push(e.name);
    return out;
  })());
  const write = async (c: string, path: string, file: string, value: number | undefined) => {
    if (value === undefined) return;
    await writeFile(join(root, c, path, file), String(value)).catch(() => {});
  };
  // Paths this process created, with the limits it wrote: every sync of a pod ensures its cgroup,
  // and re-creating it in every controller each time was ~1 ms of CPU per sync. A repeat with the
  // same limits only checks that the cgroup is still there (someone may have removed it).
  const ensured = new Map<string, string>();
  const accounting = nodeCgroupStats(root);
  return {
    stats: (path: string) => accounting.stats(path),
    async ensure(path: string, limits: CgroupLimits = {}) {
      const key = JSON.stringify(limits);
      const first = (await controllers())[0];
      if (ensured.get(path) === key && (first === undefined || (await isDir(join(root, first, path))))) return;
      ensured.delete(path);
      // In parallel: this is on every pod's start path (sequentially ~5 ms for a new pod).
      await Promise.all((await controllers()).map((c) => mkdir(join(root, c, path), { recursive: true })));
      await Promise.all([
        write("cpu", path, "cpu.shares", limits.cpuShares),
        // period before quota: the kernel checks a quota against the current period
        write("cpu", path, "cpu.cfs_period_us", limits.cpuPeriod).then(() => write("cpu", path, "cpu.cfs_quota_us", limits.cpuQuota)),
        write("memory", path, "memory.limit_in_bytes", limits.memoryLimitBytes),
        write("pids", path, "pids.max", limits.pidsLimit),
      ]);
      ensured.set(path, key);
    },
    async remove(path: string) {
      ensured.delete(path);
      let ok = true;
      for (const c of await hierarchies()) {
        const dir = join(root, c, path);
        if (!(await isDir(dir))) continue;
        // Children first (container cgroups runc left behind, then the pod's own).
        const rmTree = async (d: string): Promise<void> => {
          for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) if (e.isDirectory()) await rmTree(join(d, e.name));
          await rmdir(d).catch(() => { ok = false; });
        };
        await rmTree(dir);
      }
      return ok;
    },
    async exists(path: string) {
      for (const c of await hierarchies()) if (await isDir(join(root, c, path))) return true;
      return false;
    },
    async set(path: string, limits: CgroupLimits) {
      ensured.delete(path);
      const failures: CgroupWriteFailure[] = [];
      const have = new Set(await controllers());
      const put = async (c: string, file: string, value: number | undefined) => {
        if (value === undefined || !have.has(c)) return;
        await writeFile(join(root, c, path, file), String(value)).catch((err: NodeJS.ErrnoException) => {
          failures.push({ file, value, message: err.code ? `${err.code}: ${err.message}` : String(err) });
        });
      };
      await Promise.all([
        put("cpu", "cpu.shares", limits.cpuShares),
        put("cpu", "cpu.cfs_period_us", limits.cpuPeriod).then(() => put("cpu", "cpu.cfs_quota_us", limits.cpuQuota)),
        put("memory", "memory.limit_in_bytes", limits.memoryLimitBytes),
        put("pids", "pids.max", limits.pidsLimit),
      ]);
      return failures;
    },
    async children(path: string) {
      for (const c of await controllers()) {
        const dir = join(root, c, path);
        if (await isDir(dir)) return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
      }
      return [];
    },
  };
}
