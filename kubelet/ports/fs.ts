/** The `Fs` port: the files and directories the kubelet owns (manifests, pod dirs, logs, checkpoints). */

/** One directory entry. */
export interface DirEntry { name: string; isDirectory: boolean; isFile: boolean; isSymlink: boolean }

/** File metadata the kubelet needs. */
export interface FileInfo {
  size: number; mtimeMs: number; isDirectory: boolean; isFile: boolean; mode: number;
  /** The file's identity (inode) where the host knows it: a renamed-away and re-created file has a new one. */
  ino?: number;
}

/**
 * A change seen in a watched directory; the kubelet always re-reads, so only the hint matters.
 * `kind`: "entry" when a name appeared, disappeared or was renamed (an atomic writer's file is
 * complete then), "content" when a file was written in place (its writer may not be done);
 * absent when the host cannot tell.
 */
export interface DirChange { dir: string; name?: string; kind?: "entry" | "content" }

/** Size and free space of one filesystem (statfs), in bytes and inodes. */
export interface FsCapacity {
  capacityBytes: number;
  /** Free to unprivileged users (f_bavail). */
  availableBytes: number;
  /** Free in total, including blocks reserved for root (f_bfree): used = capacity - free. */
  freeBytes: number;
  inodes: number;
  inodesFree: number;
}

/** Filesystem operations for the kubelet; every path is absolute. */
export interface Fs {
  readFile(path: string): Promise<Uint8Array>;
  readText(path: string): Promise<string>;
  /** The last `maxBytes` bytes of a file (all of it when smaller), without reading the rest. */
  readTail(path: string, maxBytes: number): Promise<Uint8Array>;
  /** Up to `maxBytes` bytes from `offset` (fewer at the end of the file), without reading the rest. */
  readRange(path: string, offset: number, maxBytes: number): Promise<Uint8Array>;
  /** Writes via a temporary file + rename, so readers see the old or the new content, never a mix. */
  writeFileAtomic(path: string, data: Uint8Array | string, mode?: number): Promise<void>;
  readDir(path: string): Promise<DirEntry[]>;
  /** `undefined` when the path does not exist. */
  stat(path: string): Promise<FileInfo | undefined>;
  mkdirp(path: string, mode?: number): Promise<void>;
  /** Sets the permission bits of an existing path exactly (the process umask does not apply). */
  chmod(path: string, mode: number): Promise<void>;
  /** Removes a file or a directory tree; no error when it is already gone. */
  removeAll(path: string): Promise<void>;
  symlink(target: string, path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Calls `onChange` when entries of `dir` change; returns a function that stops watching. */
  watchDir(dir: string, onChange: (change: DirChange) => void): () => void;
  /** Capacity and free space of the filesystem holding `path` (statfs); undefined when the path does not exist. */
  fsCapacity(path: string): Promise<FsCapacity | undefined>;
}
