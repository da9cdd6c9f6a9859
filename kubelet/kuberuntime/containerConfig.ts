/**
 * The CRI ContainerConfig for one container of a pod (upstream generateContainerConfig and
 * generateLinuxContainerConfig, v1.20): identity and attempt, image, command and args expanded
 * against the final environment, env, mounts (plus the termination message file), log path,
 * labels and annotations, cgroup resources, and the Linux security context.
 * Refusals (env errors, runAsNonRoot) are values with upstream's reason and message, never throws.
 */
import type { ContainerConfig, Device, LinuxContainerResources, Mount, Outgoing } from "../../bindings/cri/types.ts";
import type { Container, Pod } from "../../bindings/kube/types.ts";
import type { ContainerEnvResult, EnvEntry } from "../envvars/containerEnv.ts";
import { expand, mappingFor } from "../envvars/expansion.ts";
import { DEFAULT_TERMINATION_MESSAGE_PATH, newContainerAnnotations, newContainerLabels } from "./labels.ts";
import { containerSecurityContext, verifyRunAsNonRoot, type ImageUser, type SecurityOptions } from "./securityContext.ts";

/** cgroup values for the container, computed by the core's resource accounting. */
export interface ContainerResourceValues {
  cpuShares: number;
  /** Omitted (with cpuPeriod) when CFS quota enforcement is off. */
  cpuQuota?: number;
  cpuPeriod?: number;
  /** 0 or unset means no memory limit. */
  memoryLimitInBytes?: number;
  oomScoreAdj: number;
}

/** What the container config needs beyond the pod and container. */
export interface ContainerConfigOptions extends SecurityOptions {
  /** The restart count this instance will have; also its CRI attempt. */
  restartCount: number;
  /** The environment from makeContainerEnv; its first error refuses the container. */
  env: ContainerEnvResult;
  /** The image as the runtime resolved it (image id); defaults to the spec's image. */
  imageRef?: string;
  /** The image's user from ImageStatus; unset means the image declares none (root). */
  imageUser?: ImageUser;
  /** Volume mounts already resolved to host paths (including /etc/hosts when the kubelet manages it). */
  mounts?: readonly Outgoing<Mount>[];
  devices?: readonly Outgoing<Device>[];
  /** Host file for this instance's termination message, mounted at the container's terminationMessagePath. */
  terminationMessageHostPath?: string;
  /** Whether mounts the kubelet adds should be SELinux-relabelled (host has SELinux enabled). */
  selinuxEnabled?: boolean;
  resources: ContainerResourceValues;
  /** Extra annotations (e.g. from device plugins); the kubelet's own keys win. */
  annotations?: Readonly<Record<string, string>>;
}

/** A refusal to create the container (upstream reason CreateContainerConfigError). */
export interface ContainerConfigError { error: { reason: "CreateContainerConfigError"; message: string } }

/** The container config, or why the container must not be created. */
export type ContainerConfigResult = { config: Outgoing<ContainerConfig> } | ContainerConfigError;

/** `<container>/<restartCount>.log`, relative to the sandbox's log directory. */
export function containerLogPath(containerName: string, restartCount: number): string {
  return `${containerName}/${restartCount}.log`;
}

/** Command and args with `$(VAR)` references expanded against the container's final environment. */
export function expandCommandAndArgs(container: Container, env: readonly EnvEntry[]): { command: string[]; args: string[] } {
  const vars = new Map<string, string>();
  for (const e of env) vars.set(e.key, e.value); // a later duplicate wins, as upstream's map does
  const mapping = mappingFor(vars);
  return {
    command: (container.command ?? []).map((c) => expand(c, mapping)),
    args: (container.args ?? []).map((a) => expand(a, mapping)),
  };
}

function linuxResources(r: ContainerResourceValues): Outgoing<LinuxContainerResources> {
  const out: Outgoing<LinuxContainerResources> = { cpuShares: r.cpuShares, oomScoreAdj: r.oomScoreAdj };
  if (r.memoryLimitInBytes) out.memoryLimitInBytes = r.memoryLimitInBytes;
  if (r.cpuQuota !== undefined) out.cpuQuota = r.cpuQuota;
  if (r.cpuPeriod !== undefined) out.cpuPeriod = r.cpuPeriod;
  return out;
}

/** Builds the CRI config to create `container` of `pod`, or the CreateContainerConfigError refusing it. */
export function makeContainerConfig(pod: Pod, container: Container, opts: ContainerConfigOptions): ContainerConfigResult {
  const refuse = (message: string): ContainerConfigError => ({ error: { reason: "CreateContainerConfigError", message } });
  if (opts.env.errors.length > 0) return refuse(opts.env.errors[0]!);
  const nonRoot = verifyRunAsNonRoot(pod, container, opts.imageUser);
  if (nonRoot !== undefined) return refuse(nonRoot);

  const { command, args } = expandCommandAndArgs(container, opts.env.env);
  const mounts: Outgoing<Mount>[] = [...(opts.mounts ?? [])];
  const terminationPath = container.terminationMessagePath ?? DEFAULT_TERMINATION_MESSAGE_PATH;
  if (opts.terminationMessageHostPath && terminationPath !== "") {
    mounts.push({ hostPath: opts.terminationMessageHostPath, containerPath: terminationPath, selinuxRelabel: opts.selinuxEnabled === true });
  }

  const config: Outgoing<ContainerConfig> = {
    metadata: { name: container.name, attempt: opts.restartCount },
    image: { image: opts.imageRef || container.image || "" },
    command,
    args,
    workingDir: container.workingDir ?? "",
    envs: opts.env.env.map((e) => ({ key: e.key, value: e.value })),
    mounts,
    devices: [...(opts.devices ?? [])],
    labels: newContainerLabels(container, pod),
    annotations: newContainerAnnotations(container, pod, opts.restartCount, opts.annotations),
    logPath: containerLogPath(container.name, opts.restartCount),
    stdin: container.stdin === true,
    stdinOnce: container.stdinOnce === true,
    tty: container.tty === true,
    linux: {
      resources: linuxResources(opts.resources),
      securityContext: containerSecurityContext(pod, container, opts.imageUser, opts),
    },
  };
  return { config };
}
