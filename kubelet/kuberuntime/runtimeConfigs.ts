/**
 * The CRI configs of a pod on this node: sandbox and container configs from the pure makers,
 * completed with this node's DNS settings, the pod's cgroup, resource values from the core and the
 * per-instance termination-message file.
 */
import type { Container, Pod } from "../../bindings/kube/types.ts";
import type { ResourceAccounting } from "../cm/resourceAccounting.ts";
import { podCgroupPath } from "../cm/resourceAccounting.ts";
import { makeContainerEnv } from "../envvars/containerEnv.ts";
import type { DnsSettings } from "../network/dnsConfig.ts";
import { podDir, type PodPaths } from "../podCleanup.ts";
import type { Fs } from "../ports/fs.ts";
import type { VolumeManager } from "../volumemanager/volumeManager.ts";
import { makeContainerConfig } from "./containerConfig.ts";
import { makeSandboxConfig } from "./sandboxConfig.ts";
import type { RuntimeConfigs } from "./syncPod.ts";

/** Node-wide inputs of the config makers. */
export interface RuntimeConfigOptions {
  fs: Fs;
  resources: ResourceAccounting;
  paths: PodPaths;
  dns: DnsSettings;
  nodeName: string;
  hostIP?: string;
  seccompProfileRoot?: string;
  /** A unique suffix for termination-message files (upstream uses a random id). */
  uniqueId: () => string;
  /** Volume mounts, /etc/hosts and env ConfigMap/Secret lookups; without it containers get none. */
  volumes?: Pick<VolumeManager, "containerMounts" | "envLookups">;
  /** The service link variables `pod` sees (cluster mode); without it containers get none, as standalone upstream. */
  serviceEnv?(pod: Pod): Readonly<Record<string, string>>;
}

/** RuntimeConfigs for this node. */
export function createRuntimeConfigs(o: RuntimeConfigOptions): RuntimeConfigs {
  return {
    sandbox(pod: Pod, attempt: number) {
      const made = makeSandboxConfig(pod, {
        attempt,
        dns: o.dns,
        cgroupParent: podCgroupPath(o.paths.cgroupRoot, o.resources.qosClass(pod), pod.metadata.uid!),
        podLogsRoot: o.paths.podLogsDir,
        seccompProfileRoot: o.seccompProfileRoot,
      });
      return "error" in made ? made : { config: made.config, warnings: made.warnings };
    },
    async container(pod: Pod, container: Container, opts) {
      const lookups = o.volumes ? await o.volumes.envLookups(pod, container) : undefined;
      if (lookups && "error" in lookups) return { error: { reason: "CreateContainerConfigError", message: lookups.error } };
      const env = makeContainerEnv(pod, container, { hostIP: o.hostIP, podIP: opts.podIPs[0], podIPs: opts.podIPs, serviceEnv: o.serviceEnv?.(pod), ...lookups });
      let mounts: Awaited<ReturnType<VolumeManager["containerMounts"]>> = { mounts: [] };
      // An environment error refuses the container first (upstream builds env before mounts).
      if (o.volumes && env.errors.length === 0) mounts = await o.volumes.containerMounts(pod, container, { env: env.env, podIPs: opts.podIPs });
      if ("error" in mounts) return { error: { reason: "CreateContainerConfigError", message: mounts.error } };
      const dir = `${podDir(o.paths, pod.metadata.uid!)}/containers/${container.name}`;
      await o.fs.mkdirp(dir);
      const terminationMessageHostPath = `${dir}/${o.uniqueId()}`;
      await o.fs.writeFileAtomic(terminationMessageHostPath, "", 0o666);
      const made = makeContainerConfig(pod, container, {
        restartCount: opts.restartCount,
        env,
        mounts: mounts.mounts,
        imageRef: opts.imageRef,
        imageUser: opts.imageUser,
        terminationMessageHostPath,
        resources: o.resources.containerResources(pod, container),
        seccompProfileRoot: o.seccompProfileRoot,
      });
      return "error" in made ? { error: made.error } : { config: made.config };
    },
  };
}
