/**
 * Atomic projection of a set of files into a volume directory, as upstream's AtomicWriter
 * (pkg/volume/util/atomic_writer.go): the data lives in a hidden timestamped directory
 * (`..2026_11_22_10_00_00.123456789`), `..data` is a symlink to it that is replaced by renaming a
 * fresh `..data_tmp` symlink over it (rename is atomic), and every user-visible top-level entry is
 * a symlink `name -> ..data/name`. Readers therefore see the old or the new volume, never a mix.
 * Names starting with `..` are reserved for the writer; payload paths are validated first.
 */
import { joinPath } from "../config/posixPath.ts";
import type { Fs } from "../ports/fs.ts";

/** One file of a projection: its content and its mode (e.g. 0o644). */
export interface FileProjection { data: Uint8Array | string; mode: number }

/** Files of a volume keyed by their path relative to the volume. */
export type Payload = ReadonlyMap<string, FileProjection>;

const MAX_FILE_NAME_LENGTH = 255;
const MAX_PATH_LENGTH = 4096;
const DATA_DIR = "..data";
const NEW_DATA_DIR = "..data_tmp";
/** Timestamped data directories: `..YYYY_MM_DD_HH_MM_SS.<digits>`. */
const TS_DIR = /^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.\d+$/;

const byteLength = (s: string) => new TextEncoder().encode(s).length;

/**
 * Why `path` may not be a payload path, with upstream's message, or undefined when it is fine:
 * it must be non-empty and relative, contain no `..` element, not start with `..`, and respect the
 * 255-byte file name and 4096-byte path limits.
 */
export function validatePayloadPath(path: string): string | undefined {
  if (path === "") return `invalid path: must not be empty: ${JSON.stringify(path)}`;
  if (path.startsWith("/")) return `invalid path: must be relative path: ${path}`;
  if (byteLength(path) > MAX_PATH_LENGTH) return `invalid path: must be less than or equal to ${MAX_PATH_LENGTH} characters`;
  const items = path.split("/");
  for (const item of items) {
    if (item === "..") return `invalid path: must not contain '..': ${path}`;
    if (byteLength(item) > MAX_FILE_NAME_LENGTH) return `invalid path: filenames must be less than or equal to ${MAX_FILE_NAME_LENGTH} characters`;
  }
  if (items[0]!.startsWith("..") && items[0]!.length > 2) return `invalid path: must not start with '..': ${path}`;
  return undefined;
}

/** The payload with cleaned paths (`a//b/.` -> `a/b`), or the first validation error. */
export function validatePayload(payload: Payload): { payload: Map<string, FileProjection> } | { error: string } {
  const clean = new Map<string, FileProjection>();
  for (const [path, file] of payload) {
    const err = validatePayloadPath(path);
    if (err) return { error: err };
    const cleaned = joinPath(path);
    // A cleaned path that became "." or empty would address the volume root itself.
    if (cleaned === "." || cleaned === "") return { error: `invalid path: must not be empty: ${JSON.stringify(path)}` };
    clean.set(cleaned, file);
  }
  return { payload: clean };
}

/** `..2006_01_02_15_04_05.` in UTC, the prefix of a timestamped data directory. */
export function timestampDirPrefix(nowMs: number): string {
  const d = new Date(nowMs);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `..${p(d.getUTCFullYear(), 4)}_${p(d.getUTCMonth() + 1)}_${p(d.getUTCDate())}_${p(d.getUTCHours())}_${p(d.getUTCMinutes())}_${p(d.getUTCSeconds())}.`;
}

