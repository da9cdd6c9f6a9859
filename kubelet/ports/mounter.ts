/**
 * The `Mounter` port: the mount table and host-path facts the volume manager needs (upstream
 * mount.Interface plus the parts of hostutil.HostUtils volumes use). Paths are absolute host paths.
 */

/** One line of the mount table (/proc/self/mounts), with octal escapes decoded. */
export interface MountInfo { device: string; mountPoint: string; fsType: string; options: string[] }

/** What a host path is, as upstream's hostutil.GetFileType reports it (symlinks followed). */
export type HostFileType = "Directory" | "File" | "Socket" | "CharDevice" | "BlockDevice";

/** Options of a tmpfs mount. */
export interface TmpfsOptions {
  /** The `size=` limit in bytes; unset means the kernel default (half of RAM). */
  sizeBytes?: number;
  /** The mode of the tmpfs root; unset means the kernel default (1777). */
  mode?: number;
}

/** Mounting, unmounting and inspecting host paths. */
export interface Mounter {
  /** Mounts a new tmpfs at `target` (an existing directory). */
  mountTmpfs(target: string, opts?: TmpfsOptions): Promise<void>;
  /** Bind-mounts `source` at `target` (which must exist and be of the same kind), optionally read-only. */
  bindMount(source: string, target: string, opts?: { readOnly?: boolean }): Promise<void>;
  /**
   * Bind-mounts `volumeRoot/subPath` at `target`, refusing with an error when the path, with every
   * symlink resolved, is not inside `volumeRoot`. The check and the mount use the same opened file,
   * so a symlink swapped in between cannot redirect the mount (upstream subpath.PrepareSafeSubpath).
   * Creates `target` (an empty file or directory, like the source) when missing.
   */
  bindSubPath(volumeRoot: string, subPath: string, target: string): Promise<void>;
  /** Unmounts `target` (lazily if busy); no error when nothing is mounted there. */
  unmount(target: string): Promise<void>;
  /** Mounts whose mount point is `path` or below it, in mount-table order. */
  listMounts(path: string): Promise<MountInfo[]>;
  /** The type of `path` with symlinks followed, or undefined when it does not exist. */
  fileType(path: string): Promise<HostFileType | undefined>;
  /** `path` with every symlink resolved (it must exist). */
  realpath(path: string): Promise<string>;
}
