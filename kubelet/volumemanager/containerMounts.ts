/**
 * The CRI mounts of one container (upstream kubelet_pods.go makeMounts): each volumeMount resolved
 * to its volume's host path, with subPath/subPathExpr bound safely from inside the volume, readOnly
 * (always for data volumes), mount propagation, and the kubelet-managed /etc/hosts.
 */
import type { Mount, MountPropagation, Outgoing } from "../../bindings/cri/types.ts";
import type { Container, Pod, VolumeMount } from "../../bindings/kube/types.ts";
import { joinPath } from "../config/posixPath.ts";
import type { EnvEntry } from "../envvars/containerEnv.ts";
import { expand } from "../envvars/expansion.ts";
import { podHostnameAndDomain } from "../kuberuntime/sandboxConfig.ts";
import { ETC_HOSTS_FILE, ETC_HOSTS_PATH, managedHostsFileContent, nodeHostsFileContent } from "../network/hostsFile.ts";
import type { Logger } from "../log.ts";
import type { Fs } from "../ports/fs.ts";
import type { Mounter } from "../ports/mounter.ts";
import { isDataVolume, volumeHostPath, volumeKind } from "./volumePlugins.ts";

/** What makeMounts needs besides the pod and container. */
export interface MountOptions {
  fs: Fs;
  mounter: Mounter;
  /** `<rootDir>/pods/<uid>`. */
  podDir: string;
  /** The container's final environment (for subPathExpr). */
  env: readonly EnvEntry[];
  /** The pod's IPs; without any, a pod-network pod gets no /etc/hosts yet (upstream). */
  podIPs: readonly string[];
  clusterDomain: string;
  /** The node's hosts file, copied for hostNetwork pods. */
  nodeHostsPath?: string;
  /** Whether mounts should be SELinux-relabelled (host has SELinux enabled). */
  selinuxEnabled?: boolean;
  /** Gets the subPath failure details that are kept out of the pod's status. */
  log?: Logger;
}

/** Upstream translateMountPropagation. */
export function mountPropagation(mode: VolumeMount["mountPropagation"]): MountPropagation | { error: string } {
  switch (mode) {
    case undefined:
    case "None":
      return "PROPAGATION_PRIVATE";
    case "HostToContainer":
      return "PROPAGATION_HOST_TO_CONTAINER";
    case "Bidirectional":
      return "PROPAGATION_BIDIRECTIONAL";
    default:
      return { error: `invalid MountPropagation mode: ${JSON.stringify(mode)}` };
  }
}

/** Upstream ExpandContainerVolumeMounts: `$(VAR)` from the container env; unset or empty variables are errors. */
export function expandSubPathExpr(expr: string, env: readonly EnvEntry[]): string | { error: string } {
  const vars = new Map(env.map((e) => [e.key, e.value]));
  const missing = new Set<string>();
  const out = expand(expr, (name) => {
    const v = vars.get(name);
    if (!v) missing.add(name);
    return v ?? "";
  });
  return missing.size > 0 ? { error: `missing value for ${[...missing].sort().join(", ")}` } : out;
}

/** Why `subPath` may not be used (absolute, or a `..` element), with upstream's message. */
export function subPathError(subPath: string): string | undefined {
  if (subPath.startsWith("/")) return `error SubPath \`${subPath}\` must not be an absolute path`;
  if (subPath.split("/").includes("..")) return `unable to provision SubPath \`${subPath}\`: must not contain '..'`;
  return undefined;
}

const within = (path: string, root: string) => path === root || path.startsWith(root === "/" ? "/" : `${root}/`);

/**
 * Creates the missing directories of `subPath` inside the volume (upstream SafeMakeDir), refusing
 * when the part that exists resolves outside the volume; new directories get the volume root's mode.
 */
export async function safeMakeSubPathDir(fs: Fs, mounter: Mounter, volumePath: string, subPath: string): Promise<void> {
  const root = await mounter.realpath(volumePath);
  const parts = joinPath(subPath).split("/").filter((p) => p !== "" && p !== ".");
  let existing = volumePath;
  let i = 0;
  for (; i < parts.length && (await fs.stat(`${existing}/${parts[i]}`)) !== undefined; i++) existing = `${existing}/${parts[i]}`;
  const realExisting = await mounter.realpath(existing);
  if (!within(realExisting, root)) throw new Error(`path ${existing} is outside of allowed base ${root}`);
  const mode = (await fs.stat(root))?.mode ?? 0o755;
  let dir = realExisting;
  for (; i < parts.length; i++) {
    dir = `${dir}/${parts[i]}`;
    await fs.mkdirp(dir, mode);
    await fs.chmod(dir, mode);
  }
}

