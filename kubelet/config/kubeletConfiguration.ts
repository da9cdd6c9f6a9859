/**
 * The KubeletConfiguration file (`--config`, kubelet.config.k8s.io/v1beta1): parsed from YAML or JSON
 * into a typed value with upstream v1.20 defaults, then overlaid with command-line flags (flags win).
 * Durations become milliseconds (fields ending in `Ms`); relative paths are resolved against the
 * directory of the config file, as upstream does.
 */
import { parseDocument } from "yaml";
import type { KubeletFlags } from "./flags.ts";
import { ConfigReader, KNOWN_V1BETA1_FIELDS } from "./kubeletConfigurationFields.ts";
import { dirName, resolveAgainst } from "./posixPath.ts";
import { parseGoDuration } from "./goDuration.ts";

/** The config file's API group/version, as upstream v1.20 accepts it. */
export const KUBELET_CONFIG_API_VERSION = "kubelet.config.k8s.io/v1beta1";
/** The config file's kind. */
export const KUBELET_CONFIG_KIND = "KubeletConfiguration";

/** A taint the node registers with (`registerWithTaints`). */
export interface NodeTaint { key: string; value?: string; effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute" }

/** How the kubelet API authenticates callers; kept as data until the API server port uses it. */
export interface KubeletAuthentication {
  x509: { clientCAFile?: string };
  webhook: { enabled: boolean; cacheTTLMs: number };
  anonymous: { enabled: boolean };
}

/** How the kubelet API authorizes callers; kept as data until the API server port uses it. */
export interface KubeletAuthorization {
  mode: "AlwaysAllow" | "Webhook";
  webhook: { cacheAuthorizedTTLMs: number; cacheUnauthorizedTTLMs: number };
}

/** The settings kubelet-ts uses, with upstream v1.20 names; `*Ms` fields are Go durations in milliseconds. */
export interface KubeletConfiguration {
  /** Directory (or single file) of static pod manifests; `undefined` when there is none. */
  staticPodPath?: string;
  syncFrequencyMs: number;
  fileCheckFrequencyMs: number;
  address: string;
  port: number;
  /** 0 disables the read-only port (the v1beta1 file default). */
  readOnlyPort: number;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  rotateCertificates: boolean;
  authentication: KubeletAuthentication;
  authorization: KubeletAuthorization;
  healthzBindAddress: string;
  /** 0 disables the healthz server. */
  healthzPort: number;
  clusterDomain: string;
  clusterDNS: string[];
  resolvConf: string;
  cgroupDriver: "cgroupfs" | "systemd";
  cgroupRoot: string;
  cgroupsPerQOS: boolean;
  maxPods: number;
  /** -1 means "no pod-level limit". */
  podPidsLimit: number;
  nodeStatusUpdateFrequencyMs: number;
  nodeStatusReportFrequencyMs: number;
  nodeLeaseDurationSeconds: number;
  /** Upstream a (dockershim) flag, not a config field; accepted here so standalone setups can tune it. */
  imagePullProgressDeadlineMs: number;
  serializeImagePulls: boolean;
  /** Image garbage collection: usage percentages of the image filesystem, and the minimum age of an image removed. */
  imageGCHighThresholdPercent: number;
  imageGCLowThresholdPercent: number;
  imageMinimumGCAgeMs: number;
  /** API client requests per second and burst; unset (undefined) means unthrottled in kubelet-ts (upstream: 5 / 10). */
  kubeAPIQPS?: number;
  kubeAPIBurst: number;
  /** Event creations per second (0 = unlimited) and the burst allowed above it. */
  eventRecordQPS: number;
  eventBurst: number;
  /** Signal -> threshold, e.g. `memory.available: "100Mi"`; replaces the defaults entirely when given. */
  evictionHard: Record<string, string>;
  evictionSoft: Record<string, string>;
  /** Signal -> grace period (ms) of its soft threshold. */
  evictionSoftGracePeriodMs: Record<string, number>;
  evictionPressureTransitionPeriodMs: number;
  /** Seconds; the grace period of pods evicted for a soft threshold. */
  evictionMaxPodGracePeriod: number;
  evictionMinimumReclaim: Record<string, string>;
  kubeReserved: Record<string, string>;
  systemReserved: Record<string, string>;
  enforceNodeAllocatable: string[];
  containerLogMaxSize: string;
  containerLogMaxFiles: number;
  registerNode: boolean;
  registerWithTaints: NodeTaint[];
  runtimeRequestTimeoutMs: number;
  hairpinMode: "promiscuous-bridge" | "hairpin-veth" | "none";
  featureGates: Record<string, boolean>;
  shutdownGracePeriodMs: number;
  shutdownGracePeriodCriticalPodsMs: number;
}

/** A config file kubelet-ts cannot use; the message names the file, the field and what was expected. */
export class KubeletConfigError extends Error {}

/** A parsed config and the warnings (unknown fields, ignored documents) to show the user. */
export interface ParsedKubeletConfiguration {
  config: KubeletConfiguration;
  warnings: string[];
}

/** Upstream's v1.20 default eviction thresholds (`DefaultEvictionHard`). */
export const DEFAULT_EVICTION_HARD: Readonly<Record<string, string>> = Object.freeze({
  "memory.available": "100Mi",
  "nodefs.available": "10%",
  "nodefs.inodesFree": "5%",
  "imagefs.available": "15%",
});

/** The configuration a kubelet runs with when no `--config` is given: every upstream v1beta1 default. */
export function defaultKubeletConfiguration(): KubeletConfiguration {
  return parseKubeletConfiguration(`apiVersion: ${KUBELET_CONFIG_API_VERSION}\nkind: ${KUBELET_CONFIG_KIND}\n`, "/defaults").config;
}

/**
 * Parses the text of a KubeletConfiguration file found at `file` (an absolute path, used in messages
 * and to resolve relative paths). Unknown fields become warnings; anything unusable throws KubeletConfigError.
 */
export function parseKubeletConfiguration(text: string, file: string): ParsedKubeletConfiguration {
  const fail = (msg: string) => new KubeletConfigError(`kubelet config ${file}: ${msg}`);
  const warnings: string[] = [];
  const doc = parseDocument(text, { version: "1.1", uniqueKeys: true });
  if (doc.errors.length > 0) throw fail(`not valid YAML or JSON: ${doc.errors[0]!.message.split("\n")[0]}`);
  const raw: unknown = doc.toJS();
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw fail(`expected a ${KUBELET_CONFIG_KIND} object, got ${raw === null || raw === undefined ? "an empty document" : Array.isArray(raw) ? "a list" : typeof raw}`);
  }
  const obj = raw as Record<string, unknown>;
  if (obj.kind !== KUBELET_CONFIG_KIND) throw fail(`kind: expected "${KUBELET_CONFIG_KIND}", got ${JSON.stringify(obj.kind ?? "")}`);
  if (obj.apiVersion !== KUBELET_CONFIG_API_VERSION) {
    throw fail(`apiVersion: expected "${KUBELET_CONFIG_API_VERSION}", got ${JSON.stringify(obj.apiVersion ?? "")}`);
  }
  for (const key of Object.keys(obj)) {
    if (!KNOWN_V1BETA1_FIELDS.has(key)) warnings.push(`kubelet config ${file}: unknown field "${key}" ignored`);
  }
  const r = new ConfigReader(obj, fail, (msg) => warnings.push(`kubelet config ${file}: ${msg}`));
  const baseDir = dirName(file);
  const path = (name: string) => optionalPath(baseDir, r.str(name, ""));

