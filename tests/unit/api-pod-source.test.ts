/** The API pod source's retry timing (upstream reflector): connection refused on watch vs other failures. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Pod } from "../../bindings/kube/types.ts";
import { startApiPodSource } from "../../kubelet/config/apiPodSource.ts";
import { silentLogger } from "../../kubelet/log.ts";
import { ApiUnreachableError, type ApiRequest, type ApiTransport } from "../../kubelet/ports/api.ts";
import { fakeClock, settle } from "./support/fakeTime.ts";

function fakeApi(watchFailure: () => Error) {
  const calls: string[] = [];
  let failures = 0;
  const api: ApiTransport = {
    server: "https://fake",
    request: async <T>(req: ApiRequest) => (calls.push(`list ${req.path}`), { status: 200, body: { items: [], metadata: { resourceVersion: "7" } } as T }),
    watch: async (_path, query) => {
      calls.push(`watch rv=${query?.resourceVersion}`);
      failures++;
      throw watchFailure();
    },
    close: () => undefined,
  };
  return { api, calls, failures: () => failures };
}

const start = (api: ApiTransport, clock: ReturnType<typeof fakeClock>["clock"]) =>
  startApiPodSource({ api, nodeName: "n1", clock, log: silentLogger, onPods: (_p: Pod[]) => undefined, random: () => 0 });

test("a refused watch is retried every second from the same resourceVersion, without relisting", async () => {
  const t = fakeClock();
  const f = fakeApi(() => new ApiUnreachableError("watch: cannot reach the API server: connect ECONNREFUSED", "ECONNREFUSED"));
  const src = start(f.api, t.clock);
  await settle();
  await t.advance(10_000);
  src.stop();
  assert.is(f.calls.filter((c) => c.startsWith("list")).length, 1, "listed once");
  assert.ok(f.failures() >= 10 && f.failures() <= 12, `watch retried every second (${f.failures()} attempts in 10 s)`);
  assert.ok(f.calls.filter((c) => c.startsWith("watch")).every((c) => c === "watch rv=7"));
});

test("other watch failures back off exponentially (800 ms doubling) and relist only on 410", async () => {
  const t = fakeClock();
  const f = fakeApi(() => new Error("watch: stream closed before its end"));
  const src = start(f.api, t.clock);
  await settle();
  await t.advance(10_000);
  src.stop();
  // random 0: pauses of 0.8, 1.6, 3.2, 6.4 s → 4 attempts in 10 s
  assert.is(f.failures(), 4);
});

test.run();
