import { test } from "uvu";
import * as assert from "uvu/assert";
import { WatchDecodeError, WatchDecoder } from "../../kubelet/apiclient/watchDecoder.ts";

const events = [
  { type: "ADDED", object: { kind: "Pod", metadata: { name: "a", resourceVersion: "1" } } },
  { type: "MODIFIED", object: { kind: "Pod", metadata: { name: "b", annotations: { note: "grüße, 日本, 🚀" } } } },
  { type: "BOOKMARK", object: { kind: "Pod", metadata: { resourceVersion: "9" } } },
  { type: "ERROR", object: { kind: "Status", code: 410, reason: "Expired" } },
];
const stream = Buffer.from(events.map((e) => JSON.stringify(e) + "\n").join(""));

test("every split of the stream into two chunks yields the same events (multi-byte characters included)", () => {
  for (let cut = 0; cut <= stream.length; cut++) {
    const d = new WatchDecoder("watch /api/v1/pods");
    const got = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut)), ...d.end()];
    assert.equal(got, events, `cut at byte ${cut}`);
  }
});

test("one byte at a time yields each event as soon as its line is complete", () => {
  const d = new WatchDecoder("w");
  const seen: number[] = [];
  for (let i = 0; i < stream.length; i++) if (d.push(stream.subarray(i, i + 1)).length > 0) seen.push(i);
  const newlines = [...stream.entries()].filter(([, b]) => b === 0x0a).map(([i]) => i);
  assert.equal(seen, newlines);
  assert.equal(d.end(), []);
});

test("a last event without a trailing newline is delivered at the end; blank lines are skipped", () => {
  const d = new WatchDecoder("w");
  assert.equal(d.push("\n" + JSON.stringify(events[0])), []);
  assert.equal(d.end(), [events[0]]);
});

test("a malformed line or a cut-off stream is an error naming the watch", () => {
  assert.throws(() => new WatchDecoder("watch /x").push("{nope}\n"), (e: Error) => e instanceof WatchDecodeError && /watch \/x: malformed watch event \(not JSON\)/.test(e.message));
  assert.throws(() => new WatchDecoder("w").push('{"type":"SURPRISE","object":{}}\n'), /expected \{type, object\}/);
  const d = new WatchDecoder("w");
  d.push('{"type":"ADDED","obj');
  assert.throws(() => d.end(), /not JSON/);
});

test.run();
