import { test } from "uvu";
import * as assert from "uvu/assert";
import { CriLogDecoder, parseCriLog, parseRfc3339Nano, readContainerLog, readLogTail, selectLogOutput } from "../../kubelet/kuberuntime/logs.ts";
import { fakeClock, settle } from "./support/fakeTime.ts";
import { memoryFs } from "./support/memoryFs.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const LOG = [
  "2026-11-22T12:00:00.000000001Z stdout F first",
  "2026-11-22T12:00:01.5Z stderr F oops",
  "2026-11-22T12:00:02.100000000Z stdout P par",
  "2026-11-22T12:00:02.200000000Z stderr F between",
  "2026-11-22T12:00:02.300000000Z stdout P ti",
  "2026-11-22T12:00:02.400000000Z stdout F al",
  "2026-11-22T12:00:03Z stdout F last",
  "",
].join("\n");
const select = (o: Parameters<typeof selectLogOutput>[1]) => dec.decode(selectLogOutput(enc.encode(LOG), o));

test("parses the CRI format: both streams, partial pieces joined per stream with the first piece's time", () => {
  const msgs = parseCriLog(enc.encode(LOG));
  assert.equal(msgs.map((m) => [m.stream, dec.decode(m.content)]), [
    ["stdout", "first\n"], ["stderr", "oops\n"], ["stderr", "between\n"], ["stdout", "partial\n"], ["stdout", "last\n"],
  ]);
  assert.is(msgs[3]!.timestamp, "2026-11-22T12:00:02.100000000Z");
  assert.is(msgs[0]!.timeNs, BigInt(Date.UTC(2026, 10, 22, 12)) * 1_000_000n + 1n);
});

test("lines split across chunks decode as if whole; malformed lines are skipped and counted", () => {
  const d = new CriLogDecoder();
  const bytes = enc.encode(`${LOG}garbage line\n2026-11-22T12:00:04Z stdin F x\n2026-11-22T12:00:05Z stdout F end\n`);
  const out = [];
  for (let i = 0; i < bytes.length; i += 7) out.push(...d.push(bytes.subarray(i, i + 7)));
  assert.equal(out.map((m) => dec.decode(m.content)), ["first\n", "oops\n", "between\n", "partial\n", "last\n", "end\n"]);
  assert.is(d.malformed, 2);
});

test("an empty F line is an empty line; extra tags after ':' are ignored", () => {
  const msgs = parseCriLog(enc.encode("2026-11-22T12:00:00Z stdout F\n2026-11-22T12:00:00Z stdout F:x y\n"));
  assert.equal(msgs.map((m) => dec.decode(m.content)), ["\n", "y\n"]);
});

test("whole log; timestamps prefix Go's RFC3339Nano (trailing zeros trimmed)", () => {
  assert.is(select({}), "first\noops\nbetween\npartial\nlast\n");
  assert.is(select({ timestamps: true, tailLines: 3 }),
    "2026-11-22T12:00:02.2Z between\n2026-11-22T12:00:02.1Z partial\n2026-11-22T12:00:03Z last\n");
  assert.is(select({ timestamps: true, tailLines: 1 }).split(" ")[0], "2026-11-22T12:00:03Z");
  assert.is(dec.decode(selectLogOutput(enc.encode("2026-11-22T12:00:00.000000001Z stdout F a\n"), { timestamps: true })), "2026-11-22T12:00:00.000000001Z a\n");
});

test("tailLines keeps the last N messages (0: none, more than there are: all)", () => {
  assert.is(select({ tailLines: 2 }), "partial\nlast\n");
  assert.is(select({ tailLines: 0 }), "");
  assert.is(select({ tailLines: 99 }), "first\noops\nbetween\npartial\nlast\n");
});

test("limitBytes cuts the line that crosses the limit and stops", () => {
  assert.is(select({ limitBytes: 8 }), "first\noo");
  assert.is(select({ limitBytes: 6 }), "first\n");
  assert.is(select({ limitBytes: 1000 }), "first\noops\nbetween\npartial\nlast\n");
});

test("since (sinceSeconds / sinceTime as nanoseconds) keeps messages at or after it, after the tail", () => {
  assert.is(select({ sinceNs: parseRfc3339Nano("2026-11-22T12:00:01.5Z") }), "oops\nbetween\npartial\nlast\n");
  assert.is(select({ sinceNs: parseRfc3339Nano("2026-11-22T12:00:02.15Z") }), "between\nlast\n");
  assert.is(select({ sinceNs: parseRfc3339Nano("2026-11-22T12:00:01Z"), tailLines: 4 }), "oops\nbetween\npartial\nlast\n");
  assert.is(select({ sinceNs: parseRfc3339Nano("2026-11-22T12:00:00Z"), tailLines: 1 }), "last\n");
});

test("parseRfc3339Nano reads offsets and fractions, refuses other text", () => {
  assert.is(parseRfc3339Nano("2026-11-22T13:00:00+01:00"), BigInt(Date.UTC(2026, 10, 22, 12)) * 1_000_000n);
  assert.is(parseRfc3339Nano("2026-11-22T12:00:00.5Z")! - parseRfc3339Nano("2026-11-22T12:00:00Z")!, 500_000_000n);
  assert.is(parseRfc3339Nano("yesterday"), undefined);
  assert.is(parseRfc3339Nano("2026-11-22 12:00:00Z"), undefined);
});

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  let out = "";
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) out += dec.decode(chunk);
  return out;
}

