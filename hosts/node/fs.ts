/** The `Fs` port on Node's `node:fs`. */
import { watch } from "node:fs";
import { chmod, lstat, mkdir, open, readdir, readFile, rename, rm, statfs, symlink, writeFile, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { DirEntry, Fs, FsCapacity } from "../../kubelet/ports/fs.ts";

let tmpCounter = 0;

/** `length` bytes at `position` of an open file (fewer if it ends first). */
async function readAt(f: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await f.read(buf, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}

/** statfs of `path` as the port's FsCapacity; undefined when the path does not exist. */
export async function statfsCapacity(path: string): Promise<FsCapacity | undefined> {
  try {
    const s = await statfs(path);
    return { capacityBytes: s.blocks * s.bsize, availableBytes: s.bavail * s.bsize, freeBytes: s.bfree * s.bsize, inodes: s.files, inodesFree: s.ffree };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/** Node's filesystem as the kubelet's Fs port. */
export const nodeFs: Fs = {
  async readFile(path) {
    return new Uint8Array(await readFile(path));
  },
  readText(path) {
    return readFile(path, "utf8");
  },
  async readTail(path, maxBytes) {
    const f = await open(path, "r");
    try {
      const size = (await f.stat()).size;
      const length = Math.max(0, Math.min(size, maxBytes));
      return await readAt(f, size - length, length);
    } finally {
      await f.close();
    }
  },
  async readRange(path, offset, maxBytes) {
    const f = await open(path, "r");
    try {
      const size = (await f.stat()).size;
      return await readAt(f, offset, Math.max(0, Math.min(size - offset, maxBytes)));
    } finally {
      await f.close();
    }
  },
  async writeFileAtomic(path, data, mode = 0o644) {
    const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${++tmpCounter}`);
    try {
      await writeFile(tmp, data, { mode });
      await chmod(tmp, mode);
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  },
  async readDir(path) {
    const entries = await readdir(path, { withFileTypes: true });
    return entries.map((e): DirEntry => ({ name: e.name, isDirectory: e.isDirectory(), isFile: e.isFile(), isSymlink: e.isSymbolicLink() }));
  },
  async stat(path) {
    try {
      const s = await lstat(path);
      return { size: s.size, mtimeMs: s.mtimeMs, isDirectory: s.isDirectory(), isFile: s.isFile(), mode: s.mode & 0o7777, ino: s.ino };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  },
  async mkdirp(path, mode = 0o755) {
    await mkdir(path, { recursive: true, mode });
  },
  async chmod(path, mode) {
    await chmod(path, mode);
  },
  async removeAll(path) {
    await rm(path, { recursive: true, force: true });
  },
  async symlink(target, path) {
    await symlink(target, path);
  },
  async rename(from, to) {
    await rename(from, to);
  },
  watchDir(dir, onChange) {
    try {
      const w = watch(dir, { persistent: false }, (event, name) =>
        onChange({ dir, name: name ?? undefined, kind: event === "rename" ? "entry" : "content" }));
      w.on("error", () => w.close());
      return () => w.close();
    } catch {
      // The directory may not exist yet; the caller's periodic re-list covers it.
      return () => {};
    }
  },
  fsCapacity: statfsCapacity,
};
