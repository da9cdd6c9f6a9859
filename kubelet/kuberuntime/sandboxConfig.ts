/**
 * The CRI PodSandboxConfig for a pod (upstream generatePodSandboxConfig, v1.20): identity and
 * attempt, hostname, log directory, DNS, host port mappings, labels, and the Linux settings
 * (cgroup parent, namespaces, sandbox security context, sysctls). Pure: node facts come in options.
 */
import type { Outgoing, PodSandboxConfig, PortMapping, Protocol } from "../../bindings/cri/types.ts";
import type { Container, Pod } from "../../bindings/kube/types.ts";
import { podDnsConfig, type DnsSettings, type DnsWarning } from "../network/dnsConfig.ts";
import { newPodAnnotations, newPodLabels } from "./labels.ts";
import { sandboxSecurityContext, type SecurityOptions } from "./securityContext.ts";

/** Root of the per-pod log directories. */
export const DEFAULT_POD_LOGS_ROOT = "/var/log/pods";
/** Longest hostname the kernel takes (64 bytes with the terminating NUL). */
export const HOSTNAME_MAX_LEN = 63;

/** What the sandbox config needs beyond the pod. */
export interface SandboxConfigOptions extends SecurityOptions {
  /** How many sandboxes this pod has had before (0 for the first). */
  attempt: number;
  dns: DnsSettings;
  /** The pod's cgroup (cgroupfs syntax), e.g. /kubepods/burstable/pod<uid>. */
  cgroupParent?: string;
  /**
   * @deprecated Ignored: as upstream, a host-network sandbox gets no hostname (the runtime uses the
   * node's own); runc refuses to set one without a private UTS namespace. Remove once no caller passes it.
   */
  nodeHostname?: string;
  /** Default /var/log/pods. */
  podLogsRoot?: string;
}

/** A config error: the sandbox cannot be created (upstream reason CreatePodSandboxError). */
export interface SandboxConfigError { error: { reason: "CreatePodSandboxError"; message: string } }

/** The sandbox config plus DNS warnings the caller should turn into events on the pod. */
export type SandboxConfigResult = { config: Outgoing<PodSandboxConfig>; warnings: DnsWarning[] } | SandboxConfigError;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function dns1123LabelErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push("must be no more than 63 characters");
  if (!DNS1123_LABEL.test(value)) {
    errs.push("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
  }
  return errs;
}

/**
 * The pod's hostname (spec.hostname or the pod name, cut to 63 characters without a trailing
 * '-' or '.') and its domain (`<subdomain>.<ns>.svc.<clusterDomain>` when spec.subdomain is set).
 */
export function podHostnameAndDomain(pod: Pod, clusterDomain: string): { hostname: string; hostDomain: string } | { error: string } {
  const podName = pod.metadata.name ?? "";
  let hostname = podName;
  if (pod.spec.hostname) {
    const errs = dns1123LabelErrors(pod.spec.hostname);
    if (errs.length > 0) return { error: `pod Hostname ${JSON.stringify(pod.spec.hostname)} is not a valid DNS label: ${errs.join(";")}` };
    hostname = pod.spec.hostname;
  }
  if (hostname.length > HOSTNAME_MAX_LEN) {
    const truncated = hostname.slice(0, HOSTNAME_MAX_LEN).replace(/[-.]+$/, "");
    if (truncated === "") return { error: `hostname for pod ${JSON.stringify(podName)} was invalid: ${JSON.stringify(hostname)}` };
    hostname = truncated;
  }
  let hostDomain = "";
  if (pod.spec.subdomain) {
    const errs = dns1123LabelErrors(pod.spec.subdomain);
    if (errs.length > 0) return { error: `pod Subdomain ${JSON.stringify(pod.spec.subdomain)} is not a valid DNS label: ${errs.join(";")}` };
    hostDomain = `${pod.spec.subdomain}.${pod.metadata.namespace ?? ""}.svc.${clusterDomain}`;
  }
  return { hostname, hostDomain };
}

/** `<root>/<namespace>_<name>_<uid>`: where the pod's container logs go. */
export function podLogsDirectory(pod: Pod, root = DEFAULT_POD_LOGS_ROOT): string {
  return `${root.replace(/\/+$/, "")}/${pod.metadata.namespace ?? ""}_${pod.metadata.name ?? ""}_${pod.metadata.uid ?? ""}`;
}

/**
 * A container's port mappings (upstream MakePortMappings): every declared port, the first of any
 * that repeat a name (or, unnamed, the same family/protocol/hostIP/ports) kept.
 */
export function containerPortMappings(container: Container): Outgoing<PortMapping>[] {
  const seen = new Set<string>();
  const out: Outgoing<PortMapping>[] = [];
  for (const p of container.ports ?? []) {
    const protocol: Protocol = p.protocol ?? "TCP";
    const hostIp = p.hostIP ?? "";
    const family = hostIp === "" ? "any" : hostIp.includes(":") ? "v6" : "v4";
    const name = p.name || `${family}-${protocol}-${hostIp}:${p.containerPort}:${p.hostPort ?? 0}`;
    if (seen.has(name)) continue;
    seen.add(name);
    out.push({ protocol, containerPort: p.containerPort, hostPort: p.hostPort ?? 0, hostIp });
  }
  return out;
}

/** The CRI config for the pod's next sandbox, or why it cannot be made. */
export function makeSandboxConfig(pod: Pod, opts: SandboxConfigOptions): SandboxConfigResult {
  const fail = (err: string): SandboxConfigError => ({
    error: {
      reason: "CreatePodSandboxError",
      message: `GeneratePodSandboxConfig for pod "${pod.metadata.name ?? ""}_${pod.metadata.namespace ?? ""}(${pod.metadata.uid ?? ""})" failed: ${err}`,
    },
  });
  const config: Outgoing<PodSandboxConfig> = {
    metadata: { name: pod.metadata.name ?? "", namespace: pod.metadata.namespace ?? "", uid: pod.metadata.uid ?? "", attempt: opts.attempt },
    labels: newPodLabels(pod),
    annotations: newPodAnnotations(pod),
  };

  const dns = podDnsConfig(pod, opts.dns);
  if ("error" in dns) return fail(dns.error);
  config.dnsConfig = dns.config;

  if (!pod.spec.hostNetwork) {
    const names = podHostnameAndDomain(pod, opts.dns.clusterDomain);
    if ("error" in names) return fail(names.error);
    config.hostname = names.hostname;
  }
  config.logDirectory = podLogsDirectory(pod, opts.podLogsRoot);

  const ports = pod.spec.containers.flatMap(containerPortMappings);
  if (ports.length > 0) config.portMappings = ports;

  const sysctls: Record<string, string> = {};
  for (const s of pod.spec.securityContext?.sysctls ?? []) sysctls[s.name] = s.value;
  config.linux = {
    cgroupParent: opts.cgroupParent ?? "",
    securityContext: sandboxSecurityContext(pod, opts),
    sysctls,
  };
  return { config, warnings: dns.warnings };
}