test("without follow the stream ends after the file's content", async () => {
  const { fs } = memoryFs({ "/logs/0.log": LOG });
  const { clock } = fakeClock();
  assert.is(await readAll(readContainerLog("/logs/0.log", { tailLines: 1 }, { fs, clock, isRunning: async () => true })), "last\n");
});

test("follow delivers lines written later and ends once the container stops", async () => {
  const { fs, append } = memoryFs({ "/logs/0.log": "2026-11-22T12:00:00Z stdout F one\n" });
  const { clock, advance } = fakeClock();
  let running = true;
  const reader = readContainerLog("/logs/0.log", { follow: true }, { fs, clock, isRunning: async () => running, pollMs: 100, stateCheckMs: 1000 }).getReader();
  assert.is(dec.decode((await reader.read()).value), "one\n");
  const next = reader.read();
  append("/logs/0.log", "2026-11-22T12:00:01Z stdout P tw");
  await advance(100);
  append("/logs/0.log", "\n2026-11-22T12:00:01Z stdout F o\n");
  await advance(100);
  assert.is(dec.decode((await next).value), "two\n");
  const end = reader.read();
  running = false;
  append("/logs/0.log", "2026-11-22T12:00:02Z stderr F bye\n");
  await advance(100);
  assert.is(dec.decode((await end).value), "bye\n");
  await advance(2000);
  assert.is((await reader.read()).done, true);
});

test("follow restarts at the beginning of a rotated file, even one that grew past the old length", async () => {
  const { fs } = memoryFs({ "/logs/0.log": "2026-11-22T12:00:00Z stdout F a\n" });
  const { clock, advance } = fakeClock();
  const reader = readContainerLog("/logs/0.log", { follow: true, tailLines: 0 }, { fs, clock, isRunning: async () => true, pollMs: 100 }).getReader();
  const next = reader.read();
  await settle();
  await fs.rename("/logs/0.log", "/logs/0.log.20261122-120000");
  await fs.writeFileAtomic("/logs/0.log", "2026-11-22T12:00:09Z stdout F a longer first line after rotation\n");
  await advance(100);
  assert.is(dec.decode((await next).value), "a longer first line after rotation\n");
  await reader.cancel();
});

test("follow restarts at the beginning of a truncated (shorter) file", async () => {
  const { fs } = memoryFs({ "/logs/0.log": LOG });
  const { clock, advance } = fakeClock();
  const reader = readContainerLog("/logs/0.log", { follow: true, tailLines: 0 }, { fs, clock, isRunning: async () => true, pollMs: 100 }).getReader();
  const next = reader.read();
  await settle();
  await fs.writeFileAtomic("/logs/0.log", "2026-11-22T12:00:09Z stdout F fresh\n");
  await advance(100);
  assert.is(dec.decode((await next).value), "fresh\n");
  await reader.cancel();
});

test("follow stops at limitBytes; cancelling stops polling", async () => {
  const { fs, append } = memoryFs({ "/logs/0.log": "2026-11-22T12:00:00Z stdout F one\n" });
  const { clock, advance, pending } = fakeClock();
  const reader = readContainerLog("/logs/0.log", { follow: true, limitBytes: 6 }, { fs, clock, isRunning: async () => true, pollMs: 100 }).getReader();
  assert.is(dec.decode((await reader.read()).value), "one\n");
  const next = reader.read();
  append("/logs/0.log", "2026-11-22T12:00:01Z stdout F three\n");
  await advance(100);
  assert.is(dec.decode((await next).value), "th");
  assert.is((await reader.read()).done, true);

  const r2 = readContainerLog("/logs/0.log", { follow: true }, { fs, clock, isRunning: async () => true, pollMs: 100 }).getReader();
  await r2.read();
  void r2.read();
  await settle();
  assert.ok(pending() > 0);
  await r2.cancel();
  assert.is(pending(), 0);
});

test("readLogTail: the last N lines without timestamps, at most maxBytes kept from the end", async () => {
  const lines = Array.from({ length: 100 }, (_, i) => `2026-11-22T12:00:${String(i % 60).padStart(2, "0")}Z stdout F line ${i}\n`).join("");
  const { fs } = memoryFs({ "/logs/0.log": lines });
  assert.is(await readLogTail(fs, "/logs/0.log", 2, 2048), "line 98\nline 99\n");
  assert.is(await readLogTail(fs, "/logs/0.log", 80, 10), "8\nline 99\n");
  assert.is((await readLogTail(fs, "/logs/0.log", 80, 4096)).split("\n")[0], "line 20");
});

test("readLogTail drops a line cut by its read window in a large log", async () => {
  const filler = `2026-11-22T12:00:00Z stdout F ${"x".repeat(1000)}\n`.repeat(70);
  const { fs } = memoryFs({ "/logs/0.log": `${filler}2026-11-22T12:00:01Z stdout F the end\n` });
  const out = await readLogTail(fs, "/logs/0.log", 80, 1_000_000);
  assert.ok(out.endsWith("the end\n"));
  assert.ok(out.split("\n").slice(0, -2).every((l) => l === "x".repeat(1000)), "only whole lines");
});

test.run();
