import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Pod } from "../../bindings/kube/types.ts";
import { downwardApiPayload, fieldPathValue, formatMap, goQuote } from "../../kubelet/volumemanager/downwardApi.ts";

const pod: Pod = {
  metadata: {
    name: "web", namespace: "prod", uid: "u-1",
    labels: { zone: "eu", app: "web", "k8s.io/part-of": "shop" },
    annotations: { note: 'say "hi"\nbye', builder: "ci" },
  },
  spec: { containers: [{ name: "app" }] },
};

test("whole label and annotation maps are sorted key=\"value\" lines without a trailing newline", () => {
  assert.is(fieldPathValue(pod, "metadata.labels"), 'app="web"\nk8s.io/part-of="shop"\nzone="eu"');
  assert.is(fieldPathValue(pod, "metadata.annotations"), 'builder="ci"\nnote="say \\"hi\\"\\nbye"');
  assert.is(formatMap(undefined), "");
});

test("values are quoted like Go's %q: control characters as \\x.., printable unicode kept", () => {
  assert.is(goQuote("é ✓ tab\tbell\x07del\x7f\x01"), '"é ✓ tab\\tbell\\adel\\x7f\\x01"');
  assert.is(goQuote("\u00a0\u200b"), '"\\u00a0\\u200b"');
  assert.is(goQuote("back\\slash"), '"back\\\\slash"');
});

test("metadata fields and subscripted labels/annotations; other paths are refused", () => {
  assert.is(fieldPathValue(pod, "metadata.name"), "web");
  assert.is(fieldPathValue(pod, "metadata.namespace"), "prod");
  assert.is(fieldPathValue(pod, "metadata.uid"), "u-1");
  assert.is(fieldPathValue(pod, "metadata.labels['zone']"), "eu");
  assert.is(fieldPathValue(pod, "metadata.annotations['missing']"), "");
  assert.equal(fieldPathValue(pod, "spec.nodeName"), { error: "unsupported fieldPath: spec.nodeName" });
  assert.equal(fieldPathValue(pod, "metadata.name['x']"), { error: 'fieldPath "metadata.name[\'x\']" does not support subscript' });
});

test("files get per-item mode or defaultMode; resource values come from the injected function with the divisor", () => {
  const seen: string[] = [];
  const r = downwardApiPayload([
    { path: "labels", fieldRef: { fieldPath: "metadata.labels" } },
    { path: "./limits/cpu", resourceFieldRef: { containerName: "app", resource: "limits.cpu", divisor: "1m" }, mode: 0o400 },
    { path: "mem", resourceFieldRef: { containerName: "app", resource: "requests.memory" } },
  ], pod, 0o640, (p, c, res, div) => { seen.push(`${p.metadata.name}/${c}/${res}/${div}`); return res === "limits.cpu" ? "500" : "1048576"; });
  if ("error" in r) throw new Error(r.error);
  assert.equal([...r.payload].map(([k, f]) => [k, f.data, f.mode.toString(8)]), [
    ["labels", 'app="web"\nk8s.io/part-of="shop"\nzone="eu"', "640"],
    ["limits/cpu", "500", "400"],
    ["mem", "1048576", "640"],
  ]);
  assert.equal(seen, ["web/app/limits.cpu/1m", "web/app/requests.memory/1"]);
});

test("every failing file is reported, aggregated", () => {
  const r = downwardApiPayload([
    { path: "a", fieldRef: { fieldPath: "status.podIP" } },
    { path: "b", resourceFieldRef: { containerName: "nope", resource: "limits.cpu" } },
  ], pod, 0o644, (_p, c) => ({ error: `container ${c} not found` }));
  assert.equal(r, { error: "[unsupported fieldPath: status.podIP, container nope not found]" });
});

test.run();
