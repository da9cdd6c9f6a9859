/**
 * Events posted to the API server: a repeat PATCHes the first post's count, the per-object spam
 * filter drops floods, the client rate limit (eventRecordQPS / eventBurst) delays requests in
 * order, and the queue is bounded.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ApiEventSink, EVENT_QUEUE_LIMIT } from "../../kubelet/events/apiEventSink.ts";
import type { KubeletEvent } from "../../kubelet/events/recorder.ts";
import { createLogger } from "../../kubelet/log.ts";
import type { ApiRequest, ApiResponse, ApiTransport } from "../../kubelet/ports/api.ts";
import { fakeClock, settle } from "./support/fakeTime.ts";

/** A fake API transport that records every request with the fake clock's time and answers 201. */
function recordingApi(now: () => number) {
  const calls: { at: number; req: ApiRequest }[] = [];
  const api: ApiTransport = {
    server: "https://fake:6443",
    async request<T>(req: ApiRequest): Promise<ApiResponse<T>> {
      calls.push({ at: now(), req });
      return { status: 201, body: {} as T };
    },
  } as ApiTransport;
  return { api, calls };
}

const quiet = createLogger(0, () => undefined);

function event(at: number, name: string, count = 1, reason = "Started"): KubeletEvent {
  return { subject: { kind: "Pod", name, namespace: "ns", uid: `uid-${name}` }, type: "Normal", reason, message: `msg ${reason}`, firstTimestamp: at, lastTimestamp: at, count };
}

test("a repeated event PATCHes count and lastTimestamp of the event posted first", async () => {
  const { clock } = fakeClock();
  const { api, calls } = recordingApi(clock.now);
  const sink = new ApiEventSink(api, "node-a", quiet, clock, { qps: 0, burst: 10 });
  const t = clock.now();
  sink.send(event(t, "p"));
  sink.send({ ...event(t, "p", 2), lastTimestamp: t + 5000 });
  await sink.flushed();
  assert.equal(calls.map((c) => c.req.method), ["POST", "PATCH"]);
  const posted = calls[0]!.req.body as { metadata: { name: string }; source: { host: string } };
  assert.is(posted.source.host, "node-a");
  assert.is(calls[1]!.req.path, `/api/v1/namespaces/ns/events/${posted.metadata.name}`);
  assert.equal(calls[1]!.req.body, { count: 2, lastTimestamp: new Date(t + 5000).toISOString().replace(/\.\d{3}Z$/, "Z") });
});

test("the spam filter lets 25 events per object through, then one per 5 minutes", async () => {
  const { clock } = fakeClock();
  const { api, calls } = recordingApi(clock.now);
  const sink = new ApiEventSink(api, "node-a", quiet, clock, { qps: 0, burst: 10 });
  const t = clock.now();
  for (let i = 0; i < 40; i++) sink.send(event(t, "flood", 1, `R${i}`));
  sink.send(event(t, "other"));
  await sink.flushed();
  assert.is(calls.filter((c) => (c.req.body as { involvedObject: { name: string } }).involvedObject.name === "flood").length, 25);
  assert.is(calls.length, 26, "another object is not affected");
  sink.send(event(t + 5 * 60_000, "flood", 1, "Later"));
  await sink.flushed();
  assert.is(calls.length, 27, "a token came back after 5 minutes");
});

test("eventRecordQPS/eventBurst: a burst goes out at once, the rest at the QPS rate, in order", async () => {
  const { clock, advance } = fakeClock();
  const { api, calls } = recordingApi(clock.now);
  const sink = new ApiEventSink(api, "node-a", quiet, clock, { qps: 5, burst: 10 });
  const t0 = clock.now();
  for (let i = 0; i < 20; i++) sink.send(event(t0, `p${i}`));
  await settle();
  assert.is(calls.length, 10, "the burst");
  assert.is(sink.pending, 10);
  await advance(1000);
  assert.is(calls.length, 15, "5 more in the next second");
  await advance(1000);
  assert.is(calls.length, 20);
  assert.equal(calls.map((c) => (c.req.body as { involvedObject: { name: string } }).involvedObject.name), Array.from({ length: 20 }, (_, i) => `p${i}`));
  assert.ok(calls.slice(10).every((c, i) => c.at - t0 >= ((i + 1) * 1000) / 5 - 1), "each later request waited for its token");
  assert.is(sink.pending, 0);
});

test("eventRecordQPS 0 posts without waiting", async () => {
  const { clock } = fakeClock();
  const { api, calls } = recordingApi(clock.now);
  const sink = new ApiEventSink(api, "node-a", quiet, clock, { qps: 0, burst: 10 });
  for (let i = 0; i < 50; i++) sink.send(event(clock.now(), `p${i}`));
  await sink.flushed();
  assert.is(calls.length, 50);
});

test(`at most ${EVENT_QUEUE_LIMIT} events wait; more are dropped, and the kubelet goes on`, async () => {
  const { clock, advance } = fakeClock();
  const { api, calls } = recordingApi(clock.now);
  const lines: string[] = [];
  const sink = new ApiEventSink(api, "node-a", createLogger(0, (l) => lines.push(l)), clock, { qps: 1, burst: 1 });
  for (let i = 0; i < EVENT_QUEUE_LIMIT + 50; i++) sink.send(event(clock.now(), `p${i}`));
  assert.is(sink.pending, EVENT_QUEUE_LIMIT);
  assert.ok(lines.some((l) => l.includes("event queue full")));
  await advance(5000);
  assert.ok(calls.length >= 5 && calls.length <= 6, `${calls.length} posted in 5 s at 1 QPS`);
});

test("a failing post is logged and the queue goes on", async () => {
  const { clock } = fakeClock();
  let n = 0;
  const posted: string[] = [];
  const api = {
    server: "https://fake:6443",
    async request(req: ApiRequest) {
      if (n++ === 0) throw new Error("connection refused");
      posted.push((req.body as { involvedObject: { name: string } }).involvedObject.name);
      return { status: 201, body: {} };
    },
  } as unknown as ApiTransport;
  const sink = new ApiEventSink(api, "node-a", quiet, clock, { qps: 0, burst: 10 });
  sink.send(event(clock.now(), "a"));
  sink.send(event(clock.now(), "b"));
  await sink.flushed();
  assert.equal(posted, ["b"]);
  assert.is(sink.pending, 0);
});

test.run();
