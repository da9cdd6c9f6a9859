/**
 * The machine facts of Node.status.nodeInfo, read the way upstream's cAdvisor does: machine ID from
 * /etc/machine-id, system UUID from DMI (empty when unreadable, e.g. in a VM without DMI), boot ID
 * from the kernel, kernel release, OS image from /etc/os-release's PRETTY_NAME, GOOS/GOARCH spelling.
 */
import { readFile } from "node:fs/promises";
import { release } from "node:os";
import type { NodeHostFacts } from "../../kubelet/nodestatus/setters.ts";

const GOARCH: Record<string, string> = { x64: "amd64", arm64: "arm64", ia32: "386", arm: "arm", ppc64: "ppc64le", s390x: "s390x", riscv64: "riscv64" };

/** Node's `process.arch` in Go's GOARCH spelling (the kubernetes.io/arch label). */
export function goArch(arch: string = process.arch): string {
  return GOARCH[arch] ?? arch;
}

async function firstReadable(paths: string[]): Promise<string> {
  for (const p of paths) {
    try {
      const text = (await readFile(p, "utf8")).trim();
      if (text) return text;
    } catch {
      // try the next one
    }
  }
  return "";
}

/** PRETTY_NAME from an os-release file's text ("Linux" when absent, as cAdvisor reports). */
export function prettyName(osRelease: string): string {
  for (const line of osRelease.split("\n")) {
    const m = line.match(/^PRETTY_NAME=(.*)$/);
    if (m) return m[1]!.trim().replace(/^(["'])(.*)\1$/, "$2");
  }
  return "Linux";
}

/** Reads this machine's facts; `hostname` and `internalIP` come from the caller (flags, defaults). */
export async function readNodeHostFacts(opts: { hostname: string; internalIP?: string }): Promise<NodeHostFacts> {
  const [machineID, systemUUID, bootID, osRelease] = await Promise.all([
    firstReadable(["/etc/machine-id", "/var/lib/dbus/machine-id"]),
    firstReadable(["/sys/class/dmi/id/product_uuid", "/proc/device-tree/system-id", "/proc/device-tree/vm,uuid"]),
    firstReadable(["/proc/sys/kernel/random/boot_id"]),
    firstReadable(["/etc/os-release", "/usr/lib/os-release"]),
  ]);
  return {
    hostname: opts.hostname,
    internalIP: opts.internalIP,
    machineID,
    systemUUID,
    bootID,
    kernelVersion: release(),
    osImage: osRelease ? prettyName(osRelease) : "Linux",
    operatingSystem: process.platform,
    architecture: goArch(),
  };
}
