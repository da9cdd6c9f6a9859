/**
 * Pod admission benchmark: effective requests (KEP-753 aggregation + overhead) and the fit of
 * each pod against node allocatable, for core.wasm or the pure-TS twin. Used by bench/core/run.ts.
 */
import type { CoreExports } from "../../bindings/core/load.ts";
import { bytes, milliCPU, WasmResourceAccounting, type PodResources, type ResourceAccounting } from "../../bindings/core/resources.ts";
import { TwinResourceAccounting } from "../../bindings/core/twin/resources.ts";

const MiB = 1024 ** 2;

/** n pods of realistic shapes: two app containers, an init container, every third with a sidecar. */
function makePods(n: number): PodResources[] {
  return Array.from({ length: n }, (_, i) => {
    const containers: PodResources["containers"][number][] = [
      { kind: "init", requests: { cpu: milliCPU(100 + (i % 7) * 50), memory: bytes(64 * MiB) } },
      { kind: "app", requests: { cpu: milliCPU(250), memory: bytes((128 + (i % 5) * 64) * MiB) }, limits: { cpu: milliCPU(1000), memory: bytes(512 * MiB) } },
      { kind: "app", requests: { cpu: milliCPU(50), memory: bytes(32 * MiB), ephemeralStorage: bytes(100 * MiB) } },
    ];
    if (i % 3 === 0) containers.unshift({ kind: "sidecar", requests: { cpu: milliCPU(20), memory: bytes(16 * MiB) } });
    return { containers, ...(i % 4 === 0 ? { overhead: { cpu: milliCPU(10), memory: bytes(8 * MiB) } } : {}) };
  });
}

/** ns per pod admission for n pods, measured over enough rounds to last about 200 ms. */
export function benchAdmission(n: number, impl: "wasm" | "twin", core: CoreExports): { nsPerOp: number } {
  const accounting: ResourceAccounting = impl === "wasm" ? new WasmResourceAccounting(core) : new TwinResourceAccounting();
  const pods = makePods(n);
  const node = { memoryCapacity: bytes(64 * 1024 * MiB) };
  const usage = {
    allocatable: { cpu: milliCPU(n * 2000), memory: bytes(n * 1024 * MiB), ephemeralStorage: bytes(n * 1024 * MiB), pods: n + 1 },
    requested: { pods: 0 },
  };
  const round = () => accounting.admit(accounting.accountPods(pods, node).map((p) => p.requests), usage, { sequential: true });
  const warm = round();
  if (warm.some((mask) => mask !== 0)) throw new Error("benchAdmission: a pod did not fit; the fixture is wrong");
  let rounds = 0;
  const t0 = performance.now();
  let elapsed = 0;
  while (rounds < 3 || elapsed < 200) {
    round();
    rounds++;
    elapsed = performance.now() - t0;
  }
  return { nsPerOp: (elapsed * 1e6) / (rounds * n) };
}
