/**
 * ConfigMap and Secret lookups for a container's environment (configMapKeyRef, secretKeyRef,
 * envFrom): the referenced objects are read once, up front, so makeContainerEnv can stay
 * synchronous and pure. A missing object is `undefined` (makeContainerEnv applies `optional`);
 * any other read failure refuses the container with upstream's message.
 */
import type { Container } from "../../bindings/kube/types.ts";
import type { ContainerEnvOptions } from "../envvars/containerEnv.ts";
import { NoApiServerError, type ObjectSource } from "./objectSource.ts";
import { secretStrings } from "./payloads.ts";

/** The lookups makeContainerEnv takes. */
export type EnvLookups = Required<Pick<ContainerEnvOptions, "getConfigMap" | "getSecret">>;

/** The ConfigMap and Secret names a container's environment refers to. */
export function envReferences(container: Container): { configMaps: Set<string>; secrets: Set<string> } {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  for (const f of container.envFrom ?? []) {
    if (f.configMapRef) configMaps.add(f.configMapRef.name ?? "");
    else if (f.secretRef) secrets.add(f.secretRef.name ?? "");
  }
  for (const e of container.env ?? []) {
    if (e.value) continue;
    if (e.valueFrom?.configMapKeyRef) configMaps.add(e.valueFrom.configMapKeyRef.name ?? "");
    else if (e.valueFrom?.secretKeyRef) secrets.add(e.valueFrom.secretKeyRef.name ?? "");
  }
  return { configMaps, secrets };
}

/** Reads what `container`'s environment refers to in `namespace`; the lookups, or why they cannot be made. */
export async function loadEnvLookups(objects: ObjectSource, namespace: string, container: Container): Promise<EnvLookups | { error: string }> {
  const refs = envReferences(container);
  const configMaps = new Map<string, Record<string, string> | undefined>();
  const secrets = new Map<string, Record<string, string> | undefined>();
  try {
    for (const name of refs.configMaps) {
      const cm = await objects.getConfigMap(namespace, name);
      // binaryData keys are not part of the environment (upstream reads Data only).
      configMaps.set(name, cm ? { ...(cm.data ?? {}) } : undefined);
    }
    for (const name of refs.secrets) {
      const s = await objects.getSecret(namespace, name);
      secrets.set(name, s ? secretStrings(s) : undefined);
    }
  } catch (err) {
    if (err instanceof NoApiServerError) {
      const kind = err.kind === "configmap" ? "configMap" : "secret";
      return { error: `couldn't get ${kind} ${namespace}/${err.objectName}, no kubeClient defined` };
    }
    return { error: err instanceof Error ? err.message : String(err) };
  }
  return { getConfigMap: (name) => configMaps.get(name), getSecret: (name) => secrets.get(name) };
}
