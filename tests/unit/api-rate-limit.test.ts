/** The API client's rate limit (kubeAPIQPS / kubeAPIBurst): a burst at once, then the QPS, in order; off when unset. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { rateLimitedApi } from "../../kubelet/apiclient/rateLimitedApi.ts";
import type { ApiRequest, ApiTransport } from "../../kubelet/ports/api.ts";
import { fakeClock, settle } from "./support/fakeTime.ts";

/** A fake transport recording when each call reached it. */
function recording(now: () => number) {
  const calls: { what: string; at: number }[] = [];
  const api: ApiTransport = {
    server: "https://fake:6443",
    async request<T>(req: ApiRequest) {
      calls.push({ what: req.path, at: now() });
      return { status: 200, body: {} as T };
    },
    async watch(path: string) {
      calls.push({ what: `watch ${path}`, at: now() });
    },
    close: () => undefined,
  };
  return { api, calls };
}

test("qps 0 (kubeAPIQPS unset) returns the transport itself", () => {
  const { clock } = fakeClock();
  const { api } = recording(clock.now);
  assert.is(rateLimitedApi(api, 0, 10, clock), api);
});

test("a burst goes out at once, the rest at the QPS, in order; watches take tokens too", async () => {
  const { clock, advance } = fakeClock();
  const { api, calls } = recording(clock.now);
  const limited = rateLimitedApi(api, 5, 3, clock);
  const t0 = clock.now();
  const done = [
    ...Array.from({ length: 5 }, (_, i) => limited.request({ method: "GET", path: `/r${i}` })),
    limited.watch("/w", {}, () => undefined),
  ];
  await settle();
  assert.equal(calls.map((c) => c.what), ["/r0", "/r1", "/r2"]);
  await advance(1000);
  await Promise.all(done);
  assert.equal(calls.map((c) => c.what), ["/r0", "/r1", "/r2", "/r3", "/r4", "watch /w"]);
  assert.equal(calls.slice(3).map((c) => c.at - t0), [200, 400, 600]);
});

test.run();
