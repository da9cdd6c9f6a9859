/**
 * The resolv.conf a pod's sandbox gets (upstream pkg/kubelet/network/dns, v1.20): chosen by the
 * pod's dnsPolicy from the cluster DNS settings and the host's resolv.conf, merged with the pod's
 * own dnsConfig, then cut to the resolver's limits. Pure: the host file arrives as text.
 */
import type { DNSConfig } from "../../bindings/cri/types.ts";
import type { Pod } from "../../bindings/kube/types.ts";

/** resolv.conf limits the kubelet enforces in 1.20 (glibc's). */
export const MAX_DNS_NAMESERVERS = 3;
export const MAX_DNS_SEARCH_PATHS = 6;
export const MAX_DNS_SEARCH_LIST_CHARS = 256;

/** Options every ClusterFirst pod gets. */
export const DEFAULT_DNS_OPTIONS: readonly string[] = ["ndots:5"];

/** The parts of a resolv.conf the kubelet uses. */
export interface ResolvConf { nameservers: string[]; searches: string[]; options: string[] }

/** The kubelet-wide DNS settings (KubeletConfiguration clusterDNS, clusterDomain, resolvConf). */
export interface DnsSettings {
  /** Cluster DNS server IPs; empty when the kubelet has none configured. */
  clusterDNS: readonly string[];
  /** e.g. "cluster.local"; "" for none. */
  clusterDomain: string;
  /** The host resolv.conf text; undefined when `resolvConf` is set to "" (host DNS disabled). */
  hostResolvConf?: string;
}

/** Something worth an event on the pod (upstream reasons MissingClusterDNS, DNSConfigForming). */
export interface DnsWarning { reason: "MissingClusterDNS" | "DNSConfigForming"; message: string }

/** The sandbox DNS config and warnings, or why none could be made (the sandbox then fails). */
export type PodDnsResult = { config: DNSConfig; warnings: DnsWarning[] } | { error: string };

/**
 * Parses resolv.conf text: nameserver lines accumulate, the last search and the last options line
 * win, `#` comments are skipped. A `nameserver` line without an address is an error.
 */
export function parseResolvConf(text: string): ResolvConf & { errors: string[] } {
  const out: ResolvConf & { errors: string[] } = { nameservers: [], searches: [], options: [], errors: [] };
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (trimmed.startsWith("#")) continue;
    const fields = trimmed.split(/\s+/).filter((f) => f !== "");
    if (fields.length === 0) continue;
    if (fields[0] === "nameserver") {
      if (fields.length >= 2) out.nameservers.push(fields[1]!);
      else out.errors.push("nameserver list is empty ");
    }
    if (fields[0] === "search") out.searches = fields.slice(1);
    if (fields[0] === "options") out.options = fields.slice(1);
  }
  return out;
}

function omitDuplicates(list: readonly string[]): string[] {
  return [...new Set(list)];
}

/** Which base config a pod gets: ClusterFirst on the host network falls back to the host's. */
function dnsType(pod: Pod): "cluster" | "host" | "none" {
  switch (pod.spec.dnsPolicy ?? "ClusterFirst") {
    case "None": return "none";
    case "ClusterFirstWithHostNet": return "cluster";
    case "ClusterFirst": return pod.spec.hostNetwork ? "host" : "cluster";
    case "Default": return "host";
    default: return "cluster"; // rejected by the API server; upstream falls back to ClusterFirst
  }
}

/** upstream format.Pod: `name_namespace(uid)`. */
function podDesc(pod: Pod): string {
  return `${pod.metadata.name ?? ""}_${pod.metadata.namespace ?? ""}(${pod.metadata.uid ?? ""})`;
}

