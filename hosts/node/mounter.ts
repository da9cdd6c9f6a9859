/**
 * The `Mounter` port on Linux with util-linux's `mount`/`umount` commands (as upstream's mount
 * package runs them) and /proc/self/mounts for the mount table.
 */
import { execFile } from "node:child_process";
import { mkdir, open, readFile, readlink, realpath, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { HostFileType, MountInfo, Mounter } from "../../kubelet/ports/mounter.ts";

/** Linux O_PATH (not exported by node:fs): an fd that pins a file without opening it for I/O. */
const O_PATH = 0o10000000;

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 60_000 }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      const detail = String(stderr).trim() || err.message;
      reject(new Error(`${cmd} ${args.join(" ")} failed: ${detail}`));
    });
  });
}

/** Decodes the octal escapes (\040 space, \011 tab, \012 newline, \134 backslash) of /proc mounts fields. */
function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parses /proc/self/mounts text. */
export function parseProcMounts(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split("\n")) {
    const f = line.split(" ");
    if (f.length < 4) continue;
    out.push({ device: unescapeMountField(f[0]!), mountPoint: unescapeMountField(f[1]!), fsType: f[2]!, options: f[3]!.split(",") });
  }
  return out;
}

async function readMounts(): Promise<MountInfo[]> {
  return parseProcMounts(await readFile("/proc/self/mounts", "utf8"));
}

const within = (path: string, root: string) => path === root || path.startsWith(root === "/" ? "/" : `${root}/`);

async function isMountPoint(path: string): Promise<boolean> {
  const real = await realpath(path).catch(() => path);
  return (await readMounts()).some((m) => m.mountPoint === real);
}

/** Node's Mounter for Linux. */
export const nodeMounter: Mounter = {
  async mountTmpfs(target, opts = {}) {
    const options: string[] = [];
    if (opts.sizeBytes !== undefined) options.push(`size=${opts.sizeBytes}`);
    if (opts.mode !== undefined) options.push(`mode=${opts.mode.toString(8).padStart(4, "0")}`);
    await run("mount", ["-t", "tmpfs", ...(options.length ? ["-o", options.join(",")] : []), "tmpfs", target]);
  },

  async bindMount(source, target, opts = {}) {
    await run("mount", ["--bind", source, target]);
    if (opts.readOnly) await run("mount", ["-o", "remount,bind,ro", target]);
  },

  async bindSubPath(volumeRoot, subPath, target) {
    const root = await realpath(volumeRoot);
    // Follow every symlink while opening, then ask the kernel where the pinned file really is: the
    // check and the mount below both go through this fd, so later swaps cannot redirect the mount.
    const fh = await open(join(volumeRoot, subPath), O_PATH);
    try {
      const fdPath = `/proc/${process.pid}/fd/${fh.fd}`;
      const resolved = await readlink(fdPath);
      if (!within(resolved, root)) throw new Error(`subpath "${resolved}" not within volume path "${root}"`);
      const isDir = (await fh.stat()).isDirectory();
      if (await isMountPoint(target)) return; // a container restart reuses the existing bind mount
      await mkdir(isDir ? target : dirname(target), { recursive: true, mode: 0o750 });
      if (!isDir) await writeFile(target, "", { flag: "a", mode: 0o640 });
      await run("mount", ["--no-canonicalize", "--bind", fdPath, target]);
    } finally {
      await fh.close();
    }
  },

  async unmount(target) {
    // Mounts may be stacked; take them all off. A busy one is detached lazily.
    for (let i = 0; i < 16 && (await isMountPoint(target)); i++) {
      try {
        await run("umount", [target]);
      } catch {
        await run("umount", ["-l", target]);
      }
    }
  },

  async listMounts(path) {
    const base = await realpath(path).catch(() => path);
    return (await readMounts()).filter((m) => within(m.mountPoint, base));
  },

  async fileType(path): Promise<HostFileType | undefined> {
    let s;
    try {
      s = await stat(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
    if (s.isDirectory()) return "Directory";
    if (s.isSocket()) return "Socket";
    if (s.isCharacterDevice()) return "CharDevice";
    if (s.isBlockDevice()) return "BlockDevice";
    return "File";
  },

  realpath(path) {
    return realpath(path);
  },
};
