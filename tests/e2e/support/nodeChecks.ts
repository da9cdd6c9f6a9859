/** Assertions on a node's status both node e2e files make: nodeInfo from this host, healthy conditions. */
import { readFileSync } from "node:fs";
import { release } from "node:os";
import * as assert from "uvu/assert";
import type { NodeCondition, NodeSystemInfo } from "../../../bindings/kube/node.ts";

/** nodeInfo describes this machine, containerd 1.6.20 and kubelet v1.20.2. */
export function assertHostNodeInfo(info: NodeSystemInfo): void {
  assert.is(info.machineID, readFileSync("/etc/machine-id", "utf8").trim());
  assert.is(info.bootID, readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim());
  assert.is(info.kernelVersion, release());
  assert.is(info.osImage, readFileSync("/etc/os-release", "utf8").match(/^PRETTY_NAME="?([^"\n]*)"?/m)![1]);
  assert.is(info.containerRuntimeVersion, "containerd://1.6.20");
  assert.is(info.kubeletVersion, "v1.20.2");
  assert.is(info.kubeProxyVersion, "v1.20.2");
  assert.is(info.operatingSystem, "linux");
  assert.is(info.architecture, "amd64");
  assert.ok(info.systemUUID !== undefined, "systemUUID present");
}

/** No pressure, Ready, in upstream's order and with its reasons. */
export function assertHealthyConditions(conditions: NodeCondition[]): void {
  assert.equal(conditions.map((c) => [c.type, c.status, c.reason]), [
    ["MemoryPressure", "False", "KubeletHasSufficientMemory"],
    ["DiskPressure", "False", "KubeletHasNoDiskPressure"],
    ["PIDPressure", "False", "KubeletHasSufficientPID"],
    ["Ready", "True", "KubeletReady"],
  ]);
}
