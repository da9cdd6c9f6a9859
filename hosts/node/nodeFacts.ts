/** Facts about this machine the kubelet needs: host name, node IP, capacity. */
import { readFile, statfs } from "node:fs/promises";
import { cpus, hostname, networkInterfaces, totalmem } from "node:os";

/** The node name upstream uses: the host name, lower-cased. */
export function defaultNodeName(): string {
  return hostname().toLowerCase();
}

/** The first non-internal IPv4 address (upstream's default node IP choice is similar). */
export function defaultHostIP(): string | undefined {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === "IPv4" && !a.internal && !a.address.startsWith("10.88.")) return a.address;
  }
  return undefined;
}

/** Machine capacity: milli-CPU, memory bytes, and the size of the filesystem holding `rootDir`. */
export async function machineCapacity(rootDir: string): Promise<{ cpuMilli: number; memoryBytes: number; ephemeralBytes: number }> {
  let ephemeralBytes = 0;
  try {
    const s = await statfs(rootDir);
    ephemeralBytes = s.blocks * s.bsize;
  } catch {
    // the root dir is created later; capacity 0 until then is harmless for standalone admission
  }
  return { cpuMilli: cpus().length * 1000, memoryBytes: totalmem(), ephemeralBytes };
}

/** Boot time from /proc/stat's btime (seconds since the epoch), as cAdvisor and upstream read it. */
export async function bootTimeMs(): Promise<number | undefined> {
  const text = await readFile("/proc/stat", "utf8").catch(() => "");
  const m = text.match(/^btime\s+(\d+)$/m);
  return m ? Number(m[1]) * 1000 : undefined;
}

/**
 * pid_max and the number of tasks (threads included, as sysinfo's procs that upstream reads) from
 * /proc: /proc/sys/kernel/pid_max and the "running/total" field of /proc/loadavg.
 */
export async function processLimits(): Promise<{ maxPid: number; running: number } | undefined> {
  const [pidMax, loadavg] = await Promise.all([
    readFile("/proc/sys/kernel/pid_max", "utf8").catch(() => ""),
    readFile("/proc/loadavg", "utf8").catch(() => ""),
  ]);
  const maxPid = Number(pidMax.trim());
  const running = Number(loadavg.split(/\s+/)[3]?.split("/")[1]);
  if (!pidMax.trim() || !Number.isFinite(maxPid) || !Number.isFinite(running)) return undefined;
  return { maxPid, running };
}
