import { test } from "uvu";
import * as assert from "uvu/assert";
import { silentLogger } from "../../kubelet/log.ts";
import { formatMicroTime, LeaseController } from "../../kubelet/nodelease/leaseController.ts";
import { ApiError } from "../../kubelet/ports/api.ts";
import { FakeApiServer } from "./support/fakeApiServer.ts";
import { fakeClock } from "./support/fakeTime.ts";

function setup(withNode = true) {
  const api = new FakeApiServer();
  if (withNode) api.nodes.set("n1", { metadata: { name: "n1", uid: "node-uid-1", resourceVersion: "1" } });
  const { clock, advance } = fakeClock();
  let failures = 0;
  const lease = new LeaseController({ api, nodeName: "n1", clock, log: silentLogger, durationSeconds: 40, random: () => 0, onRepeatedHeartbeatFailure: () => failures++ });
  return { api, clock, advance, lease, failures: () => failures };
}

test("MicroTime has six fractional digits", () => {
  assert.is(formatMicroTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678)), "2026-01-02T03:04:05.678000Z");
});

test("the lease is created owned by the Node, then renewed every 10 s with a PUT", async () => {
  const s = setup();
  s.lease.start();
  await s.advance(0);
  const l = s.api.leases.get("n1")!;
  assert.equal(l.spec!.holderIdentity, "n1");
  assert.is(l.spec!.leaseDurationSeconds, 40);
  assert.is(l.metadata.namespace, "kube-node-lease");
  assert.equal(l.metadata.ownerReferences, [{ apiVersion: "v1", kind: "Node", name: "n1", uid: "node-uid-1" }]);
  assert.is(l.spec!.renewTime, formatMicroTime(s.clock.now()));
  assert.equal(s.api.calls(/lease/), ["GET /apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1", "POST /apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases"]);
  const first = l.spec!.renewTime!;
  await s.advance(9_999);
  assert.is(s.api.calls(/PUT/).length, 0);
  await s.advance(1);
  assert.is(s.api.calls(/PUT/).length, 1);
  assert.ok(s.api.leases.get("n1")!.spec!.renewTime! > first);
  await s.advance(30_000);
  assert.is(s.api.calls(/PUT/).length, 4);
  assert.is(s.api.calls(/GET.*nodes/).length, 1, "the owner is looked up once");
  await s.lease.stop();
  await s.advance(60_000);
  assert.is(s.api.calls(/PUT/).length, 4, "no renewals after stop");
});

test("without the Node the lease is not created; it is once the Node exists", async () => {
  const s = setup(false);
  s.lease.start();
  await s.advance(10_000);
  assert.is(s.api.leases.size, 0);
  s.api.nodes.set("n1", { metadata: { name: "n1", uid: "u2" } });
  await s.advance(10_000);
  assert.is(s.api.leases.get("n1")!.metadata.ownerReferences![0]!.uid, "u2");
  await s.lease.stop();
});

test("a deleted lease is recreated; a conflict re-reads the lease and retries", async () => {
  const s = setup();
  s.lease.start();
  await s.advance(0);
  s.api.leases.delete("n1");
  await s.advance(10_000);
  assert.ok(s.api.leases.has("n1"), "recreated after renewals hit 404");
  // someone else bumps the lease: our PUT conflicts, we GET the new version and renew on top of it
  const cur = s.api.leases.get("n1")!;
  cur.metadata.resourceVersion = "9999";
  cur.metadata.labels = { touched: "yes" };
  const puts = s.api.calls(/PUT/).length;
  await s.advance(10_000);
  assert.is(s.api.calls(/PUT/).length, puts + 2);
  assert.equal(s.api.leases.get("n1")!.metadata.labels, { touched: "yes" });
  await s.lease.stop();
});

test("while the server is down renewals back off (at most 7 s apart) and resume when it returns", async () => {
  const s = setup();
  s.lease.start();
  await s.advance(0);
  s.api.down = true;
  const before = s.api.requests.length;
  await s.advance(60_000);
  const during = s.api.requests.length - before;
  assert.ok(during > 5 && during < 40, `${during} requests in 60 s of outage`);
  assert.ok(s.failures() >= 4, "repeated failures are reported");
  s.api.down = false;
  const t = s.clock.now();
  await s.advance(8_000);
  const renewed = Date.parse(s.api.leases.get("n1")!.spec!.renewTime!);
  assert.ok(renewed >= t, "renewed within 8 s of the server coming back");
  s.api.failNext(/PUT/, () => new ApiError(500, "InternalError", undefined, "PUT"), 1);
  await s.lease.stop();
});

test.run();
