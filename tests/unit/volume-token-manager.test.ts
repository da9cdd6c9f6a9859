import { test } from "uvu";
import * as assert from "uvu/assert";
import type { ObjectSource, TokenRequestSpec } from "../../kubelet/volumemanager/objectSource.ts";
import { TokenManager } from "../../kubelet/volumemanager/tokenManager.ts";

function setup(expirationSeconds: number) {
  let now = Date.UTC(2026, 10, 22, 10, 0, 0);
  let issued = 0;
  let failing = false;
  const source: ObjectSource = {
    getConfigMap: async () => undefined,
    getSecret: async () => undefined,
    requestToken: async (_ns, _sa, spec) => {
      if (failing) throw new Error("apiserver down");
      issued++;
      return { token: `t${issued}`, expirationTimestamp: new Date(now + (spec.expirationSeconds ?? 3600) * 1000).toISOString() };
    },
  };
  // random() = 0: no jitter, so the refresh points are exact.
  const tm = new TokenManager(source, () => now, () => 0);
  const spec: TokenRequestSpec = { audiences: [], expirationSeconds, boundObjectRef: { apiVersion: "v1", kind: "Pod", name: "p", uid: "u" } };
  return {
    tm, spec,
    get: () => tm.getToken("ns", "sa", spec).then((s) => s.token),
    advance: (ms: number) => { now += ms; },
    fail: (f: boolean) => { failing = f; },
  };
}

test("a token is reused until 80% of its lifetime has passed, then refreshed", async () => {
  const s = setup(600);
  assert.is(await s.get(), "t1");
  s.advance(480_000); // exactly 80%: not yet
  assert.is(await s.get(), "t1");
  s.advance(1000);
  assert.is(await s.get(), "t2");
});

test("long-lived tokens are refreshed after 24 hours", async () => {
  const s = setup(7 * 24 * 3600);
  assert.is(await s.get(), "t1");
  s.advance(24 * 3600_000 + 1000);
  assert.is(await s.get(), "t2");
});

test("a failed refresh serves the cached token while it is still valid, then fails", async () => {
  const s = setup(600);
  await s.get();
  s.advance(500_000);
  s.fail(true);
  assert.is(await s.get(), "t1");
  s.advance(200_000);
  await s.get().then(() => assert.unreachable("expired token served"), (e: Error) => assert.is(e.message, "apiserver down"));
});

test("tokens differ per audience and are forgotten with their pod", async () => {
  const s = setup(3600);
  assert.is(await s.get(), "t1");
  assert.is((await s.tm.getToken("ns", "sa", { ...s.spec, audiences: ["vault"] })).token, "t2");
  s.tm.deleteForPod("u");
  assert.is(await s.get(), "t3");
  assert.is(s.tm.nextRefreshInMs(), 2880_000);
});

test.run();
