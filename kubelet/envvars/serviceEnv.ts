/**
 * Service link environment variables (upstream `getServiceEnvVarMap` and `envvars.FromServices`,
 * v1.20): `<NAME>_SERVICE_HOST`, `<NAME>_SERVICE_PORT[_<PORT NAME>]` and the Docker link variables
 * `<NAME>_PORT[_<port>_<PROTO>[_PROTO|_PORT|_ADDR]]` for the services a pod may see.
 * Pure: the services come in as a list (the cluster-mode cache; none in standalone mode).
 */
import type { Service } from "../../bindings/kube/types.ts";

/** One service variable, in the order upstream generates them. */
export interface ServiceVar { name: string; value: string }

/** The namespace of the master services (upstream --master-service-namespace, default "default"). */
export const MASTER_SERVICE_NAMESPACE = "default";

/** Services every pod sees, whatever its namespace and `enableServiceLinks`. */
const MASTER_SERVICES: ReadonlySet<string> = new Set(["kubernetes"]);

/** Upstream IsServiceIPSet: headless ("None") and ExternalName ("") services have no variables. */
function hasClusterIP(s: Service): boolean {
  const ip = s.spec?.clusterIP ?? "";
  return ip !== "" && ip !== "None";
}

/**
 * The service variables of a pod in `namespace`: the master services always, and every service of
 * the pod's own namespace when `enableServiceLinks` is true (undefined counts as true, the API
 * default). A namespace's own service wins over a master service of the same name.
 */
export function serviceEnvVarMap(services: readonly Service[], namespace: string, enableServiceLinks: boolean | undefined): Record<string, string> {
  const links = enableServiceLinks ?? true;
  const byName = new Map<string, Service>();
  for (const s of services) {
    if (!hasClusterIP(s)) continue;
    const name = s.metadata.name ?? "";
    const ns = s.metadata.namespace ?? "";
    if (ns === MASTER_SERVICE_NAMESPACE && MASTER_SERVICES.has(name)) {
      if (!byName.has(name)) byName.set(name, s);
    } else if (ns === namespace && links) {
      byName.set(name, s);
    }
  }
  const out: Record<string, string> = {};
  for (const e of fromServices([...byName.values()])) out[e.name] = e.value;
  return out;
}

/** The variables of `services` in upstream's order (envvars.FromServices); services without a cluster IP are skipped. */
export function fromServices(services: readonly Service[]): ServiceVar[] {
  const result: ServiceVar[] = [];
  for (const s of services) {
    const ports = s.spec?.ports ?? [];
    // Validation requires ports on a service with a cluster IP; upstream would crash on none.
    if (!hasClusterIP(s) || ports.length === 0) continue;
    const prefix = envVariableName(s.metadata.name ?? "");
    const ip = s.spec.clusterIP!;
    result.push({ name: `${prefix}_SERVICE_HOST`, value: ip });
    result.push({ name: `${prefix}_SERVICE_PORT`, value: String(ports[0]!.port) });
    for (const p of ports) {
      if (p.name) result.push({ name: `${prefix}_SERVICE_PORT_${envVariableName(p.name)}`, value: String(p.port) });
    }
    result.push(...linkVariables(prefix, ip, s));
  }
  return result;
}

/** Docker link variables; the first port also gets the bare `<NAME>_PORT`. */
function linkVariables(prefix: string, ip: string, s: Service): ServiceVar[] {
  const all: ServiceVar[] = [];
  (s.spec.ports ?? []).forEach((p, i) => {
    const protocol = p.protocol || "TCP";
    const url = `${protocol.toLowerCase()}://${joinHostPort(ip, String(p.port))}`;
    if (i === 0) all.push({ name: `${prefix}_PORT`, value: url });
    const portPrefix = `${prefix}_PORT_${p.port}_${protocol.toUpperCase()}`;
    all.push(
      { name: portPrefix, value: url },
      { name: `${portPrefix}_PROTO`, value: protocol.toLowerCase() },
      { name: `${portPrefix}_PORT`, value: String(p.port) },
      { name: `${portPrefix}_ADDR`, value: ip },
    );
  });
  return all;
}

/** Upstream makeEnvVariableName: upper case, '-' → '_' (service and port names are DNS labels). */
function envVariableName(name: string): string {
  return name.replaceAll("-", "_").toUpperCase();
}

/** Go's net.JoinHostPort: an IPv6 address goes in brackets. */
function joinHostPort(host: string, port: string): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
