/** An in-memory Fs port for tests: files, directories and symlinks (relative targets resolve in their directory). */
import type { DirEntry, Fs, FsCapacity } from "../../../kubelet/ports/fs.ts";

type Entry = { kind: "file"; data: string; mode: number } | { kind: "dir" } | { kind: "link"; target: string };

/** A Map-backed filesystem; `files` is exposed so tests can seed and inspect it. */
export function memoryFs(seed: Record<string, string> = {}) {
  const entries = new Map<string, Entry>([["/", { kind: "dir" }]]);
  const parent = (p: string) => p.slice(0, p.lastIndexOf("/")) || "/";
  const follow = (p: string): string => {
    const e = entries.get(p);
    if (e?.kind === "link") return follow(e.target.startsWith("/") ? e.target : `${parent(p)}/${e.target}`);
    return p;
  };
  const mkdirp = (p: string) => {
    if (p === "/" || entries.has(p)) return;
    mkdirp(parent(p));
    entries.set(p, { kind: "dir" });
  };
  const enoent = (p: string) => Object.assign(new Error(`ENOENT: no such file or directory, open '${p}'`), { code: "ENOENT" });
  for (const [p, data] of Object.entries(seed)) {
    mkdirp(parent(p));
    entries.set(p, { kind: "file", data, mode: 0o644 });
  }
  /** Each entry object is one "inode": a rename keeps it, a new file gets a new one. */
  const inodes = new WeakMap<object, number>();
  let nextIno = 1;
  /** What fsCapacity reports for every existing path (one filesystem); tests may change it. */
  const capacity: FsCapacity = { capacityBytes: 100 << 20, availableBytes: 60 << 20, freeBytes: 64 << 20, inodes: 1000, inodesFree: 900 };
  const fs: Fs = {
    async readFile(p) {
      return new TextEncoder().encode(await fs.readText(p));
    },
    async readRange(p, offset, maxBytes) {
      return (await fs.readFile(p)).subarray(offset, offset + maxBytes);
    },
    async readTail(p, maxBytes) {
      const b = await fs.readFile(p);
      return b.subarray(Math.max(0, b.length - maxBytes));
    },
    async readText(p) {
      const e = entries.get(follow(p));
      if (e?.kind !== "file") throw enoent(p);
      return e.data;
    },
    async writeFileAtomic(p, data, mode = 0o644) {
      if (entries.get(parent(p))?.kind !== "dir") throw enoent(p);
      entries.set(p, { kind: "file", data: typeof data === "string" ? data : new TextDecoder().decode(data), mode });
    },
    async readDir(p) {
      const prefix = p === "/" ? "/" : `${p}/`;
      return [...entries.entries()].filter(([k]) => k !== p && k.startsWith(prefix) && !k.slice(prefix.length).includes("/"))
        .map(([k, e]): DirEntry => ({ name: k.slice(prefix.length), isDirectory: e.kind === "dir", isFile: e.kind === "file", isSymlink: e.kind === "link" }));
    },
    async stat(p) {
      const e = entries.get(p);
      if (!e) return undefined;
      let ino = inodes.get(e);
      if (ino === undefined) inodes.set(e, (ino = nextIno++));
      return { size: e.kind === "file" ? e.data.length : 0, mtimeMs: 0, isDirectory: e.kind === "dir", isFile: e.kind === "file", mode: e.kind === "file" ? e.mode : 0o755, ino };
    },
    async mkdirp(p) {
      mkdirp(p);
    },
    async chmod(p, mode) {
      const e = entries.get(follow(p));
      if (!e) throw enoent(p);
      if (e.kind === "file") e.mode = mode;
    },
    async removeAll(p) {
      for (const k of [...entries.keys()]) if (k === p || k.startsWith(`${p}/`)) entries.delete(k);
    },
    async symlink(target, p) {
      if (entries.has(p)) throw Object.assign(new Error(`EEXIST: ${p}`), { code: "EEXIST" });
      entries.set(p, { kind: "link", target });
    },
    async rename(from, to) {
      const e = entries.get(from);
      if (!e) throw enoent(from);
      entries.delete(from);
      entries.set(to, e);
    },
    watchDir: () => () => {},
    async fsCapacity(p) {
      return entries.has(follow(p)) ? capacity : undefined;
    },
  };
  /** Appends to an existing file in place (same "inode"), as a process writing its log does. */
  const append = (p: string, text: string) => {
    const e = entries.get(p);
    if (e?.kind !== "file") throw enoent(p);
    e.data += text;
  };
  return { fs, entries, append, capacity, linkTarget: (p: string) => { const e = entries.get(p); return e?.kind === "link" ? e.target : undefined; } };
}
