/** createRuntimeConfigs: a container's config carries the service link variables of its pod. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Pod } from "../../bindings/kube/types.ts";
import type { ResourceAccounting } from "../../kubelet/cm/resourceAccounting.ts";
import { createRuntimeConfigs, type RuntimeConfigOptions } from "../../kubelet/kuberuntime/runtimeConfigs.ts";
import { memoryFs } from "./support/memoryFs.ts";

const resources: ResourceAccounting = {
  qosClass: () => "BestEffort",
  containerResources: () => ({ cpuShares: 2, cpuQuota: 0, cpuPeriod: 100_000, memoryLimitInBytes: 0, oomScoreAdj: 1000 }),
  podCgroupLimits: () => ({}) as ReturnType<ResourceAccounting["podCgroupLimits"]>,
  admit: () => undefined,
};

const pod: Pod = {
  metadata: { name: "p", namespace: "app", uid: "u1" },
  spec: { enableServiceLinks: true, containers: [{ name: "c", image: "busybox", env: [{ name: "URL", value: "http://$(FOO_SERVICE_HOST)/" }] }] },
};

function configs(extra: Partial<RuntimeConfigOptions> = {}) {
  return createRuntimeConfigs({
    fs: memoryFs().fs, resources, paths: { rootDir: "/var/lib/kubelet", podLogsDir: "/var/log/pods", cgroupRoot: "/" },
    dns: { clusterDNS: [], clusterDomain: "" }, nodeName: "n1", uniqueId: () => "id", ...extra,
  });
}

async function envOf(extra: Partial<RuntimeConfigOptions> = {}): Promise<Record<string, string>> {
  const made = await configs(extra).container(pod, pod.spec.containers[0]!, { restartCount: 0, podIPs: ["10.88.0.5"], imageRef: "sha256:abc" });
  if ("error" in made) throw new Error(made.error.message);
  return Object.fromEntries((made.config.envs ?? []).map((e) => [e.key!, e.value!]));
}

test("the container gets the service link variables serviceEnv computes for its pod, and env values expand against them", async () => {
  const asked: Pod[] = [];
  const env = await envOf({ serviceEnv: (p) => (asked.push(p), { FOO_SERVICE_HOST: "10.96.0.20", FOO_SERVICE_PORT: "80" }) });
  assert.is(asked[0], pod);
  assert.is(env.FOO_SERVICE_HOST, "10.96.0.20");
  assert.is(env.FOO_SERVICE_PORT, "80");
  assert.is(env.URL, "http://10.96.0.20/");
});

test("without a serviceEnv lookup (standalone mode) the container gets no service variables", async () => {
  const env = await envOf();
  assert.equal(Object.keys(env), ["URL"]);
  assert.is(env.URL, "http://$(FOO_SERVICE_HOST)/");
});

test.run();
