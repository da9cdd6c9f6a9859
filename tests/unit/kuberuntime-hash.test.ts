import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Container } from "../../bindings/kube/types.ts";
import { canonicalSpecJson, fnv1a32, hashContainer } from "../../kubelet/kuberuntime/containerHash.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

test("FNV-1a 32 matches the reference vectors", () => {
  assert.is(fnv1a32(bytes("")), 0x811c9dc5);
  assert.is(fnv1a32(bytes("a")), 0xe40c292c);
  assert.is(fnv1a32(bytes("foobar")), 0xbf9cf968);
});

test("the hash is lower-case hex without padding", () => {
  const h = hashContainer({ name: "app", image: "nginx" });
  assert.match(h, /^[0-9a-f]{1,8}$/);
  assert.is(h, fnv1a32(bytes('{"image":"nginx","name":"app"}')).toString(16));
});

test("the hash does not depend on key order", () => {
  const a: Container = { name: "app", image: "nginx", env: [{ name: "A", value: "1" }] };
  const b = JSON.parse('{"env":[{"value":"1","name":"A"}],"image":"nginx","name":"app"}') as Container;
  assert.is(hashContainer(a), hashContainer(b));
});

test("empty lists, empty objects, empty strings and nulls hash like absent fields", () => {
  const base: Container = { name: "app", image: "nginx" };
  const noisy = { ...base, env: [], ports: [], resources: {}, workingDir: "", securityContext: null } as unknown as Container;
  assert.is(hashContainer(noisy), hashContainer(base));
});

test("a changed spec changes the hash", () => {
  const base: Container = { name: "app", image: "nginx:1" };
  assert.is.not(hashContainer({ ...base, image: "nginx:2" }), hashContainer(base));
  assert.is.not(hashContainer({ ...base, args: ["-v"] }), hashContainer(base));
  assert.is.not(hashContainer({ ...base, env: [{ name: "A", value: "1" }] }), hashContainer(base));
});

test("zero and false are meaningful and kept (runAsUser: 0 is not unset)", () => {
  const base: Container = { name: "app", image: "nginx" };
  assert.is.not(hashContainer({ ...base, securityContext: { runAsUser: 0 } }), hashContainer(base));
  assert.is.not(hashContainer({ ...base, securityContext: { allowPrivilegeEscalation: false } }), hashContainer(base));
  assert.is(canonicalSpecJson({ b: [null, {}], a: 0 }), '{"a":0,"b":[null,null]}');
});

test.run();
