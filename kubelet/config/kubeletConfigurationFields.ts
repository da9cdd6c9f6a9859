/**
 * Typed reading of KubeletConfiguration fields: each accessor returns the field's value or its
 * default, and reports a wrong type naming the field and what was expected.
 */
import { DurationError, parseGoDuration } from "./goDuration.ts";
import type { NodeTaint } from "./kubeletConfiguration.ts";

/** Every top-level field of kubelet.config.k8s.io/v1beta1 in v1.20 (plus `imagePullProgressDeadline`); others warn. */
export const KNOWN_V1BETA1_FIELDS: ReadonlySet<string> = new Set([
  "apiVersion", "kind", "staticPodPath", "syncFrequency", "fileCheckFrequency", "httpCheckFrequency",
  "staticPodURL", "staticPodURLHeader", "address", "port", "readOnlyPort", "tlsCertFile", "tlsPrivateKeyFile",
  "tlsCipherSuites", "tlsMinVersion", "rotateCertificates", "serverTLSBootstrap", "authentication",
  "authorization", "registryPullQPS", "registryBurst", "eventRecordQPS", "eventBurst",
  "enableDebuggingHandlers", "enableContentionProfiling", "healthzPort", "healthzBindAddress", "oomScoreAdj",
  "clusterDomain", "clusterDNS", "streamingConnectionIdleTimeout", "nodeStatusUpdateFrequency",
  "nodeStatusReportFrequency", "nodeLeaseDurationSeconds", "imageMinimumGCAge", "imageGCHighThresholdPercent",
  "imageGCLowThresholdPercent", "volumeStatsAggPeriod", "kubeletCgroups", "systemCgroups", "cgroupRoot",
  "cgroupsPerQOS", "cgroupDriver", "cpuManagerPolicy", "cpuManagerReconcilePeriod", "topologyManagerPolicy",
  "topologyManagerScope", "qosReserved", "runtimeRequestTimeout", "hairpinMode", "maxPods", "podCIDR",
  "podPidsLimit", "resolvConf", "runOnce", "cpuCFSQuota", "cpuCFSQuotaPeriod", "nodeStatusMaxImages",
  "maxOpenFiles", "contentType", "kubeAPIQPS", "kubeAPIBurst", "serializeImagePulls", "evictionHard",
  "evictionSoft", "evictionSoftGracePeriod", "evictionPressureTransitionPeriod", "evictionMaxPodGracePeriod",
  "evictionMinimumReclaim", "podsPerCore", "enableControllerAttachDetach", "protectKernelDefaults",
  "makeIPTablesUtilChains", "iptablesMasqueradeBit", "iptablesDropBit", "featureGates", "failSwapOn",
  "containerLogMaxSize", "containerLogMaxFiles", "configMapAndSecretChangeDetectionStrategy",
  "systemReserved", "kubeReserved", "reservedSystemCPUs", "showHiddenMetricsForVersion",
  "systemReservedCgroup", "kubeReservedCgroup", "enforceNodeAllocatable", "allowedUnsafeSysctls",
  "volumePluginDir", "providerID", "kernelMemcgNotification", "logging", "enableSystemLogHandler",
  "shutdownGracePeriod", "shutdownGracePeriodCriticalPods", "registerNode", "registerWithTaints",
  "imagePullProgressDeadline",
]);

const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"] as const;

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** Reads fields of one (possibly nested) config object; `fail` makes the error thrown for a bad value. */
export class ConfigReader {
  constructor(
    private readonly obj: Record<string, unknown>,
    private readonly fail: (msg: string) => Error,
    private readonly warn: (msg: string) => void,
    private readonly prefix = "",
  ) {}

  private get(name: string): unknown {
    const v = this.obj[name];
    return v === null ? undefined : v;
  }

  private bad(name: string, expected: string, value: unknown): Error {
    return this.fail(`${this.prefix}${name}: expected ${expected}, got ${describe(value)}`);
  }

  /** A nested object such as `authentication`; missing reads as empty. */
  object(name: string): ConfigReader {
    const v = this.get(name);
    if (v !== undefined && (typeof v !== "object" || Array.isArray(v))) throw this.bad(name, "an object", v);
    return new ConfigReader((v ?? {}) as Record<string, unknown>, this.fail, this.warn, `${this.prefix}${name}.`);
  }

  /** A string field. */
  str(name: string, def: string): string {
    const v = this.get(name);
    if (v === undefined) return def;
    if (typeof v !== "string") throw this.bad(name, "a string", v);
    return v;
  }

