/**
 * Running a pod's containers on the real containerd with the volume manager's mounts and
 * environment, without a kubelet: set up volumes, open a test sandbox, create and start each
 * container with `containerMounts` and `makeContainerEnv` (env lookups included), exec in them,
 * and tear down checking nothing stays mounted or on disk.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Pod } from "../../../bindings/kube/types.ts";
import { parseProcMounts } from "../../../hosts/node/mounter.ts";
import { makeContainerEnv } from "../../../kubelet/envvars/containerEnv.ts";
import type { VolumeManager } from "../../../kubelet/volumemanager/volumeManager.ts";
import { testCri } from "./cri.ts";
import { openTestSandbox, type TestSandbox } from "./testSandbox.ts";

/** Runs until SIGTERM (busybox sh as PID 1 ignores TERM otherwise). */
export const SLEEP = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"];

/** A pod whose containers run in a test sandbox. */
export interface VolumePod { pod: Pod; sandbox: TestSandbox; ids: Map<string, string>; podIPs: string[] }

/** The host's mount table. */
export const hostMounts = () => parseProcMounts(readFileSync("/proc/self/mounts", "utf8"));

/**
 * Sets up `pod`'s volumes (throwing the FailedMount message), runs a sandbox and starts every
 * container with its mounts and environment. `prefix` names the sandbox.
 */
export async function runVolumePod(vm: VolumeManager, prefix: string, pod: Pod): Promise<VolumePod> {
  const cri = await testCri();
  const err = await vm.setUpPod(pod);
  if (err) throw new Error(err.message);
  const sandbox = await openTestSandbox(cri, prefix);
  const ip = (await cri.podSandboxStatus(sandbox.id)).status?.network?.ip ?? "";
  const running: VolumePod = { pod, sandbox, ids: new Map(), podIPs: ip ? [ip] : [] };
  try {
    for (const c of pod.spec.containers) await startContainer(vm, running, c.name);
  } catch (e) {
    await sandbox.remove();
    throw e;
  }
  return running;
}

/** Creates and starts container `name` of the pod (its spec from pod.spec.containers). */
export async function startContainer(vm: VolumeManager, p: VolumePod, name: string): Promise<string> {
  const cri = await testCri();
  const c = p.pod.spec.containers.find((x) => x.name === name)!;
  const lookups = await vm.envLookups(p.pod, c);
  if ("error" in lookups) throw new Error(lookups.error);
  const env = makeContainerEnv(p.pod, c, { podIP: p.podIPs[0], podIPs: p.podIPs, ...lookups });
  if (env.errors.length > 0) throw new Error(env.errors[0]);
  const m = await vm.containerMounts(p.pod, c, { env: env.env, podIPs: p.podIPs });
  if ("error" in m) throw new Error(m.error);
  const id = await p.sandbox.createContainer(c.name, c.command ?? SLEEP, { mounts: m.mounts, envs: env.env });
  await cri.startContainer(id);
  p.ids.set(c.name, id);
  return id;
}

/** Runs `script` under sh in a container; resolves to its stdout, rejects on a non-zero exit. */
export async function execSh(p: VolumePod, container: string, script: string): Promise<string> {
  const res = await (await testCri()).execSync(p.ids.get(container)!, ["sh", "-c", script], 10);
  const dec = new TextDecoder();
  if (res.exitCode !== 0) throw new Error(`exit ${res.exitCode}: ${dec.decode(res.stderr)}`);
  return dec.decode(res.stdout);
}

/**
 * Removes the sandbox, then the pod's volumes; returns what is left of them (mount points and
 * directories), which a test expects to be empty.
 */
export async function finishVolumePod(vm: VolumeManager, p: VolumePod): Promise<string[]> {
  await p.sandbox.remove();
  await vm.tearDownPod(p.pod.metadata.uid!);
  const podDir = vm.podDir(p.pod.metadata.uid!);
  const left = hostMounts().filter((m) => m.mountPoint.startsWith(`${podDir}/`)).map((m) => `mount ${m.mountPoint}`);
  for (const d of ["volumes", "volume-subpaths", "etc-hosts"]) if (existsSync(join(podDir, d))) left.push(`path ${join(podDir, d)}`);
  return left;
}
