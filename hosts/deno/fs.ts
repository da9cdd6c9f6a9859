/** The `Fs` port on Deno's file APIs (statfs through Deno's Node compatibility: Deno has no native one). */
import { statfs } from "node:fs/promises";
import type { DirEntry, Fs } from "../../kubelet/ports/fs.ts";

let tmpCounter = 0;

/** `length` bytes at `position` of an open file (fewer if it ends first). */
async function readAt(f: Deno.FsFile, position: number, length: number): Promise<Uint8Array> {
  await f.seek(position, Deno.SeekMode.Start);
  const buf = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const n = await f.read(buf.subarray(got));
    if (n === null) break;
    got += n;
  }
  return buf.subarray(0, got);
}

/** Deno's filesystem as the kubelet's Fs port. */
export const denoFs: Fs = {
  readFile: (path) => Deno.readFile(path),
  readText: (path) => Deno.readTextFile(path),
  async readTail(path, maxBytes) {
    using f = await Deno.open(path, { read: true });
    const size = (await f.stat()).size;
    const length = Math.max(0, Math.min(size, maxBytes));
    return await readAt(f, size - length, length);
  },
  async readRange(path, offset, maxBytes) {
    using f = await Deno.open(path, { read: true });
    const size = (await f.stat()).size;
    return await readAt(f, offset, Math.max(0, Math.min(size - offset, maxBytes)));
  },
  async writeFileAtomic(path, data, mode = 0o644) {
    const slash = path.lastIndexOf("/");
    const tmp = `${path.slice(0, slash)}/.${path.slice(slash + 1)}.tmp-${Deno.pid}-${++tmpCounter}`;
    try {
      if (typeof data === "string") await Deno.writeTextFile(tmp, data, { mode });
      else await Deno.writeFile(tmp, data, { mode });
      await Deno.chmod(tmp, mode);
      await Deno.rename(tmp, path);
    } catch (err) {
      await Deno.remove(tmp).catch(() => {});
      throw err;
    }
  },
  async readDir(path) {
    const out: DirEntry[] = [];
    for await (const e of Deno.readDir(path)) out.push({ name: e.name, isDirectory: e.isDirectory, isFile: e.isFile, isSymlink: e.isSymlink });
    return out;
  },
  async stat(path) {
    try {
      const s = await Deno.lstat(path);
      return { size: s.size, mtimeMs: s.mtime?.getTime() ?? 0, isDirectory: s.isDirectory, isFile: s.isFile, mode: (s.mode ?? 0) & 0o7777, ...(s.ino !== null ? { ino: s.ino } : {}) };
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return undefined;
      throw err;
    }
  },
  mkdirp: (path, mode = 0o755) => Deno.mkdir(path, { recursive: true, mode }),
  async removeAll(path) {
    await Deno.remove(path, { recursive: true }).catch((err) => {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    });
  },
  symlink: (target, path) => Deno.symlink(target, path),
  chmod: (path, mode) => Deno.chmod(path, mode),
  rename: (from, to) => Deno.rename(from, to),
  watchDir(dir, onChange) {
    let watcher: Deno.FsWatcher;
    try {
      watcher = Deno.watchFs(dir, { recursive: false });
    } catch {
      return () => {};
    }
    (async () => {
      try {
        for await (const e of watcher) for (const p of e.paths) onChange({ dir, name: p.slice(p.lastIndexOf("/") + 1) });
      } catch {
        // closed
      }
    })();
    return () => watcher.close();
  },
  async fsCapacity(path) {
    try {
      const s = await statfs(path);
      return { capacityBytes: s.blocks * s.bsize, availableBytes: s.bavail * s.bsize, freeBytes: s.bfree * s.bsize, inodes: s.files, inodesFree: s.ffree };
    } catch (err) {
      if ((err as { code?: string }).code === "ENOENT" || err instanceof Deno.errors.NotFound) return undefined;
      throw err;
    }
  },
};