/** Every path of `payload` and each of their parent directories (`a/b/c` -> `a/b/c`, `a/b`, `a`). */
function withParents(payload: ReadonlyMap<string, FileProjection>): Set<string> {
  const out = new Set<string>();
  for (const path of payload.keys()) {
    for (let p = path; p !== ""; p = p.includes("/") ? p.slice(0, p.lastIndexOf("/")) : "") out.add(p);
  }
  return out;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Writes payloads into one volume directory atomically; callers serialize writes to the same directory. */
export class AtomicWriter {
  constructor(
    private readonly fs: Fs,
    readonly targetDir: string,
    private readonly now: () => number,
    private readonly random: () => number = Math.random,
  ) {}

  /**
   * Projects `payload` into the target directory (which must exist). Returns false when the volume
   * already held exactly this content (nothing written), true after a swap. Throws on invalid paths
   * and on I/O errors; the previous content stays visible in that case.
   */
  async write(payload: Payload): Promise<boolean> {
    const valid = validatePayload(payload);
    if ("error" in valid) throw new Error(valid.error);
    const clean = valid.payload;
    const dataDir = `${this.targetDir}/${DATA_DIR}`;
    const hadData = (await this.fs.stat(dataDir)) !== undefined;

    let toRemove = new Set<string>();
    if (hadData) {
      const present = await this.walk(dataDir, "");
      const keep = withParents(clean);
      toRemove = new Set([...present].filter((p) => !keep.has(p)));
      if (toRemove.size === 0 && !(await this.differs(clean, dataDir))) return false;
    }

    const tsDir = await this.newTimestampDir();
    const tsName = tsDir.slice(this.targetDir.length + 1);
    try {
      for (const [path, file] of clean) {
        const full = `${tsDir}/${path}`;
        if (path.includes("/")) await this.fs.mkdirp(full.slice(0, full.lastIndexOf("/")), 0o755);
        await this.fs.writeFileAtomic(full, file.data, file.mode);
      }
      await this.createUserVisibleLinks(clean);
      const tmpLink = `${this.targetDir}/${NEW_DATA_DIR}`;
      await this.fs.removeAll(tmpLink);
      await this.fs.symlink(tsName, tmpLink);
      await this.fs.rename(tmpLink, dataDir);
    } catch (err) {
      await this.fs.removeAll(`${this.targetDir}/${NEW_DATA_DIR}`);
      await this.fs.removeAll(tsDir);
      throw err;
    }

    // Only top-level entries are user-visible symlinks; nested ones went away with the old data dir.
    for (const p of toRemove) if (!p.includes("/")) await this.fs.removeAll(`${this.targetDir}/${p}`);
    for (const e of await this.fs.readDir(this.targetDir)) {
      if (TS_DIR.test(e.name) && e.name !== tsName) await this.fs.removeAll(`${this.targetDir}/${e.name}`);
    }
    return true;
  }

  /** Relative paths of every file and directory under `dir`. */
  private async walk(dir: string, rel: string): Promise<Set<string>> {
    const out = new Set<string>();
    for (const e of await this.fs.readDir(rel ? `${dir}/${rel}` : dir)) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      out.add(p);
      if (e.isDirectory) for (const q of await this.walk(dir, p)) out.add(q);
    }
    return out;
  }

  private async differs(payload: ReadonlyMap<string, FileProjection>, dataDir: string): Promise<boolean> {
    for (const [path, file] of payload) {
      const full = `${dataDir}/${path}`;
      if ((await this.fs.stat(full)) === undefined) return true;
      const want = typeof file.data === "string" ? new TextEncoder().encode(file.data) : file.data;
      if (!sameBytes(await this.fs.readFile(full), want)) return true;
    }
    return false;
  }

  private async newTimestampDir(): Promise<string> {
    for (;;) {
      const digits = String(1e9 + Math.floor(this.random() * 1e9)).slice(1);
      const dir = `${this.targetDir}/${timestampDirPrefix(this.now())}${digits}`;
      if ((await this.fs.stat(dir)) !== undefined) continue;
      await this.fs.mkdirp(dir, 0o755);
      // 0755 whatever the umask, so non-root container users can traverse it.
      await this.fs.chmod(dir, 0o755);
      return dir;
    }
  }

  private async createUserVisibleLinks(payload: ReadonlyMap<string, FileProjection>): Promise<void> {
    const tops = new Set([...payload.keys()].map((p) => p.split("/")[0]!));
    for (const name of tops) {
      const visible = `${this.targetDir}/${name}`;
      if ((await this.fs.stat(visible)) === undefined) await this.fs.symlink(`${DATA_DIR}/${name}`, visible);
    }
  }
}