/** The sandbox DNS config for `pod` (upstream Configurer.GetPodDNS). */
export function podDnsConfig(pod: Pod, settings: DnsSettings): PodDnsResult {
  const warnings: DnsWarning[] = [];
  let config: DNSConfig = { servers: [], searches: [], options: [] };
  if (settings.hostResolvConf !== undefined) {
    const host = parseResolvConf(settings.hostResolvConf);
    if (host.errors.length === 1) return { error: host.errors[0]! };
    if (host.errors.length > 1) return { error: `[${host.errors.join(", ")}]` };
    config = { servers: host.nameservers, searches: host.searches, options: host.options };
  }

  let type = dnsType(pod);
  if (type === "none") {
    config = { servers: [], searches: [], options: [] };
  } else if (type === "cluster") {
    if (settings.clusterDNS.length > 0) {
      // The cluster DNS server is the pod's only nameserver; it forwards what it cannot answer.
      config.servers = [...settings.clusterDNS];
      config.searches = clusterSearches(config.searches, pod.metadata.namespace ?? "", settings.clusterDomain);
      config.options = [...DEFAULT_DNS_OPTIONS];
    } else {
      const msg = `kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.`;
      warnings.push({ reason: "MissingClusterDNS", message: `pod: "${podDesc(pod)}". ${msg}` });
      type = "host";
    }
  }
  if (type === "host" && settings.hostResolvConf === undefined) {
    // No host resolv.conf: point at the local resolver rather than inherit the runtime's default.
    config.servers = ["127.0.0.1"];
    config.searches = ["."];
  }

  const extra = pod.spec.dnsConfig;
  if (extra) {
    config.servers = omitDuplicates([...config.servers, ...(extra.nameservers ?? [])]);
    config.searches = omitDuplicates([...config.searches, ...(extra.searches ?? [])]);
    config.options = mergeDnsOptions(config.options, extra.options ?? []);
  }
  return { config: fitLimits(config, warnings), warnings };
}

/** `<ns>.svc.<domain> svc.<domain> <domain>` before the host's search path, without repeats. */
function clusterSearches(hostSearches: readonly string[], namespace: string, domain: string): string[] {
  if (domain === "") return [...hostSearches];
  return omitDuplicates([`${namespace}.svc.${domain}`, `svc.${domain}`, domain, ...hostSearches]);
}

/** Merges `name[:value]` options; the pod's own options replace same-named existing ones. */
function mergeDnsOptions(existing: readonly string[], podOptions: readonly { name: string; value?: string }[]): string[] {
  const merged = new Map<string, string>();
  for (const op of existing) {
    const i = op.indexOf(":");
    if (i === -1) merged.set(op, "");
    else merged.set(op.slice(0, i), op.slice(i + 1));
  }
  for (const op of podOptions) merged.set(op.name, op.value ?? "");
  return [...merged].map(([name, value]) => (value === "" ? name : `${name}:${value}`));
}

function fitLimits(config: DNSConfig, warnings: DnsWarning[]): DNSConfig {
  let servers = config.servers;
  if (servers.length > MAX_DNS_NAMESERVERS) {
    servers = servers.slice(0, MAX_DNS_NAMESERVERS);
    warnings.push({
      reason: "DNSConfigForming",
      message: `Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${servers.join(" ")}`,
    });
  }
  let searches = config.searches;
  let exceeded = false;
  if (searches.length > MAX_DNS_SEARCH_PATHS) {
    searches = searches.slice(0, MAX_DNS_SEARCH_PATHS);
    exceeded = true;
  }
  // Drop whole domains from the end until the search line fits.
  let lineLen = searches.join(" ").length;
  if (lineLen > MAX_DNS_SEARCH_LIST_CHARS) {
    exceeded = true;
    while (searches.length > 0 && lineLen > MAX_DNS_SEARCH_LIST_CHARS) {
      lineLen -= searches[searches.length - 1]!.length + 1;
      searches = searches.slice(0, -1);
    }
  }
  if (exceeded) {
    warnings.push({
      reason: "DNSConfigForming",
      message: `Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${searches.join(" ")}`,
    });
  }
  return { servers, searches, options: config.options };
}
