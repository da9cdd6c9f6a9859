/**
 * The process metrics every Go component exposes (client_golang's process collector), read at
 * scrape time from /proc through the Fs port as Go's procfs reads them, so both hosts report the
 * same: CPU seconds, resident and virtual memory, start time, open and maximum file descriptors.
 */
import type { Fs } from "../ports/fs.ts";
import type { MetricsRegistry } from "./registry.ts";

/** Linux reports /proc/<pid>/stat times in USER_HZ ticks (100 on every platform Go's procfs supports). */
const USER_HZ = 100;
/** /proc/<pid>/stat's rss is in pages; Go multiplies by os.Getpagesize(), which the Fs port cannot tell. */
const PAGE_SIZE = 4096;

/** What one read of /proc/self gives. */
export interface ProcessFacts {
  cpuSeconds: number;
  residentBytes: number;
  virtualBytes: number;
  startTimeSeconds: number;
  openFds?: number;
  maxFds?: number;
}

/** Parses /proc/self/stat (after the command name, which may hold spaces) with /proc/stat's btime. */
export function parseProcStat(stat: string, procStat: string): Omit<ProcessFacts, "openFds" | "maxFds"> {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).trim().split(/\s+/);
  // fields[0] is field 3 (state) of proc(5).
  const num = (field: number) => {
    const v = Number(fields[field - 3]);
    if (!Number.isFinite(v)) throw new Error(`/proc/self/stat: field ${field} is not a number`);
    return v;
  };
  const btime = /^btime\s+(\d+)$/m.exec(procStat);
  if (!btime) throw new Error("/proc/stat: no btime line");
  return {
    cpuSeconds: (num(14) + num(15)) / USER_HZ,
    startTimeSeconds: Number(btime[1]) + num(22) / USER_HZ,
    virtualBytes: num(23),
    residentBytes: num(24) * PAGE_SIZE,
  };
}

/** The soft "Max open files" limit from /proc/self/limits (undefined when unlimited or absent). */
export function parseMaxFds(limits: string): number | undefined {
  const m = /^Max open files\s+(\S+)/m.exec(limits);
  const v = m ? Number(m[1]) : NaN;
  return Number.isFinite(v) ? v : undefined;
}

/** Reads this process's facts from /proc (Linux only; rejects elsewhere). */
export async function readProcessFacts(fs: Fs): Promise<ProcessFacts> {
  const [stat, procStat] = await Promise.all([fs.readText("/proc/self/stat"), fs.readText("/proc/stat")]);
  const facts: ProcessFacts = parseProcStat(stat, procStat);
  facts.openFds = await fs.readDir("/proc/self/fd").then((d) => d.length, () => undefined);
  facts.maxFds = await fs.readText("/proc/self/limits").then(parseMaxFds, () => undefined);
  return facts;
}

/** Registers the process_* families in `registry`, refreshed from `read` at every scrape. */
export function registerProcessMetrics(registry: MetricsRegistry, read: () => Promise<ProcessFacts>): void {
  const cpu = registry.counter({ name: "process_cpu_seconds_total", help: "Total user and system CPU time spent in seconds." });
  const rss = registry.gauge({ name: "process_resident_memory_bytes", help: "Resident memory size in bytes." });
  const vsize = registry.gauge({ name: "process_virtual_memory_bytes", help: "Virtual memory size in bytes." });
  const start = registry.gauge({ name: "process_start_time_seconds", help: "Start time of the process since unix epoch in seconds." });
  const open = registry.gauge({ name: "process_open_fds", help: "Number of open file descriptors." });
  const max = registry.gauge({ name: "process_max_fds", help: "Maximum number of open file descriptors." });
  registry.onCollect(async () => {
    const f = await read();
    cpu.value = f.cpuSeconds;
    rss.set(f.residentBytes);
    vsize.set(f.virtualBytes);
    start.set(f.startTimeSeconds);
    if (f.openFds !== undefined) open.set(f.openFds);
    if (f.maxFds !== undefined) max.set(f.maxFds);
  });
}