/** `<podDir>/volume-subpaths/<volume>/<container>/<index>`: where a subPath is bound for one mount. */
export const subPathTarget = (podDir: string, volume: string, container: string, index: number) =>
  `${podDir}/volume-subpaths/${volume}/${container}/${index}`;

/** Writes the pod's hosts file and returns its mount, or an error; undefined when none is due yet. */
async function hostsMount(pod: Pod, o: MountOptions): Promise<Outgoing<Mount> | { error: string } | undefined> {
  const hostNetwork = pod.spec.hostNetwork === true;
  if (!hostNetwork && o.podIPs.length === 0) return undefined;
  let content: string;
  if (hostNetwork) {
    content = nodeHostsFileContent(await o.fs.readText(o.nodeHostsPath ?? ETC_HOSTS_PATH), pod.spec.hostAliases);
  } else {
    const names = podHostnameAndDomain(pod, o.clusterDomain);
    if ("error" in names) return names;
    content = managedHostsFileContent(o.podIPs, names.hostname, names.hostDomain, pod.spec.hostAliases);
  }
  const hostPath = `${o.podDir}/${ETC_HOSTS_FILE}`;
  await o.fs.mkdirp(o.podDir, 0o750);
  await o.fs.writeFileAtomic(hostPath, content, 0o644);
  return { containerPath: ETC_HOSTS_PATH, hostPath, readonly: false, selinuxRelabel: o.selinuxEnabled === true, propagation: "PROPAGATION_PRIVATE" };
}

/** The container's mounts in volumeMounts order, then /etc/hosts; or the error refusing the container. */
export async function makeMounts(pod: Pod, container: Container, o: MountOptions): Promise<{ mounts: Outgoing<Mount>[] } | { error: string }> {
  const volumes = new Map((pod.spec.volumes ?? []).map((v) => [v.name, v]));
  const mounts: Outgoing<Mount>[] = [];
  let mountHosts = true;
  for (const [i, m] of (container.volumeMounts ?? []).entries()) {
    const vol = volumes.get(m.name);
    const kind = vol && volumeKind(vol);
    if (!vol || !kind) return { error: `cannot find volume ${JSON.stringify(m.name)} to mount into container ${JSON.stringify(container.name)}` };
    if (m.mountPath === ETC_HOSTS_PATH) mountHosts = false;
    const volumePath = volumeHostPath(o.podDir, vol);
    let hostPath = volumePath;
    let subPath = m.subPath ?? "";
    if (m.subPathExpr) {
      const expanded = expandSubPathExpr(m.subPathExpr, o.env);
      if (typeof expanded !== "string") return expanded;
      subPath = expanded;
    }
    if (subPath !== "") {
      const invalid = subPathError(subPath);
      if (invalid) return { error: invalid };
      if ((await o.mounter.fileType(`${volumePath}/${subPath}`)) === undefined) {
        try {
          await safeMakeSubPathDir(o.fs, o.mounter, volumePath, subPath);
        } catch (err) {
          // Like upstream, the detail (host paths) stays in the kubelet's log, not in the pod's status.
          o.log?.error("failed to create subPath directory", { pod: pod.metadata.name, container: container.name, volumeMount: m.name, err: String(err) });
          return { error: `failed to create subPath directory for volumeMount ${JSON.stringify(m.name)} of container ${JSON.stringify(container.name)}` };
        }
      }
      hostPath = subPathTarget(o.podDir, vol.name, container.name, i);
      try {
        await o.mounter.bindSubPath(volumePath, subPath, hostPath);
      } catch (err) {
        o.log?.error("failed to prepare subPath", { pod: pod.metadata.name, container: container.name, volumeMount: m.name, err: String(err) });
        return { error: `failed to prepare subPath for volumeMount ${JSON.stringify(m.name)} of container ${JSON.stringify(container.name)}` };
      }
    }
    const propagation = mountPropagation(m.mountPropagation);
    if (typeof propagation !== "string") return propagation;
    mounts.push({
      containerPath: m.mountPath,
      hostPath,
      readonly: m.readOnly === true || isDataVolume(kind),
      selinuxRelabel: o.selinuxEnabled === true,
      propagation,
    });
  }
  if (mountHosts) {
    const hosts = await hostsMount(pod, o);
    if (hosts && "error" in hosts) return { error: hosts.error as string };
    if (hosts) mounts.push(hosts);
  }
  return { mounts };
}
