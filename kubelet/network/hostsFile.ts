/**
 * The /etc/hosts file the kubelet writes for each pod and mounts into its containers (upstream
 * kubelet_pods.go ensureHostsFile): a managed file with localhost entries, the pod's IPs with its
 * hostname (and FQDN when it has a subdomain) and the pod's hostAliases; hostNetwork pods get the
 * node's own hosts file plus the aliases.
 */
import type { HostAlias } from "../../bindings/kube/types.ts";

/** First line of a managed hosts file. */
export const MANAGED_HOSTS_HEADER = "# Kubernetes-managed hosts file.\n";
/** First line of the hosts file of a hostNetwork pod. */
export const MANAGED_HOSTS_HEADER_HOST_NETWORK = "# Kubernetes-managed hosts file (host network).\n";
/** Where the hosts file is mounted in every container. */
export const ETC_HOSTS_PATH = "/etc/hosts";
/** The file under the pod directory (`<rootDir>/pods/<uid>/etc-hosts`). */
export const ETC_HOSTS_FILE = "etc-hosts";

/** The `# Entries added by HostAliases.` section, one line per alias IP; empty without aliases. */
export function hostAliasesEntries(hostAliases: readonly HostAlias[] | undefined): string {
  if (!hostAliases || hostAliases.length === 0) return "";
  let out = "\n# Entries added by HostAliases.\n";
  for (const a of hostAliases) out += `${a.ip}\t${(a.hostnames ?? []).join("\t")}\n`;
  return out;
}

/**
 * The managed hosts file of a pod on the pod network. `hostDomain` is
 * `<subdomain>.<namespace>.svc.<clusterDomain>` when the pod has a subdomain, else "".
 */
export function managedHostsFileContent(podIPs: readonly string[], hostname: string, hostDomain: string, hostAliases?: readonly HostAlias[]): string {
  let out = MANAGED_HOSTS_HEADER;
  out += "127.0.0.1\tlocalhost\n";
  out += "::1\tlocalhost ip6-localhost ip6-loopback\n";
  out += "fe00::0\tip6-localnet\n";
  out += "fe00::0\tip6-mcastprefix\n";
  out += "fe00::1\tip6-allnodes\n";
  out += "fe00::2\tip6-allrouters\n";
  for (const ip of podIPs) out += hostDomain ? `${ip}\t${hostname}.${hostDomain}\t${hostname}\n` : `${ip}\t${hostname}\n`;
  return out + hostAliasesEntries(hostAliases);
}

/** The hosts file of a hostNetwork pod: the node's /etc/hosts content after a header, then the aliases. */
export function nodeHostsFileContent(nodeHosts: string, hostAliases?: readonly HostAlias[]): string {
  return MANAGED_HOSTS_HEADER_HOST_NETWORK + nodeHosts + hostAliasesEntries(hostAliases);
}
