/**
 * Container resource values for downward API `resourceFieldRef`s (upstream
 * ExtractResourceValueByContainerNameAndNodeAllocatable): a container's request or limit in units
 * of the divisor, rounded up; a limit the container does not set is the node's allocatable amount.
 */
import type { QuantityParser } from "../../bindings/core/quantity.ts";
import type { Container, Pod, QuantityString } from "../../bindings/kube/types.ts";
import type { ResourceValueFn } from "./downwardApi.ts";

/** Node allocatable amounts that stand in for unset limits (milli-CPU, bytes). */
export interface AllocatableDefaults { cpuMilli?: number; memoryBytes?: number; ephemeralBytes?: number }

const ceilDiv = (a: bigint, b: bigint) => (a <= 0n ? 0n : (a + b - 1n) / b);

function findContainer(pod: Pod, name: string): Container | undefined {
  return [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].find((c) => c.name === name);
}

/** A ResourceValueFn over the core's quantity parser and this node's allocatable resources. */
export function resourceFieldValues(quantities: QuantityParser, allocatable: AllocatableDefaults): ResourceValueFn {
  const parse = (q: QuantityString) => {
    const [r] = quantities.parseMany([String(q)]);
    return r?.ok ? r : undefined;
  };
  return (pod, containerName, resource, divisorText) => {
    const container = findContainer(pod, containerName);
    if (!container) return { error: `container ${containerName} not found` };
    const divisor = parse(divisorText);
    if (!divisor || divisor.milli <= 0n) return { error: `invalid divisor ${JSON.stringify(divisorText)} for ${resource}` };
    const dot = resource.indexOf(".");
    const kind = resource.slice(0, dot);
    const name = resource.slice(dot + 1);
    const known = name === "cpu" || name === "memory" || name === "ephemeral-storage" || name.startsWith("hugepages-");
    if ((kind !== "limits" && kind !== "requests") || !known) return { error: `unsupported container resource : ${resource}` };
    const limits = container.resources?.limits ?? {};
    const requests = container.resources?.requests ?? {};
    let amount: QuantityString | undefined = kind === "limits" ? limits[name] : requests[name] ?? limits[name];
    if (amount === undefined && kind === "limits") {
      const fallback = name === "cpu" ? allocatable.cpuMilli && `${allocatable.cpuMilli}m` : name === "memory" ? allocatable.memoryBytes : name === "ephemeral-storage" ? allocatable.ephemeralBytes : undefined;
      amount = fallback || undefined;
    }
    const q = parse(amount ?? 0);
    if (!q) return { error: `invalid quantity ${JSON.stringify(amount)} for ${resource} of container ${containerName}` };
    const value = name === "cpu" ? ceilDiv(q.milli, divisor.milli) : ceilDiv(q.value, divisor.value > 0n ? divisor.value : 1n);
    return value.toString();
  };
}
