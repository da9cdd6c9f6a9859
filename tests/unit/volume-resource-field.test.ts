import { readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { instantiateCore } from "../../bindings/core/load.ts";
import { WasmQuantityParser } from "../../bindings/core/quantity.ts";
import type { Pod } from "../../bindings/kube/types.ts";
import { resourceFieldValues } from "../../kubelet/volumemanager/resourceFieldValue.ts";

const core = await instantiateCore(readFileSync(new URL("../../dist/core.wasm", import.meta.url)));
const value = resourceFieldValues(new WasmQuantityParser(core), { cpuMilli: 2000, memoryBytes: 4 * 1024 ** 3, ephemeralBytes: 10 * 1024 ** 3 });
const pod: Pod = {
  metadata: { name: "web" },
  spec: { containers: [
    { name: "app", resources: { limits: { cpu: "500m", memory: "128Mi" }, requests: { cpu: "250m", memory: "64Mi", "hugepages-2Mi": "4Mi" } } },
    { name: "bare" },
  ] },
};

test("cpu values round up in units of the divisor, memory in bytes of the divisor", () => {
  assert.is(value(pod, "app", "limits.cpu", "1"), "1");
  assert.is(value(pod, "app", "limits.cpu", "1m"), "500");
  assert.is(value(pod, "app", "requests.cpu", "100m"), "3");
  assert.is(value(pod, "app", "limits.memory", "1Mi"), "128");
  assert.is(value(pod, "app", "requests.memory", "1"), String(64 * 1024 * 1024));
  assert.is(value(pod, "app", "requests.hugepages-2Mi", "1Mi"), "4");
});

test("unset limits are the node's allocatable; unset requests are 0", () => {
  assert.is(value(pod, "bare", "limits.cpu", "1m"), "2000");
  assert.is(value(pod, "bare", "limits.memory", "1Gi"), "4");
  assert.is(value(pod, "bare", "limits.ephemeral-storage", "1Gi"), "10");
  assert.is(value(pod, "bare", "requests.cpu", "1m"), "0");
});

test("unknown containers and resources are errors", () => {
  assert.equal(value(pod, "nope", "limits.cpu", "1"), { error: "container nope not found" });
  assert.equal(value(pod, "app", "limits.gpu", "1"), { error: "unsupported container resource : limits.gpu" });
});

test.run();
