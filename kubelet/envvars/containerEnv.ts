/**
 * A container's environment as the kubelet hands it to the runtime (upstream
 * `makeEnvironmentVariables`): envFrom sources first, then `env` entries in order (each value expanded
 * against the variables before it and the service variables, or resolved from its `valueFrom`
 * source), then the service link variables the container did not set itself.
 * Pure: ConfigMaps, Secrets and resource values come through injected lookups.
 */
import type { Container, ObjectFieldSelector, Pod } from "../../bindings/kube/types.ts";
import { expand, mappingFor } from "./expansion.ts";

/** One environment variable, in the order the runtime receives them. */
export interface EnvEntry { key: string; value: string }

/** What the environment is built from besides the pod and container. */
export interface ContainerEnvOptions {
  /** The node's IP for `status.hostIP`. */
  hostIP?: string;
  /** The pod's primary IP (`status.podIP`) and all its IPs (`status.podIPs`, comma-joined). */
  podIP?: string;
  podIPs?: string[];
  /** Service link variables of the pod's namespace (empty when `enableServiceLinks` is false). */
  serviceEnv?: Readonly<Record<string, string>>;
  /** The data of a ConfigMap in the pod's namespace; undefined when it does not exist. */
  getConfigMap?(name: string): Readonly<Record<string, string>> | undefined;
  /** The decoded data of a Secret in the pod's namespace; undefined when it does not exist. */
  getSecret?(name: string): Readonly<Record<string, string>> | undefined;
  /** A container's resource request or limit (e.g. "limits.memory") in units of `divisor`, as a string. */
  resourceValue?(containerName: string, resource: string, divisor: string): string;
}

/**
 * The built environment, plus errors that keep the container from being created (upstream reports
 * the first one as CreateContainerConfigError; later ones are for logs).
 */
export interface ContainerEnvResult {
  env: EnvEntry[];
  errors: string[];
  /** Messages for InvalidEnvironmentVariableNames warning events (envFrom keys that were skipped). */
  warnings?: string[];
}

/** Upstream's IsEnvVarName: a C identifier, also allowing `-` and `.`, not starting with a digit. */
const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** True when `name` may be used as an environment variable name (keys from envFrom that fail are skipped). */
export function isEnvVarName(name: string): boolean {
  return ENV_VAR_NAME.test(name);
}

