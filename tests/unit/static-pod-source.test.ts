import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Pod } from "../../bindings/kube/types.ts";
import { createLogger } from "../../kubelet/log.ts";
import type { Clock } from "../../kubelet/ports/clock.ts";
import type { DirChange, DirEntry, Fs } from "../../kubelet/ports/fs.ts";
import { listStaticPods, startStaticPodSource, type ManifestCache } from "../../kubelet/config/staticPodSource.ts";

/** An in-memory Fs fake: files by absolute path, directories implied or explicit, watchers fired by hand. */
class FakeFs implements Fs {
  files = new Map<string, string>();
  dirs = new Set<string>();
  watchers = new Map<string, (c: DirChange) => void>();
  failReadDir = false;
  write(path: string, text: string) {
    this.files.set(path, text);
    this.notify(path);
  }
  remove(path: string) {
    this.files.delete(path);
    this.notify(path);
  }
  private notify(path: string) {
    const dir = path.slice(0, path.lastIndexOf("/"));
    this.watchers.get(dir)?.({ dir, name: path.slice(dir.length + 1) });
  }
  private isDir(path: string) {
    return this.dirs.has(path) || [...this.files.keys()].some((f) => f.startsWith(path + "/"));
  }
  async readFile(path: string) { return new TextEncoder().encode(await this.readText(path)); }
  async readRange(path: string, offset: number, maxBytes: number) { return (await this.readFile(path)).subarray(offset, offset + maxBytes); }
  async readTail(path: string, maxBytes: number) { const b = await this.readFile(path); return b.subarray(Math.max(0, b.length - maxBytes)); }
  async readText(path: string) {
    const text = this.files.get(path);
    if (text !== undefined) return text;
    throw Object.assign(new Error(`${this.isDir(path) ? "EISDIR" : "ENOENT"}: ${path}`), { code: this.isDir(path) ? "EISDIR" : "ENOENT" });
  }
  async writeFileAtomic(path: string, data: Uint8Array | string) { this.write(path, typeof data === "string" ? data : new TextDecoder().decode(data)); }
  async readDir(path: string): Promise<DirEntry[]> {
    if (this.failReadDir) throw new Error(`EACCES: permission denied, scandir '${path}'`);
    const names = new Map<string, boolean>();
    for (const f of this.files.keys()) {
      if (!f.startsWith(path + "/")) continue;
      const rest = f.slice(path.length + 1);
      names.set(rest.split("/")[0]!, rest.includes("/"));
    }
    for (const d of this.dirs) if (d.startsWith(path + "/") && !d.slice(path.length + 1).includes("/")) names.set(d.slice(path.length + 1), true);
    return [...names].map(([name, isDirectory]) => ({ name, isDirectory, isFile: !isDirectory, isSymlink: false }));
  }
  async stat(path: string) {
    if (this.files.has(path)) return { size: this.files.get(path)!.length, mtimeMs: 0, isDirectory: false, isFile: true, mode: 0o644 };
    if (this.isDir(path)) return { size: 0, mtimeMs: 0, isDirectory: true, isFile: false, mode: 0o755 };
    return undefined;
  }
  async mkdirp(path: string) { this.dirs.add(path); }
  async chmod() {}
  async removeAll(path: string) { for (const f of [...this.files.keys()]) if (f === path || f.startsWith(path + "/")) this.files.delete(f); this.dirs.delete(path); }
  async symlink() { throw new Error("not supported by the fake"); }
  async rename(from: string, to: string) { this.write(to, this.files.get(from)!); this.remove(from); }
  watchDir(dir: string, onChange: (c: DirChange) => void) {
    this.watchers.set(dir, onChange);
    return () => this.watchers.delete(dir);
  }
  async fsCapacity() { return undefined; }
}

/** A manual clock fake: timers fire only when the test advances time. */
class FakeClock implements Clock {
  t = Date.UTC(2021, 0, 1);
  timers: { at: number; fn: () => void }[] = [];
  now() { return this.t; }
  setTimer(ms: number, fn: () => void) {
    const timer = { at: this.t + ms, fn };
    this.timers.push(timer);
    return () => { this.timers = this.timers.filter((x) => x !== timer); };
  }
  sleep(ms: number) { return new Promise<void>((r) => this.setTimer(ms, r)); }
  advance(ms: number) {
    this.t += ms;
    const due = this.timers.filter((x) => x.at <= this.t);
    this.timers = this.timers.filter((x) => x.at > this.t);
    for (const x of due) x.fn();
  }
}

