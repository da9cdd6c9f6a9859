/**
 * The static pod source (upstream `pkg/kubelet/config/file*.go`): the pods described by the
 * manifests in `staticPodPath` (a directory, not recursed into, or a single file). Re-read on every
 * change the Fs reports and every `fileCheckFrequency`; each time the set of pods changes, the
 * whole snapshot is handed to the kubelet, which diffs it by UID. A bad manifest is logged once
 * (naming the file and the field) and left out; it never affects the other pods or stops the watch.
 */
import type { Pod } from "../../bindings/kube/types.ts";
import type { Logger } from "../log.ts";
import type { Clock } from "../ports/clock.ts";
import type { Fs } from "../ports/fs.ts";
import { canonicalJson } from "./canonicalJson.ts";
import { joinPath } from "./posixPath.ts";
import { decodePodManifest } from "./podManifest.ts";
import { CONFIG_SEEN_ANNOTATION, withFirstSeen } from "./podIdentity.ts";

/** A manifest file left out of the snapshot, and why. */
export interface ManifestProblem { file: string; message: string }

/** One read of `staticPodPath`: the runnable pods (file order) and the files that were left out. */
export interface StaticPodListing {
  pods: Pod[];
  problems: ManifestProblem[];
  warnings: ManifestProblem[];
  /** False when the path does not exist (yet); upstream then reports an empty set of pods. */
  pathExists: boolean;
}

/** What the static pod source needs from the kubelet. */
export interface StaticPodSourceOptions {
  /** Absolute path of the manifest directory or file. */
  path: string;
  nodeName: string;
  fs: Fs;
  clock: Clock;
  log: Logger;
  /** How often to re-read even without change notifications (upstream fileCheckFrequency). */
  fileCheckFrequencyMs: number;
  /** Receives the full set of static pods: once at start, then whenever it changes. */
  onPods: (pods: Pod[]) => void;
}

/** A running static pod source. */
export interface StaticPodSource {
  /** Re-reads the path now; resolves once any resulting snapshot has been delivered. */
  sync(): Promise<void>;
  /** Stops watching and re-reading; no snapshot is delivered afterwards. */
  stop(): void;
}

// A file written in place may still be being written: wait for its writes to settle. A name that
// appears (an atomic writer's rename, a new file) is read at once, as upstream's inotify source
// does: a 100 ms wait there was ~40 % of a pod's start time. Events of one burst still coalesce
// (same timer tick, and the running re-list takes one follow-up).
const CHANGE_DEBOUNCE_MS = 100;

/** A manifest's text, or the error reading it gave. */
type ReadResult = { text: string } | { err: unknown };

const readText = (fs: Fs, file: string): Promise<ReadResult> => fs.readText(file).then((text) => ({ text }), (err: unknown) => ({ err }));

/**
 * Decoded manifests by file, kept between re-reads: decoding (YAML, defaults, validation, UID hash)
 * costs ~0.5 ms a file, so an unchanged file (same text) is not decoded again. Pods are shared
 * between snapshots and must not be mutated.
 */
export type ManifestCache = Map<string, { text: string; decoded: ReturnType<typeof decodePodManifest> }>;

function decode(text: string, file: string, nodeName: string, cache: ManifestCache | undefined): ReturnType<typeof decodePodManifest> {
  const hit = cache?.get(file);
  if (hit && hit.text === text) return hit.decoded;
  const decoded = decodePodManifest(text, file, nodeName);
  cache?.set(file, { text, decoded });
  return decoded;
}

function addManifest(read: ReadResult, file: string, nodeName: string, out: StaticPodListing, owners: Map<string, string>, cache?: ManifestCache): void {
  if ("err" in read) {
    const { err } = read;
    const code = (err as { code?: string }).code;
    out.problems.push({ file, message: code === "EISDIR" ? "is a directory: manifest directories are not recursed into" : `cannot read: ${err instanceof Error ? err.message : String(err)}` });
    return;
  }
  const text = read.text;
  const decoded = decode(text, file, nodeName, cache);
  if (!decoded.ok) {
    out.problems.push({ file, message: decoded.problems.join("; ") });
    return;
  }
  for (const message of decoded.warnings) out.warnings.push({ file, message });
  const key = `${decoded.pod.metadata.namespace}/${decoded.pod.metadata.name}`;
  const owner = owners.get(key);
  if (owner !== undefined) {
    out.problems.push({ file, message: `metadata.name: Duplicate value: pod "${key}" is already defined by ${owner}` });
    return;
  }
  owners.set(key, file);
  out.pods.push(decoded.pod);
}

/**
 * Reads every manifest under `path` once (files starting with "." are ignored, as upstream) and
 * returns the pods with their static identity, without the first-seen annotation. Throws only when
 * the path itself cannot be read.
 */