  const nodeStatusUpdateGiven = obj.nodeStatusUpdateFrequency !== undefined;
  const nodeStatusUpdateFrequencyMs = r.duration("nodeStatusUpdateFrequency", 10_000);
  // Upstream: when only the update frequency is set, the report frequency follows it.
  const nodeStatusReportFrequencyMs = r.duration("nodeStatusReportFrequency", nodeStatusUpdateGiven ? nodeStatusUpdateFrequencyMs : 300_000);

  const authn = r.object("authentication");
  const authz = r.object("authorization");
  const config: KubeletConfiguration = {
    staticPodPath: path("staticPodPath"),
    syncFrequencyMs: r.duration("syncFrequency", 60_000),
    fileCheckFrequencyMs: r.duration("fileCheckFrequency", 20_000),
    address: r.str("address", "0.0.0.0"),
    port: r.port("port", 10250),
    readOnlyPort: r.port("readOnlyPort", 0),
    tlsCertFile: path("tlsCertFile"),
    tlsPrivateKeyFile: path("tlsPrivateKeyFile"),
    rotateCertificates: r.bool("rotateCertificates", false),
    authentication: {
      x509: { clientCAFile: optionalPath(baseDir, authn.object("x509").str("clientCAFile", "")) },
      webhook: { enabled: authn.object("webhook").bool("enabled", true), cacheTTLMs: authn.object("webhook").duration("cacheTTL", 120_000) },
      anonymous: { enabled: authn.object("anonymous").bool("enabled", false) },
    },
    authorization: {
      mode: authz.oneOf("mode", ["Webhook", "AlwaysAllow"] as const, "Webhook"),
      webhook: {
        cacheAuthorizedTTLMs: authz.object("webhook").duration("cacheAuthorizedTTL", 300_000),
        cacheUnauthorizedTTLMs: authz.object("webhook").duration("cacheUnauthorizedTTL", 30_000),
      },
    },
    healthzBindAddress: r.str("healthzBindAddress", "127.0.0.1"),
    healthzPort: r.port("healthzPort", 10248),
    clusterDomain: r.str("clusterDomain", ""),
    clusterDNS: r.strList("clusterDNS", []),
    // An explicit "" keeps upstream's meaning: no resolv.conf for pods with dnsPolicy Default.
    resolvConf: resolveAgainst(baseDir, r.str("resolvConf", "/etc/resolv.conf")),
    cgroupDriver: r.oneOf("cgroupDriver", ["cgroupfs", "systemd"] as const, "cgroupfs"),
    cgroupRoot: r.str("cgroupRoot", ""),
    cgroupsPerQOS: r.bool("cgroupsPerQOS", true),
    maxPods: r.int("maxPods", 110, 1),
    // Upstream turns any negative limit into -1.
    podPidsLimit: Math.max(-1, r.int("podPidsLimit", -1, Number.MIN_SAFE_INTEGER, true)),
    nodeStatusUpdateFrequencyMs,
    nodeStatusReportFrequencyMs,
    nodeLeaseDurationSeconds: r.int("nodeLeaseDurationSeconds", 40, 1),
    imagePullProgressDeadlineMs: r.duration("imagePullProgressDeadline", 60_000),
    serializeImagePulls: r.bool("serializeImagePulls", true),
    eventRecordQPS: r.int("eventRecordQPS", 5, 0, true), // a pointer upstream: 0 means unlimited
    imageGCHighThresholdPercent: r.int("imageGCHighThresholdPercent", 85, 0, true),
    imageGCLowThresholdPercent: r.int("imageGCLowThresholdPercent", 80, 0, true),
    imageMinimumGCAgeMs: r.duration("imageMinimumGCAge", 120_000),
    kubeAPIQPS: obj.kubeAPIQPS === undefined ? undefined : r.int("kubeAPIQPS", 5, 0, true),
    kubeAPIBurst: r.int("kubeAPIBurst", 10, 0),
    eventBurst: r.int("eventBurst", 10, 0),
    evictionHard: r.strMap("evictionHard", DEFAULT_EVICTION_HARD),
    evictionSoft: r.strMap("evictionSoft", {}),
    evictionSoftGracePeriodMs: Object.fromEntries(Object.entries(r.strMap("evictionSoftGracePeriod", {})).map(([k, v]) => [k, softGracePeriod(k, v, fail)])),
    evictionPressureTransitionPeriodMs: r.duration("evictionPressureTransitionPeriod", 5 * 60_000),
    evictionMaxPodGracePeriod: r.int("evictionMaxPodGracePeriod", 0, 0),
    evictionMinimumReclaim: r.strMap("evictionMinimumReclaim", {}),
    kubeReserved: r.strMap("kubeReserved", {}),
    systemReserved: r.strMap("systemReserved", {}),
    enforceNodeAllocatable: r.strList("enforceNodeAllocatable", ["pods"]),
    containerLogMaxSize: r.str("containerLogMaxSize", "10Mi"),
    containerLogMaxFiles: r.int("containerLogMaxFiles", 5, 2),
    registerNode: r.bool("registerNode", true),
    registerWithTaints: r.taints("registerWithTaints"),
    runtimeRequestTimeoutMs: r.duration("runtimeRequestTimeout", 120_000),
    hairpinMode: r.oneOf("hairpinMode", ["promiscuous-bridge", "hairpin-veth", "none"] as const, "promiscuous-bridge"),
    featureGates: r.boolMap("featureGates"),
    shutdownGracePeriodMs: r.duration("shutdownGracePeriod", 0),
    shutdownGracePeriodCriticalPodsMs: r.duration("shutdownGracePeriodCriticalPods", 0),
  };
  if (config.shutdownGracePeriodCriticalPodsMs > config.shutdownGracePeriodMs) {
    throw fail("shutdownGracePeriodCriticalPods: must be <= shutdownGracePeriod");
  }
  return { config, warnings };
}

/** One evictionSoftGracePeriod entry ("1m30s") in milliseconds. */
function softGracePeriod(signal: string, text: string, fail: (msg: string) => Error): number {
  try {
    return parseGoDuration(text);
  } catch (err) {
    throw fail(`evictionSoftGracePeriod.${signal}: ${(err as Error).message}`);
  }
}

function optionalPath(baseDir: string, value: string): string | undefined {
  return value === "" ? undefined : resolveAgainst(baseDir, value);
}

/**
 * The effective configuration: `flags` given on the command line override the file, as upstream's
 * kubelet re-applies flags after loading `--config`. Relative flag paths resolve against `cwd`.
 */
export function applyKubeletFlags(config: KubeletConfiguration, flags: KubeletFlags, cwd: string): KubeletConfiguration {
  const out: KubeletConfiguration = { ...config };
  if (flags.podManifestPath !== undefined) {
    out.staticPodPath = flags.podManifestPath === "" ? undefined : resolveAgainst(cwd, flags.podManifestPath);
  }
  return out;
}
