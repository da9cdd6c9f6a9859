/**
 * A Mounter for unit tests: real paths on disk (types, realpath, subPath containment) but a mount
 * table kept in memory, so volume logic is tested without root or util-linux.
 */
import { mkdirSync, realpathSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { HostFileType, MountInfo, Mounter } from "../../../kubelet/ports/mounter.ts";

/** The fake; `mounts` is the simulated mount table, `calls` what was asked of it. */
export class FakeMounter implements Mounter {
  readonly mounts: MountInfo[] = [];
  readonly calls: string[] = [];
  /** Mount points whose unmount is refused (simulates a stuck mount). */
  readonly stuck = new Set<string>();

  private real(p: string): string {
    try {
      return realpathSync(p);
    } catch {
      return p;
    }
  }

  async mountTmpfs(target: string, opts: { sizeBytes?: number; mode?: number } = {}) {
    this.calls.push(`tmpfs ${target}${opts.sizeBytes ? ` size=${opts.sizeBytes}` : ""}`);
    this.mounts.push({ device: "tmpfs", mountPoint: this.real(target), fsType: "tmpfs", options: opts.sizeBytes ? [`size=${opts.sizeBytes}`] : [] });
  }

  async bindMount(source: string, target: string) {
    this.calls.push(`bind ${source} ${target}`);
    this.mounts.push({ device: source, mountPoint: this.real(target), fsType: "none", options: ["bind"] });
  }

  async bindSubPath(volumeRoot: string, subPath: string, target: string) {
    const root = realpathSync(volumeRoot);
    const resolved = realpathSync(join(volumeRoot, subPath));
    if (resolved !== root && !resolved.startsWith(`${root}/`)) throw new Error(`subpath "${resolved}" not within volume path "${root}"`);
    const isDir = statSync(resolved).isDirectory();
    mkdirSync(isDir ? target : dirname(target), { recursive: true });
    if (!isDir) writeFileSync(target, "", { flag: "a" });
    this.calls.push(`subpath ${subPath} ${target}`);
    this.mounts.push({ device: resolved, mountPoint: this.real(target), fsType: "none", options: ["bind"] });
  }

  async unmount(target: string) {
    const real = this.real(target);
    if (this.stuck.has(real)) return;
    this.calls.push(`umount ${target}`);
    for (let i = this.mounts.length - 1; i >= 0; i--) if (this.mounts[i]!.mountPoint === real) this.mounts.splice(i, 1);
  }

  async listMounts(path: string) {
    const base = this.real(path);
    return this.mounts.filter((m) => m.mountPoint === base || m.mountPoint.startsWith(`${base}/`));
  }

  async fileType(path: string): Promise<HostFileType | undefined> {
    let s;
    try {
      s = statSync(path);
    } catch {
      return undefined;
    }
    if (s.isDirectory()) return "Directory";
    if (s.isSocket()) return "Socket";
    if (s.isCharacterDevice()) return "CharDevice";
    if (s.isBlockDevice()) return "BlockDevice";
    return "File";
  }

  async realpath(path: string) {
    return realpathSync(path);
  }
}
