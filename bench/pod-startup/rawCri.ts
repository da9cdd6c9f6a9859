/**
 * Baseline (a): the raw CRI sequence of a one-container pod — RunPodSandbox, CreateContainer,
 * StartContainer — with the very configs the kubelet would send for the same manifest (built by the
 * kubelet's own config makers), so the runtime does identical work in (a) and (b). Files the configs
 * point at (log dir, termination-message file) and the image id are prepared before the clock starts:
 * (a) is the strictest baseline, pure CRI time.
 */
import { mkdir, writeFile } from "node:fs/promises";
import type { ContainerConfig, Outgoing, PodSandboxConfig } from "../../bindings/cri/types.ts";
import type { Pod } from "../../bindings/kube/types.ts";
import { podCgroupPath } from "../../kubelet/cm/resourceAccounting.ts";
import { decodePodManifest } from "../../kubelet/config/podManifest.ts";
import { makeContainerEnv } from "../../kubelet/envvars/containerEnv.ts";
import { makeContainerConfig } from "../../kubelet/kuberuntime/containerConfig.ts";
import { makeSandboxConfig } from "../../kubelet/kuberuntime/sandboxConfig.ts";
import type { DnsSettings } from "../../kubelet/network/dnsConfig.ts";
import type { Cri } from "../../kubelet/ports/cri.ts";
import { nodeCgroups } from "../../hosts/node/cgroups.ts";
import { nodeFs } from "../../hosts/node/fs.ts";

/** A raw pod ready to start: its configs are built and its files exist. */
export interface PreparedPod { pod: Pod; sandbox: Outgoing<PodSandboxConfig>; container: Outgoing<ContainerConfig>; dir: string }

/** Where the raw pods' files go and how their DNS looks (the same as the kubelet's). */
export interface RawOptions { nodeName: string; workDir: string; podLogsDir: string; dns: DnsSettings; imageRef: string }

/** Builds the configs for `manifest` as the kubelet would for node `o.nodeName`, and creates its files. */
export async function prepareRawPod(manifest: string, file: string, o: RawOptions): Promise<PreparedPod> {
  const decoded = decodePodManifest(manifest, file, o.nodeName);
  if (!decoded.ok) throw new Error(`bench manifest rejected: ${decoded.problems.join("; ")}`);
  const pod = decoded.pod;
  const uid = pod.metadata.uid!;
  const sb = makeSandboxConfig(pod, {
    attempt: 0, dns: o.dns, cgroupParent: podCgroupPath("/", "BestEffort", uid), nodeHostname: o.nodeName, podLogsRoot: o.podLogsDir,
  });
  if ("error" in sb) throw new Error(sb.error.message);
  const c = pod.spec.containers[0]!;
  const dir = `${o.workDir}/pods/${uid}`;
  const terminationMessageHostPath = `${dir}/containers/${c.name}/termination`;
  await mkdir(`${dir}/containers/${c.name}`, { recursive: true });
  await writeFile(terminationMessageHostPath, "", { mode: 0o666 });
  await mkdir(sb.config.logDirectory!, { recursive: true });
  const made = makeContainerConfig(pod, c, {
    restartCount: 0, env: makeContainerEnv(pod, c, {}), imageRef: o.imageRef, terminationMessageHostPath,
    resources: { cpuShares: 2, oomScoreAdj: 1000 },
  });
  if ("error" in made) throw new Error(made.error.message);
  return { pod, sandbox: sb.config, container: made.config, dir };
}

/** Runs the three CRI calls; resolves to when StartContainer returned (performance.now()). */
export async function startRawPod(cri: Cri, p: PreparedPod): Promise<number> {
  const sandboxId = await cri.runPodSandbox(p.sandbox, "", { timeoutMs: 4 * 60_000 });
  const id = await cri.createContainer(sandboxId, p.container, p.sandbox);
  await cri.startContainer(id);
  return performance.now();
}

/** Removes everything of a raw pod: sandbox and containers, pod cgroup, log and pod dirs. */
export async function cleanupRawPod(cri: Cri, p: PreparedPod): Promise<void> {
  const uid = p.pod.metadata.uid!;
  const sandboxes = await cri.listPodSandbox({ labelSelector: { "io.kubernetes.pod.uid": uid } });
  for (const s of sandboxes) {
    await cri.stopPodSandbox(s.id);
    await cri.removePodSandbox(s.id);
  }
  await nodeCgroups().remove(podCgroupPath("/", "BestEffort", uid));
  await nodeFs.removeAll(p.sandbox.logDirectory!);
  await nodeFs.removeAll(p.dir);
}