const DIR = "/etc/kubernetes/manifests";
const manifest = (name: string, image = "nginx:1.19") =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers:\n  - name: c\n    image: ${image}\n`;

function setup() {
  const fs = new FakeFs();
  const clock = new FakeClock();
  const lines: string[] = [];
  const log = createLogger(0, (l) => lines.push(l));
  const snapshots: Pod[][] = [];
  let waiter: (() => void) | undefined;
  const onPods = (pods: Pod[]) => { snapshots.push(pods); waiter?.(); };
  const next = () => new Promise<Pod[]>((resolve) => { const n = snapshots.length; waiter = () => { if (snapshots.length > n) resolve(snapshots[snapshots.length - 1]!); }; });
  const start = () => startStaticPodSource({ path: DIR, nodeName: "node1", fs, clock, log, fileCheckFrequencyMs: 20_000, onPods });
  return { fs, clock, lines, snapshots, next, start };
}
const names = (pods: Pod[]) => pods.map((p) => p.metadata.name);

test("every manifest in the directory becomes a pod; dot-files and subdirectories are skipped", async () => {
  const { fs } = setup();
  fs.write(`${DIR}/b.yaml`, manifest("beta"));
  fs.write(`${DIR}/a.json`, JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name: "alpha" }, spec: { containers: [{ name: "c", image: "x" }] } }));
  fs.write(`${DIR}/.swp`, "garbage");
  fs.write(`${DIR}/sub/c.yaml`, manifest("gamma"));
  const r = await listStaticPods(fs, DIR, "node1");
  assert.equal(names(r.pods), ["alpha-node1", "beta-node1"]);
  assert.equal(r.problems, [{ file: `${DIR}/sub`, message: "is a directory: manifest directories are not recursed into" }]);
});

test("staticPodPath may name a single manifest file", async () => {
  const { fs } = setup();
  fs.write("/srv/pod.yaml", manifest("solo"));
  assert.equal(names((await listStaticPods(fs, "/srv/pod.yaml", "node1")).pods), ["solo-node1"]);
});

test("a bad manifest is logged naming the file and field, and other pods are unaffected", async () => {
  const { fs, lines, start, next } = setup();
  fs.write(`${DIR}/good.yaml`, manifest("good"));
  fs.write(`${DIR}/noimage.yaml`, manifest("noimage").replace("    image: nginx:1.19\n", ""));
  fs.write(`${DIR}/broken.yaml`, "apiVersion: v1\nkind: Pod\nmetadata: {name: [}\n");
  fs.write(`${DIR}/svc.yaml`, "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n");
  const first = next();
  const src = start();
  assert.equal(names(await first), ["good-node1"]);
  src.stop();
  const errors = lines.filter((l) => l.startsWith("E"));
  assert.is(errors.length, 3);
  assert.ok(errors.some((l) => l.includes(`static pod manifest ${DIR}/noimage.yaml rejected: spec.containers[0].image: Required value`)));
  assert.ok(errors.some((l) => l.includes(`static pod manifest ${DIR}/broken.yaml rejected: not valid YAML or JSON`)));
  assert.ok(errors.some((l) => l.includes(`static pod manifest ${DIR}/svc.yaml rejected: kind: expected "Pod", got "Service"`)));
});

test("the same pod name in two files: the first file (by name) wins, the second is reported", async () => {
  const { fs } = setup();
  fs.write(`${DIR}/1.yaml`, manifest("web"));
  fs.write(`${DIR}/2.yaml`, manifest("web", "nginx:1.20"));
  const r = await listStaticPods(fs, DIR, "node1");
  assert.is(r.pods.length, 1);
  assert.is(r.pods[0]!.spec.containers[0]!.image, "nginx:1.19");
  assert.equal(r.problems, [{ file: `${DIR}/2.yaml`, message: `metadata.name: Duplicate value: pod "default/web-node1" is already defined by ${DIR}/1.yaml` }]);
});

test("a changed file yields a new UID for that pod only; unchanged pods keep UID and first-seen time", async () => {
  const { fs, clock, start, next } = setup();
  fs.write(`${DIR}/a.yaml`, manifest("a"));
  fs.write(`${DIR}/b.yaml`, manifest("b"));
  const first = next();
  const src = start();
  const before = await first;
  clock.t += 5000;
  const second = next();
  fs.write(`${DIR}/b.yaml`, manifest("b", "nginx:1.20"));
  clock.advance(100);
  const after = await second;
  src.stop();
  assert.is(after[0]!.metadata.uid, before[0]!.metadata.uid);
  assert.is(after[0]!.metadata.annotations!["kubernetes.io/config.seen"], before[0]!.metadata.annotations!["kubernetes.io/config.seen"]);
  assert.is.not(after[1]!.metadata.uid, before[1]!.metadata.uid);
  assert.is(after[1]!.metadata.annotations!["kubernetes.io/config.seen"], "2021-01-01T00:00:05.1Z");
});

test("a snapshot is delivered at start (even empty) and afterwards only when the pods change", async () => {
  const { fs, clock, snapshots, start, next } = setup();
  fs.dirs.add(DIR);
  const first = next();
  const src = start();
  assert.equal(await first, []);
  await src.sync();
  clock.advance(20_000);
  await src.sync();
  assert.is(snapshots.length, 1);
  const added = next();
  fs.write(`${DIR}/a.yaml`, manifest("a"));
  clock.advance(100);
  assert.equal(names(await added), ["a-node1"]);
  const removed = next();
  fs.remove(`${DIR}/a.yaml`);
  clock.advance(100);
  assert.equal(await removed, []);
  src.stop();
});

test("the periodic re-list finds changes the watch missed, and starts watching a directory created later", async () => {
  const { fs, clock, start, next } = setup();
  const first = next();
  const src = start();
  await first;
  assert.is(fs.watchers.size, 0);
  fs.files.set(`${DIR}/late.yaml`, manifest("late"));
  const found = next();
  clock.advance(20_000);
  assert.equal(names(await found), ["late-node1"]);
  assert.ok(fs.watchers.has(DIR));
  src.stop();
  assert.is(fs.watchers.size, 0);
  assert.is(clock.timers.length, 0);
});

test("an unreadable directory is logged and keeps the last snapshot; the watcher keeps running", async () => {
  const { fs, clock, lines, snapshots, start, next } = setup();
  fs.write(`${DIR}/a.yaml`, manifest("a"));
  const first = next();
  const src = start();
  await first;
  fs.failReadDir = true;
  clock.advance(20_000);
  await src.sync();
  assert.is(snapshots.length, 1);
  assert.ok(lines.some((l) => l.startsWith("E") && l.includes(`unable to read static pod path ${DIR}: EACCES`)));
  fs.failReadDir = false;
  const again = next();
  fs.write(`${DIR}/b.yaml`, manifest("b"));
  clock.advance(100);
  assert.equal(names(await again), ["a-node1", "b-node1"]);
  src.stop();
});

test("a rejected manifest is logged once, not on every re-list", async () => {
  const { fs, clock, lines, start, next } = setup();
  fs.write(`${DIR}/bad.yaml`, "kind: Pod\n");
  const first = next();
  const src = start();
  await first;
  for (let i = 0; i < 3; i++) { clock.advance(20_000); await src.sync(); }
  src.stop();
  assert.is(lines.filter((l) => l.includes("bad.yaml rejected")).length, 1);
});

test("a consumer that throws does not stop the source", async () => {
  const { fs, clock } = setup();
  const log = createLogger(0, () => {});
  let calls = 0;
  const src = startStaticPodSource({ path: DIR, nodeName: "n", fs, clock, log, fileCheckFrequencyMs: 1000, onPods: () => { calls++; throw new Error("boom"); } });
  await src.sync();
  fs.write(`${DIR}/a.yaml`, manifest("a"));
  await src.sync();
  src.stop();
  assert.is(calls, 2);
});

test("a name that appears (atomic rename) is read at once; an in-place write waits for writes to settle", async () => {
  const { fs, clock, snapshots, start, next } = setup();
  fs.dirs.add(DIR);
  const first = next();
  const src = start();
  await first;
  const added = next();
  fs.files.set(`${DIR}/a.yaml`, manifest("a"));
  fs.watchers.get(DIR)!({ dir: DIR, name: "a.yaml", kind: "entry" });
  clock.advance(0);
  assert.equal(names(await added), ["a-node1"]);
  const count = snapshots.length;
  const changed = next();
  fs.files.set(`${DIR}/b.yaml`, manifest("b"));
  fs.watchers.get(DIR)!({ dir: DIR, name: "b.yaml", kind: "content" });
  clock.advance(99);
  await new Promise((r) => setImmediate(r));
  assert.is(snapshots.length, count, "not read within 100 ms of an in-place write");
  clock.advance(1);
  assert.equal(names(await changed), ["a-node1", "b-node1"]);
  src.stop();
});

test("with a cache, an unchanged file is not decoded again; a changed one is, and removed files are forgotten", async () => {
  const { fs } = setup();
  const cache: ManifestCache = new Map();
  fs.write(`${DIR}/a.yaml`, manifest("a"));
  fs.write(`${DIR}/b.yaml`, manifest("b"));
  const first = await listStaticPods(fs, DIR, "node1", cache);
  fs.write(`${DIR}/b.yaml`, manifest("b", "nginx:1.20"));
  const second = await listStaticPods(fs, DIR, "node1", cache);
  assert.ok(second.pods[0] === first.pods[0], "a.yaml: the decoded pod is reused");
  assert.is.not(second.pods[1]!.metadata.uid, first.pods[1]!.metadata.uid);
  assert.is(second.pods[1]!.spec.containers[0]!.image, "nginx:1.20");
  fs.remove(`${DIR}/a.yaml`);
  await listStaticPods(fs, DIR, "node1", cache);
  assert.equal([...cache.keys()], [`${DIR}/b.yaml`]);
});

test.run();
