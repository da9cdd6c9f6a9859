/** The reflector's change delivery, and the API pod source built on it (selector, mirror pods). */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Pod } from "../../bindings/kube/types.ts";
import { MIRROR_ANNOTATION, startApiPodSource } from "../../kubelet/config/apiPodSource.ts";
import { startReflector } from "../../kubelet/config/reflector.ts";
import { silentLogger } from "../../kubelet/log.ts";
import { fakeClock, settle } from "./support/fakeTime.ts";
import { scriptedApi } from "./support/scriptedApi.ts";

const pod = (name: string, rv: string, mirror = false): Pod => ({
  metadata: { name, namespace: "app", uid: `uid-${name}`, resourceVersion: rv, ...(mirror ? { annotations: { [MIRROR_ANNOTATION]: "hash" } } : {}) },
  spec: { containers: [] },
});
const names = (pods: Pod[]) => pods.map((p) => p.metadata.name).sort();

test("changes within one tick reach onChange once, with the whole store", async () => {
  const f = scriptedApi<Pod>();
  f.lists.push({ items: [pod("a", "1")], rv: "10" });
  const seen: string[][] = [];
  const r = startReflector<Pod>({ api: f.api, path: "/api/v1/pods", apiVersion: "v1", kind: "Pod", resource: "pod", clock: fakeClock().clock, log: silentLogger, onChange: (all) => seen.push(names(all) as string[]), random: () => 0 });
  await r.synced;
  await settle();
  assert.equal(seen, [["a"]]);
  f.watches[0]!.send({ type: "ADDED", object: pod("b", "11") });
  f.watches[0]!.send({ type: "ADDED", object: pod("c", "12") });
  f.watches[0]!.send({ type: "DELETED", object: pod("a", "13") });
  await settle();
  assert.equal(seen, [["a"], ["b", "c"]]);
  r.stop();
});

test("a consumer that throws does not stop the reflector", async () => {
  const f = scriptedApi<Pod>();
  f.lists.push({ items: [], rv: "10" });
  let calls = 0;
  const r = startReflector<Pod>({ api: f.api, path: "/api/v1/pods", apiVersion: "v1", kind: "Pod", resource: "pod", clock: fakeClock().clock, log: silentLogger, onChange: () => { calls++; throw new Error("boom"); }, random: () => 0 });
  await r.synced;
  await settle();
  f.watches[0]!.send({ type: "ADDED", object: pod("b", "11") });
  await settle();
  assert.is(calls, 2);
  assert.equal(names(r.items()), ["b"]);
  r.stop();
});

test("the API pod source selects this node's pods and reports mirror pods apart, typed as v1 Pods", async () => {
  const f = scriptedApi<Pod>();
  f.lists.push({ items: [pod("web", "1"), pod("static-n1", "2", true)], rv: "10" });
  const got: Array<{ pods: string[]; mirrors: string[] }> = [];
  const src = startApiPodSource({ api: f.api, nodeName: "n1", clock: fakeClock().clock, log: silentLogger, random: () => 0, onPods: (pods, mirrors) => {
    assert.ok([...pods, ...mirrors].every((p) => p.apiVersion === "v1" && p.kind === "Pod"));
    got.push({ pods: names(pods) as string[], mirrors: names(mirrors) as string[] });
  } });
  await src.synced;
  await settle();
  assert.equal(f.listCalls[0]!.query, { fieldSelector: "spec.nodeName=n1" });
  assert.is(f.watches[0]!.query!.fieldSelector, "spec.nodeName=n1");
  assert.equal(got, [{ pods: ["web"], mirrors: ["static-n1"] }]);
  f.watches[0]!.send({ type: "DELETED", object: pod("static-n1", "3", true) });
  await settle();
  assert.equal(got[1], { pods: ["web"], mirrors: [] });
  src.stop();
});

test.run();