export async function listStaticPods(fs: Fs, path: string, nodeName: string, cache?: ManifestCache): Promise<StaticPodListing> {
  const out: StaticPodListing = { pods: [], problems: [], warnings: [], pathExists: true };
  const info = await fs.stat(path);
  if (!info) return { ...out, pathExists: false };
  const owners = new Map<string, string>();
  if (!info.isDirectory) {
    addManifest(await readText(fs, path), path, nodeName, out, owners, cache);
    return out;
  }
  const entries = (await fs.readDir(path)).filter((e) => !e.name.startsWith(".")).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // Read every file at once (a burst of new manifests is read in one round), decode in name order
  // so duplicate names resolve the same way every time.
  const reads = entries.map((e) => (e.isFile || e.isSymlink ? readText(fs, joinPath(path, e.name)) : undefined));
  for (const [i, entry] of entries.entries()) {
    const file = joinPath(path, entry.name);
    if (entry.isDirectory) out.problems.push({ file, message: "is a directory: manifest directories are not recursed into" });
    else if (reads[i]) addManifest(await reads[i]!, file, nodeName, out, owners, cache);
    else out.problems.push({ file, message: "is not a regular file" });
  }
  if (cache) {
    const present = new Set(entries.map((e) => joinPath(path, e.name)));
    for (const file of cache.keys()) if (!present.has(file)) cache.delete(file);
  }
  return out;
}

/** Starts watching `options.path`; the first snapshot is delivered as soon as the path has been read. */
export function startStaticPodSource(options: StaticPodSourceOptions): StaticPodSource {
  const { path, nodeName, fs, clock, log } = options;
  const firstSeen = new Map<string, number>();
  const decoded: ManifestCache = new Map();
  const reported = new Map<string, string>();
  let lastSnapshot: string | undefined;
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;
  let stopWatch: (() => void) | undefined;
  let cancelPeriodic: (() => void) | undefined;
  let cancelDebounce: (() => void) | undefined;
  let missingLogged = false;

  const report = (listing: StaticPodListing) => {
    const current = new Map<string, string>();
    for (const p of listing.problems) current.set(p.file, `static pod manifest ${p.file} rejected: ${p.message}`);
    for (const w of listing.warnings) if (!current.has(w.file)) current.set(w.file, `static pod manifest ${w.file}: ${w.message}`);
    for (const [file, line] of current) {
      if (reported.get(file) === line) continue;
      if (listing.problems.some((p) => p.file === file)) log.error(line, { file });
      else log.warn(line, { file });
    }
    for (const file of reported.keys()) if (!current.has(file)) log.info(2, `static pod manifest ${file} no longer has problems`, { file });
    reported.clear();
    for (const [file, line] of current) reported.set(file, line);
  };

  const ensureWatch = (exists: boolean) => {
    if (exists && !stopWatch) {
      stopWatch = fs.watchDir(path, (change) => {
        if (change.name?.startsWith(".")) return;
        requestSync(change.kind === "entry" ? 0 : CHANGE_DEBOUNCE_MS);
      });
    } else if (!exists && stopWatch) {
      stopWatch();
      stopWatch = undefined;
    }
  };

  const listOnce = async () => {
    let listing: StaticPodListing;
    try {
      listing = await listStaticPods(fs, path, nodeName, decoded);
    } catch (err) {
      log.error(`unable to read static pod path ${path}: ${err instanceof Error ? err.message : String(err)}`, { path });
      return;
    }
    if (stopped) return;
    if (!listing.pathExists && !missingLogged) log.info(1, `static pod path ${path} does not exist yet; no static pods`, { path });
    missingLogged = !listing.pathExists;
    ensureWatch(listing.pathExists);
    report(listing);
    const now = clock.now();
    const live = new Set<string>();
    const pods = listing.pods.map((pod) => {
      const uid = pod.metadata.uid!;
      live.add(uid);
      if (!firstSeen.has(uid)) firstSeen.set(uid, now);
      return withFirstSeen(pod, firstSeen.get(uid)!);
    });
    for (const uid of firstSeen.keys()) if (!live.has(uid)) firstSeen.delete(uid);
    const snapshot = canonicalJson(pods);
    if (snapshot === lastSnapshot) return;
    lastSnapshot = snapshot;
    if (log.enabled(3)) log.info(3, `static pods changed`, { path, pods: pods.map((p) => `${p.metadata.name} ${p.metadata.uid} seen ${p.metadata.annotations?.[CONFIG_SEEN_ANNOTATION]}`) });
    try {
      options.onPods(pods);
    } catch (err) {
      log.error(`static pod consumer failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  const sync = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await listOnce();
        } while (again && !stopped);
      } catch (err) {
        log.error(`static pod source failed: ${err instanceof Error ? err.message : String(err)}`, { path });
      } finally {
        running = undefined;
      }
    })();
    return running;
  };

  function requestSync(delayMs: number): void {
    if (stopped) return;
    cancelDebounce?.();
    cancelDebounce = clock.setTimer(delayMs, () => {
      cancelDebounce = undefined;
      void sync();
    });
  }

  const periodic = () => {
    cancelPeriodic = clock.setTimer(options.fileCheckFrequencyMs, () => {
      void sync().finally(() => {
        if (!stopped) periodic();
      });
    });
  };

  void sync();
  periodic();
  log.info(1, `watching static pod path ${path}`, { path });
  return {
    sync,
    stop() {
      stopped = true;
      cancelPeriodic?.();
      cancelDebounce?.();
      stopWatch?.();
      stopWatch = undefined;
    },
  };
}
