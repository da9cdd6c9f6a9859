import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Pod } from "../../bindings/kube/types.ts";
import { createHealthzHandler, createKubeletApiHandler } from "../../kubelet/server/kubeletApi.ts";

const pod: Pod = { metadata: { name: "web-node1", namespace: "default", uid: "u1" }, spec: { containers: [{ name: "c", image: "x" }] }, status: { phase: "Running" } };
const get = (path: string, method = "GET") => new Request(`http://127.0.0.1:10250${path}`, { method });

test("GET /healthz answers ok", async () => {
  const res = await createKubeletApiHandler({ pods: () => [] })(get("/healthz"));
  assert.is(res.status, 200);
  assert.is(await res.text(), "ok");
  assert.match(res.headers.get("content-type")!, /^text\/plain/);
});

test("GET /pods returns a v1 PodList of the provider's pods with their status", async () => {
  const res = await createKubeletApiHandler({ pods: async () => [pod] })(get("/pods"));
  assert.is(res.status, 200);
  assert.is(res.headers.get("content-type"), "application/json");
  assert.equal(await res.json(), { kind: "PodList", apiVersion: "v1", metadata: {}, items: [pod] });
});

test("/pods/ with a trailing slash is the same endpoint", async () => {
  assert.is((await createKubeletApiHandler({ pods: () => [] })(get("/pods/"))).status, 200);
});

test("unknown paths are 404, other methods on known paths 405", async () => {
  const handler = createKubeletApiHandler({ pods: () => [] });
  assert.is((await handler(get("/nope"))).status, 404);
  const res = await handler(get("/pods", "POST"));
  assert.is(res.status, 405);
  assert.is(res.headers.get("allow"), "GET, HEAD");
});

test("a failing pod provider is a 500 with the reason", async () => {
  const res = await createKubeletApiHandler({ pods: () => { throw new Error("pod manager not ready"); } })(get("/pods"));
  assert.is(res.status, 500);
  assert.match(await res.text(), /pod manager not ready/);
});

test("a failing health check makes /healthz 500 with the check named and the reason withheld", async () => {
  const handler = createKubeletApiHandler({ pods: () => [], healthChecks: [{ name: "syncloop", check: () => "sync loop stalled for 5m" }] });
  const res = await handler(get("/healthz"));
  assert.is(res.status, 500);
  assert.is(await res.text(), "[+]ping ok\n[-]syncloop failed: reason withheld\nhealthz check failed\n");
});

test("/healthz?verbose lists passing checks", async () => {
  const res = await createHealthzHandler([{ name: "syncloop", check: async () => undefined }])(get("/healthz?verbose"));
  assert.is(await res.text(), "[+]ping ok\n[+]syncloop ok\nhealthz check passed\n");
});

test("the healthz-only handler serves nothing but /healthz", async () => {
  const handler = createHealthzHandler();
  assert.is((await handler(get("/healthz"))).status, 200);
  assert.is((await handler(get("/pods"))).status, 404);
});

test.run();