  /** A string field limited to `allowed`; empty means the default. */
  oneOf<T extends string>(name: string, allowed: readonly T[], def: T): T {
    const v = this.str(name, def);
    if (v === "") return def;
    if (!(allowed as readonly string[]).includes(v)) {
      throw this.fail(`${this.prefix}${name}: expected one of ${allowed.map((a) => `"${a}"`).join(", ")}, got "${v}"`);
    }
    return v as T;
  }

  /** A boolean field. */
  bool(name: string, def: boolean): boolean {
    const v = this.get(name);
    if (v === undefined) return def;
    if (typeof v !== "boolean") throw this.bad(name, "true or false", v);
    return v;
  }

  /**
   * An integer field; values below `min` are rejected. As in upstream's defaulting of non-pointer
   * fields, 0 means "use the default" unless `zeroIsValue` (pointer fields such as podPidsLimit).
   */
  int(name: string, def: number, min = Number.MIN_SAFE_INTEGER, zeroIsValue = false): number {
    const v = this.get(name);
    if (v === undefined || (v === 0 && !zeroIsValue)) return def;
    if (typeof v !== "number" || !Number.isInteger(v)) throw this.bad(name, "an integer", v);
    if (v < min) throw this.fail(`${this.prefix}${name}: expected an integer >= ${min}, got ${v}`);
    return v;
  }

  /** A TCP port; 0 is kept (it disables the listener) and the default applies only when absent. */
  port(name: string, def: number): number {
    const v = this.get(name);
    if (v === undefined) return def;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 65535) throw this.bad(name, "a port number 0-65535", v);
    return v;
  }

  /** A Go duration string in milliseconds; absent or zero means the default (upstream's `zeroDuration` check). */
  duration(name: string, def: number): number {
    const v = this.get(name);
    if (v === undefined) return def;
    if (typeof v !== "string") throw this.bad(name, 'a duration string such as "10s"', v);
    try {
      const ms = parseGoDuration(v);
      if (ms < 0) throw this.fail(`${this.prefix}${name}: expected a non-negative duration, got "${v}"`);
      return ms === 0 ? def : ms;
    } catch (err) {
      if (err instanceof DurationError) throw this.fail(`${this.prefix}${name}: ${err.message}`);
      throw err;
    }
  }

  /** A list of strings. */
  strList(name: string, def: readonly string[]): string[] {
    const v = this.get(name);
    if (v === undefined) return [...def];
    if (!Array.isArray(v) || v.some((s) => typeof s !== "string")) throw this.bad(name, "a list of strings", v);
    return [...(v as string[])];
  }

  /** A string-to-string map (numbers are accepted and kept as text, e.g. `cpu: 1`). */
  strMap(name: string, def: Readonly<Record<string, string>>): Record<string, string> {
    const v = this.get(name);
    if (v === undefined) return { ...def };
    if (typeof v !== "object" || Array.isArray(v)) throw this.bad(name, "a map of strings", v);
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
      if (typeof val !== "string" && typeof val !== "number") throw this.bad(`${name}.${k}`, "a string", val);
      out[k] = String(val);
    }
    return out;
  }

  /** A string-to-boolean map such as `featureGates`. */
  boolMap(name: string): Record<string, boolean> {
    const v = this.get(name);
    if (v === undefined) return {};
    if (typeof v !== "object" || Array.isArray(v)) throw this.bad(name, "a map of feature names to true/false", v);
    const out: Record<string, boolean> = {};
    for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
      if (typeof val !== "boolean") throw this.bad(`${name}.${k}`, "true or false", val);
      out[k] = val;
    }
    return out;
  }

  /** A list of node taints (`key`, optional `value`, `effect`). */
  taints(name: string): NodeTaint[] {
    const v = this.get(name);
    if (v === undefined) return [];
    if (!Array.isArray(v)) throw this.bad(name, "a list of taints", v);
    return v.map((t, i) => {
      const item = new ConfigReader(t && typeof t === "object" ? t : {}, this.fail, this.warn, `${this.prefix}${name}[${i}].`);
      const key = item.str("key", "");
      if (key === "") throw this.fail(`${this.prefix}${name}[${i}].key: expected a non-empty taint key`);
      const value = item.str("value", "");
      const effect = item.str("effect", "") as NodeTaint["effect"];
      if (!TAINT_EFFECTS.includes(effect)) {
        throw this.fail(`${this.prefix}${name}[${i}].effect: expected one of ${TAINT_EFFECTS.map((e) => `"${e}"`).join(", ")}, got "${effect}"`);
      }
      return value === "" ? { key, effect } : { key, value, effect };
    });
  }
}
