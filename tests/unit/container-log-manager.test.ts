/**
 * Container log rotation on a real temporary directory (the Node host's Fs) with a fake CRI that
 * "reopens" a log by creating the live file again.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { nodeFs } from "../../hosts/node/fs.ts";
import { ContainerLogManager, LOG_MONITOR_PERIOD_MS, rotationTimestamp } from "../../kubelet/logs/containerLogManager.ts";
import { createLogger } from "../../kubelet/log.ts";
import type { Cri } from "../../kubelet/ports/cri.ts";
import { fakeClock } from "./support/fakeTime.ts";

const START = Date.UTC(2026, 10, 23, 2, 30, 0);

/** A fake CRI with one container per entry; reopenContainerLog recreates the live log file. */
function fakeCri(containers: { id: string; logPath: string; state?: string }[], opts: { failReopen?: boolean } = {}) {
  const reopened: string[] = [];
  const cri = {
    async listContainers() {
      return containers.map((c) => ({ id: c.id, state: c.state ?? "CONTAINER_RUNNING" }));
    },
    async containerStatus(id: string) {
      return { status: { logPath: containers.find((c) => c.id === id)!.logPath }, info: {} };
    },
    async reopenContainerLog(id: string) {
      if (opts.failReopen) throw new Error("reopen refused");
      reopened.push(id);
      writeFileSync(containers.find((c) => c.id === id)!.logPath, "", { flag: "a" });
    },
  } as unknown as Pick<Cri, "listContainers" | "containerStatus" | "reopenContainerLog">;
  return { cri, reopened };
}

function setup(policy = { maxSizeBytes: 100, maxFiles: 3 }, criOpts: { failReopen?: boolean } = {}, state?: string) {
  const dir = mkdtempSync(join(tmpdir(), "kts-logrot-"));
  const log = join(dir, "0.log");
  const { clock, advance } = fakeClock(START);
  const { cri, reopened } = fakeCri([{ id: "c1", logPath: log, state }], criOpts);
  const lines: string[] = [];
  const m = new ContainerLogManager({ cri, fs: nodeFs, clock, log: createLogger(0, (l) => lines.push(l)), policy });
  return { dir, log, m, clock, advance, reopened, lines, done: () => rmSync(dir, { recursive: true, force: true }) };
}

test("rotationTimestamp is upstream's 20060102-150405 in UTC", () => {
  assert.is(rotationTimestamp(Date.UTC(2026, 0, 2, 3, 4, 5)), "20260102-030405");
});

test("a log below containerLogMaxSize is left alone", async () => {
  const s = setup();
  writeFileSync(s.log, "x".repeat(99));
  await s.m.rotateOnce();
  assert.equal(readdirSync(s.dir), ["0.log"]);
  assert.is(s.reopened.length, 0);
  s.done();
});

test("a log at containerLogMaxSize is renamed with a timestamp and the runtime reopens it", async () => {
  const s = setup();
  writeFileSync(s.log, "x".repeat(100));
  await s.m.rotateOnce();
  assert.equal(readdirSync(s.dir).sort(), ["0.log", `0.log.${rotationTimestamp(START)}`]);
  assert.is(readFileSync(s.log, "utf8"), "");
  assert.equal(s.reopened, ["c1"]);
  s.done();
});

test("older rotated logs are gzip-compressed, and at most containerLogMaxFiles files remain", async () => {
  const s = setup({ maxSizeBytes: 10, maxFiles: 3 });
  const contents: string[] = [];
  for (let i = 0; i < 4; i++) {
    contents.push(`round ${i} ${"y".repeat(20)}\n`);
    writeFileSync(s.log, contents[i]!);
    await s.m.rotateOnce();
    await s.advance(1000);
  }
  const files = readdirSync(s.dir).sort();
  // maxFiles 3: the live log, the newest rotated file (uncompressed) and one older one (compressed).
  assert.equal(files, ["0.log", `0.log.${rotationTimestamp(START + 2000)}.gz`, `0.log.${rotationTimestamp(START + 3000)}`]);
  assert.is(gunzipSync(readFileSync(join(s.dir, files[1]!))).toString(), contents[2]);
  assert.is(readFileSync(join(s.dir, files[2]!), "utf8"), contents[3]);
  s.done();
});

test("leftover .tmp files and uncompressed copies of compressed logs are removed", async () => {
  const s = setup({ maxSizeBytes: 10, maxFiles: 5 });
  writeFileSync(join(s.dir, "0.log.20260101-000000.gz.tmp"), "partial");
  writeFileSync(join(s.dir, "0.log.20260101-000001"), "dup");
  writeFileSync(join(s.dir, "0.log.20260101-000001.gz"), "compressed");
  writeFileSync(s.log, "z".repeat(10));
  await s.m.rotateOnce();
  assert.equal(readdirSync(s.dir).sort(), ["0.log", "0.log.20260101-000001.gz", `0.log.${rotationTimestamp(START)}`]);
  s.done();
});

test("when the runtime cannot reopen the log, the rotation is undone and logged", async () => {
  const s = setup({ maxSizeBytes: 10, maxFiles: 3 }, { failReopen: true });
  writeFileSync(s.log, "keep me, I am long");
  await s.m.rotateOnce();
  assert.equal(readdirSync(s.dir), ["0.log"]);
  assert.is(readFileSync(s.log, "utf8"), "keep me, I am long");
  assert.ok(s.lines.some((l) => l.includes("log rotation failed") && l.includes("reopen refused")));
  s.done();
});

test("a missing live log makes the runtime reopen it", async () => {
  const s = setup();
  await s.m.rotateOnce();
  assert.equal(s.reopened, ["c1"]);
  assert.ok(existsSync(s.log));
  s.done();
});

test("exited containers are not rotated", async () => {
  const s = setup(undefined, undefined, "CONTAINER_EXITED");
  writeFileSync(s.log, "x".repeat(500));
  await s.m.rotateOnce();
  assert.equal(readdirSync(s.dir), ["0.log"]);
  s.done();
});

test("start() checks every 10 s; stop() ends it", async () => {
  const s = setup();
  s.m.start();
  writeFileSync(s.log, "x".repeat(100));
  await s.advance(LOG_MONITOR_PERIOD_MS - 1);
  assert.is(s.reopened.length, 0);
  await s.advance(1);
  // The rotation runs on real file I/O: wait for it.
  for (let i = 0; i < 100 && s.reopened.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(s.reopened, ["c1"]);
  await s.m.stop();
  writeFileSync(s.log, "x".repeat(100));
  await s.advance(LOG_MONITOR_PERIOD_MS * 3);
  assert.equal(s.reopened, ["c1"]);
  s.done();
});

test.run();