/** Builds the runtime environment of `container` in `pod`; never throws, errors are values. */
export function makeContainerEnv(pod: Pod, container: Container, opts: ContainerEnvOptions = {}): ContainerEnvResult {
  const ns = pod.metadata.namespace ?? "";
  const errors: string[] = [];
  const warnings: string[] = [];
  const serviceEnv = new Map(Object.entries(opts.serviceEnv ?? {}));
  const env = new Map<string, string>();
  const configMaps = new Map<string, Readonly<Record<string, string>> | undefined>();
  const secrets = new Map<string, Readonly<Record<string, string>> | undefined>();
  const configMap = (name: string) => cached(configMaps, name, () => opts.getConfigMap?.(name));
  const secret = (name: string) => cached(secrets, name, () => opts.getSecret?.(name));

  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? "";
    let data: Readonly<Record<string, string>> | undefined;
    const source = from.configMapRef ? `configMap ${ns}/${from.configMapRef.name ?? ""}` : `secret ${ns}/${from.secretRef?.name ?? ""}`;
    if (from.configMapRef) {
      data = configMap(from.configMapRef.name ?? "");
      if (!data && !from.configMapRef.optional) errors.push(`configmap "${from.configMapRef.name ?? ""}" not found`);
    } else if (from.secretRef) {
      data = secret(from.secretRef.name ?? "");
      if (!data && !from.secretRef.optional) errors.push(`secret "${from.secretRef.name ?? ""}" not found`);
    }
    const invalid: string[] = [];
    for (const [k, v] of Object.entries(data ?? {})) {
      if (isEnvVarName(prefix + k)) env.set(prefix + k, v);
      else invalid.push(prefix + k);
    }
    if (invalid.length > 0) {
      warnings.push(`Keys [${invalid.sort().join(", ")}] from the EnvFrom ${source} were skipped since they are considered invalid environment variable names.`);
    }
  }

  const mapping = mappingFor(env, serviceEnv);
  for (const v of container.env ?? []) {
    let value: string | undefined = v.value ?? "";
    if (value !== "") {
      value = expand(value, mapping);
    } else if (v.valueFrom?.fieldRef) {
      const r = podFieldValue(v.valueFrom.fieldRef, pod, opts);
      if (typeof r !== "string") {
        errors.push(r.error);
        continue;
      }
      value = r;
    } else if (v.valueFrom?.resourceFieldRef) {
      const ref = v.valueFrom.resourceFieldRef;
      const divisor = ref.divisor === undefined ? "1" : String(ref.divisor);
      value = opts.resourceValue?.(ref.containerName || container.name, ref.resource, divisor) ?? "";
    } else if (v.valueFrom?.configMapKeyRef || v.valueFrom?.secretKeyRef) {
      const isCm = v.valueFrom.configMapKeyRef !== undefined;
      const ref = (v.valueFrom.configMapKeyRef ?? v.valueFrom.secretKeyRef)!;
      const name = ref.name ?? "";
      const data = isCm ? configMap(name) : secret(name);
      if (!data) {
        if (!ref.optional) errors.push(`${isCm ? "configmap" : "secret"} "${name}" not found`);
        continue;
      }
      value = Object.prototype.hasOwnProperty.call(data, ref.key) ? data[ref.key] : undefined;
      if (value === undefined) {
        if (!ref.optional) errors.push(`couldn't find key ${ref.key} in ${isCm ? "ConfigMap" : "Secret"} ${ns}/${name}`);
        continue;
      }
    }
    // A variable the container sets itself replaces the service link variable of the same name.
    serviceEnv.delete(v.name);
    env.set(v.name, value);
  }

  const out: EnvEntry[] = [];
  for (const [key, value] of env) out.push({ key, value });
  for (const [key, value] of serviceEnv) if (!env.has(key)) out.push({ key, value });
  return { env: out, errors, warnings };
}

function cached<T>(cache: Map<string, T>, name: string, load: () => T): T {
  if (!cache.has(name)) cache.set(name, load());
  return cache.get(name)!;
}

/** The downward API value of `fieldPath` for env (upstream podFieldSelectorRuntimeValue). */
export function podFieldValue(ref: ObjectFieldSelector, pod: Pod, opts: Pick<ContainerEnvOptions, "hostIP" | "podIP" | "podIPs">): string | { error: string } {
  if (ref.apiVersion !== undefined && ref.apiVersion !== "" && ref.apiVersion !== "v1") {
    return { error: `unsupported pod version: ${ref.apiVersion}` };
  }
  const path = ref.fieldPath;
  switch (path) {
    case "spec.nodeName": return pod.spec.nodeName ?? "";
    case "spec.serviceAccountName": return pod.spec.serviceAccountName ?? "";
    case "status.hostIP": return opts.hostIP ?? "";
    case "status.podIP": return opts.podIP ?? "";
    case "status.podIPs": return (opts.podIPs ?? []).join(",");
    case "metadata.name": return pod.metadata.name ?? "";
    case "metadata.namespace": return pod.metadata.namespace ?? "";
    case "metadata.uid": return pod.metadata.uid ?? "";
    case "metadata.labels": return formatMap(pod.metadata.labels);
    case "metadata.annotations": return formatMap(pod.metadata.annotations);
  }
  const sub = /^(metadata\.(?:labels|annotations))\['(.*)'\]$/s.exec(path);
  if (sub) {
    const map = sub[1] === "metadata.labels" ? pod.metadata.labels : pod.metadata.annotations;
    return map?.[sub[2]!] ?? "";
  }
  // Valid downward API paths that env cannot use (upstream ExtractFieldPathAsString).
  if (path === "spec.restartPolicy" || path === "spec.schedulerName" || path === "status.phase") {
    return { error: `unsupported fieldPath: ${path}` };
  }
  return { error: `field label not supported: ${path}` };
}

/** `k="v"` lines in key order, as upstream formats a whole label or annotation map. */
function formatMap(m: Readonly<Record<string, string>> | undefined): string {
  return Object.keys(m ?? {}).sort().map((k) => `${k}=${JSON.stringify(m![k])}`).join("\n");
}
