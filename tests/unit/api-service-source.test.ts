/** The API service source: list + watch of every Service into memory (the reflector shared with the pod source). */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Service } from "../../bindings/kube/types.ts";
import { startApiServiceSource } from "../../kubelet/config/apiServiceSource.ts";
import { silentLogger } from "../../kubelet/log.ts";
import { ApiError, ApiUnreachableError, type ApiTransport } from "../../kubelet/ports/api.ts";
import { fakeClock, settle } from "./support/fakeTime.ts";
import { scriptedApi } from "./support/scriptedApi.ts";

const svc = (ns: string, name: string, ip: string, rv = "1"): Service => ({
  metadata: { name, namespace: ns, uid: `uid-${ns}-${name}`, resourceVersion: rv },
  spec: { clusterIP: ip, ports: [{ port: 80 }] },
});
const names = (s: Service[]) => s.map((x) => `${x.metadata.namespace}/${x.metadata.name}`).sort();

function start(api: ApiTransport) {
  const t = fakeClock();
  const src = startApiServiceSource({ api, clock: t.clock, log: silentLogger, random: () => 0 });
  return { t, src };
}

test("lists every Service of all namespaces (no selector), then synced: services() has them typed as v1 Service", async () => {
  const f = scriptedApi<Service>();
  f.lists.push({ items: [svc("default", "kubernetes", "10.96.0.1"), svc("app", "web", "10.96.0.5")], rv: "10" });
  const { src } = start(f.api);
  assert.is(src.hasSynced(), false);
  await src.synced;
  assert.is(src.hasSynced(), true);
  assert.is(f.listCalls[0]!.path, "/api/v1/services");
  assert.is(f.listCalls[0]!.query, undefined);
  assert.equal(names(src.services()), ["app/web", "default/kubernetes"]);
  assert.ok(src.services().every((s) => s.apiVersion === "v1" && s.kind === "Service"));
  src.stop();
});

test("before the first list succeeds there are no services, and a failed list is retried with back-off", async () => {
  const f = scriptedApi<Service>();
  f.lists.push(new ApiError(403, "Forbidden", undefined, "GET /api/v1/services"));
  f.lists.push({ items: [svc("app", "web", "10.96.0.5")], rv: "3" });
  const { t, src } = start(f.api);
  await settle();
  assert.is(src.hasSynced(), false);
  assert.equal(src.services(), []);
  await t.advance(799);
  assert.is(f.listCalls.length, 1, "waits 800 ms (jitter 0) before the next list");
  await t.advance(1);
  assert.is(f.listCalls.length, 2);
  await src.synced;
  assert.equal(names(src.services()), ["app/web"]);
  src.stop();
});

test("watch events from the list's resourceVersion keep the cache current: ADDED, MODIFIED, DELETED", async () => {
  const f = scriptedApi<Service>();
  f.lists.push({ items: [svc("app", "web", "10.96.0.5")], rv: "10" });
  const { src } = start(f.api);
  await src.synced;
  await settle();
  const w = f.watches[0]!;
  assert.is(w.path, "/api/v1/services");
  assert.is(w.query!.resourceVersion, "10");
  assert.is(w.query!.allowWatchBookmarks, true);
  const timeout = Number(w.query!.timeoutSeconds);
  assert.ok(timeout >= 300 && timeout < 600, "a watch timeout between 5 and 10 minutes");
  w.send({ type: "ADDED", object: svc("app", "db", "10.96.0.6", "11") });
  w.send({ type: "MODIFIED", object: svc("app", "web", "10.96.0.7", "12") });
  assert.equal(names(src.services()), ["app/db", "app/web"]);
  assert.is(src.services().find((s) => s.metadata.name === "web")!.spec.clusterIP, "10.96.0.7");
  w.send({ type: "DELETED", object: svc("app", "db", "10.96.0.6", "13") });
  assert.equal(names(src.services()), ["app/web"]);
  src.stop();
});

test("a watch the server ends is resumed from the last resourceVersion seen, bookmarks included, without a relist", async () => {
  const f = scriptedApi<Service>();
  f.lists.push({ items: [], rv: "10" });
  const { src } = start(f.api);
  await src.synced;
  await settle();
  f.watches[0]!.send({ type: "ADDED", object: svc("app", "web", "10.96.0.5", "15") });
  f.watches[0]!.send({ type: "BOOKMARK", object: { metadata: { resourceVersion: "20" } } });
  assert.equal(names(src.services()), ["app/web"], "a bookmark changes no service");
  f.watches[0]!.end();
  await settle();
  assert.is(f.watches.length, 2);
  assert.is(f.watches[1]!.query!.resourceVersion, "20");
  assert.is(f.listCalls.length, 1);
  src.stop();
});

test("410 Gone (an ERROR event or a failed watch request) relists and replaces the cache", async () => {
  const f = scriptedApi<Service>();
  f.lists.push({ items: [svc("app", "web", "10.96.0.5")], rv: "10" });
  f.lists.push({ items: [svc("app", "db", "10.96.0.6")], rv: "30" });
  f.lists.push({ items: [svc("app", "cache", "10.96.0.8")], rv: "40" });
  const { src } = start(f.api);
  await src.synced;
  await settle();
  f.watches[0]!.send({ type: "ERROR", object: { kind: "Status", code: 410, message: "too old resource version" } });
  f.watches[0]!.end();
  await settle();
  assert.is(f.listCalls.length, 2);
  assert.equal(names(src.services()), ["app/db"], "the relist replaced the cache");
  assert.is(f.watches[1]!.query!.resourceVersion, "30");
  f.watches[1]!.fail(new ApiError(410, "Gone", undefined, "watch /api/v1/services"));
  await settle();
  assert.is(f.listCalls.length, 3);
  assert.equal(names(src.services()), ["app/cache"]);
  src.stop();
});

test("a refused watch (API server restarting) keeps the cache and re-watches every second from the same resourceVersion", async () => {
  const f = scriptedApi<Service>();
  f.lists.push({ items: [svc("default", "kubernetes", "10.96.0.1")], rv: "10" });
  const { t, src } = start(f.api);
  await src.synced;
  await settle();
  f.watches[0]!.fail(new ApiUnreachableError("connect ECONNREFUSED", "ECONNREFUSED"));
  await settle();
  assert.is(f.watches.length, 1);
  await t.advance(1000);
  assert.is(f.watches.length, 2);
  assert.is(f.watches[1]!.query!.resourceVersion, "10");
  assert.is(f.listCalls.length, 1);
  assert.equal(names(src.services()), ["default/kubernetes"]);
  src.stop();
});

test("stop() aborts the open watch and ends the loop", async () => {
  const f = scriptedApi<Service>();
  f.lists.push({ items: [], rv: "10" });
  const { t, src } = start(f.api);
  await src.synced;
  await settle();
  src.stop();
  await t.advance(60_000);
  assert.is(f.watches.length, 1);
  assert.is(f.listCalls.length, 1);
  assert.is(t.pending(), 0, "no retry timer left");
});

test.run();
