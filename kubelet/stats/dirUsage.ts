/**
 * Disk usage of a directory tree through the Fs port (upstream: `du` for volumes and container
 * logs). Sizes are apparent sizes (`du --apparent-size`), not allocated blocks; symlinks are counted,
 * not followed.
 */
import type { Fs } from "../ports/fs.ts";

/** Bytes and inodes under a directory (the directory itself included). */
export interface DirUsage { bytes: number; inodes: number }

/** Usage of the tree at `path`; undefined when it does not exist. Entries vanishing mid-walk are skipped. */
export async function dirUsage(fs: Pick<Fs, "readDir" | "stat">, path: string): Promise<DirUsage | undefined> {
  const top = await fs.stat(path).catch(() => undefined);
  if (!top) return undefined;
  const total: DirUsage = { bytes: top.size, inodes: 1 };
  if (!top.isDirectory) return total;
  const walk = async (dir: string): Promise<void> => {
    for (const e of await fs.readDir(dir).catch(() => [])) {
      const p = `${dir}/${e.name}`;
      const info = await fs.stat(p).catch(() => undefined);
      if (!info) continue;
      total.inodes += 1;
      total.bytes += info.size;
      if (info.isDirectory && !e.isSymlink) await walk(p);
    }
  };
  await walk(path);
  return total;
}
