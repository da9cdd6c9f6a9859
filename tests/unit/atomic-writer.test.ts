import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { nodeFs } from "../../hosts/node/fs.ts";
import { AtomicWriter, timestampDirPrefix, validatePayload, validatePayloadPath, type FileProjection } from "../../kubelet/volumemanager/atomicWriter.ts";

const file = (data: string, mode = 0o644): FileProjection => ({ data, mode });
const payload = (o: Record<string, FileProjection>) => new Map(Object.entries(o));
const tsDirs = (dir: string) => readdirSync(dir).filter((n) => /^\.\.\d{4}_/.test(n));

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), "kts-aw-"));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test("timestamped data directory names follow upstream's ..2006_01_02_15_04_05. layout in UTC", () => {
  assert.is(timestampDirPrefix(Date.UTC(2026, 10, 22, 10, 0, 0, 123)), "..2026_11_22_10_00_00.");
});

test("first write: files live in a timestamped dir, ..data points at it, visible names link through ..data", withDir(async (dir) => {
  const w = new AtomicWriter(nodeFs, dir, () => Date.UTC(2026, 10, 22, 10, 0, 0), () => 0.123456789);
  assert.is(await w.write(payload({ "game.properties": file("lives=3"), "ui/colors": file("red", 0o600) })), true);
  const [ts] = tsDirs(dir);
  assert.is(ts, "..2026_11_22_10_00_00.123456789");
  assert.is(readlinkSync(join(dir, "..data")), ts);
  assert.is(readlinkSync(join(dir, "game.properties")), "..data/game.properties");
  assert.is(readlinkSync(join(dir, "ui")), "..data/ui");
  assert.is(readFileSync(join(dir, "ui/colors"), "utf8"), "red");
  assert.is(statSync(join(dir, "ui/colors")).mode & 0o777, 0o600);
  assert.is(statSync(join(dir, "game.properties")).mode & 0o777, 0o644);
  assert.is(statSync(join(dir, ts!)).mode & 0o777, 0o755);
}));

test("an update swaps ..data to a new dir, removes the old dir and keys that went away", withDir(async (dir) => {
  let n = 0.1;
  const w = new AtomicWriter(nodeFs, dir, () => Date.now(), () => (n += 0.1));
  await w.write(payload({ a: file("1"), b: file("2"), "d/x": file("3") }));
  const [first] = tsDirs(dir);
  assert.is(await w.write(payload({ a: file("1 changed"), c: file("new") })), true);
  const dirs = tsDirs(dir);
  assert.is(dirs.length, 1);
  assert.is.not(dirs[0], first);
  assert.is(readlinkSync(join(dir, "..data")), dirs[0]);
  assert.equal(readdirSync(dir).filter((x) => !x.startsWith("..")).sort(), ["a", "c"]);
  assert.is(readFileSync(join(dir, "a"), "utf8"), "1 changed");
  assert.ok(!readdirSync(dir).includes("..data_tmp"));
}));

test("an unchanged payload writes nothing", withDir(async (dir) => {
  const w = new AtomicWriter(nodeFs, dir, () => Date.now());
  await w.write(payload({ a: file("1") }));
  const before = tsDirs(dir);
  assert.is(await w.write(payload({ a: file("1") })), false);
  assert.equal(tsDirs(dir), before);
}));

test("leftover timestamped dirs and a stale ..data_tmp from a crash are cleaned on the next write", withDir(async (dir) => {
  const w = new AtomicWriter(nodeFs, dir, () => Date.now());
  await nodeFs.mkdirp(join(dir, "..2020_01_01_00_00_00.000000001"));
  await nodeFs.symlink("nowhere", join(dir, "..data_tmp"));
  await w.write(payload({ a: file("1") }));
  assert.is(tsDirs(dir).length, 1);
  assert.is(lstatSync(join(dir, "..data")).isSymbolicLink(), true);
}));

test("hostile paths are rejected with upstream's messages and nothing is written", withDir(async (dir) => {
  const w = new AtomicWriter(nodeFs, dir, () => Date.now());
  const cases: [string, string][] = [
    ["/etc/passwd", "invalid path: must be relative path: /etc/passwd"],
    ["../escape", "invalid path: must not contain '..': ../escape"],
    ["a/../../escape", "invalid path: must not contain '..': a/../../escape"],
    ["..data", "invalid path: must not start with '..': ..data"],
    ["..2026_11_22_10_00_00.1/x", "invalid path: must not start with '..': ..2026_11_22_10_00_00.1/x"],
    ["", 'invalid path: must not be empty: ""'],
    ["x".repeat(256), "invalid path: filenames must be less than or equal to 255 characters"],
    [("d/").repeat(2049) + "f", "invalid path: must be less than or equal to 4096 characters"],
  ];
  for (const [path, message] of cases) {
    assert.is(validatePayloadPath(path), message, path.slice(0, 40));
    await w.write(payload({ ok: file("1"), [path]: file("pwned") })).then(
      () => assert.unreachable(`accepted ${path.slice(0, 40)}`),
      (err: Error) => assert.is(err.message, message),
    );
  }
  assert.equal(readdirSync(dir), []);
}));

test("names starting with '..' are reserved, names merely containing dots are fine; paths are cleaned like filepath.Clean", () => {
  assert.is(validatePayloadPath("..."), "invalid path: must not start with '..': ...");
  assert.is(validatePayloadPath("a..b"), undefined);
  assert.is(validatePayloadPath("a/..b"), undefined);
  const r = validatePayload(payload({ "./a//b/.": file("x") }));
  assert.ok("payload" in r && [...r.payload.keys()][0] === "a/b");
});

test.run();
