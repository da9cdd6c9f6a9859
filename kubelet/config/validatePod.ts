/**
 * Validation of a pod as the API server would do it, for what matters to the kubelet: names,
 * containers, images, ports, enums, resource quantity syntax, volumes and mounts, probe handlers.
 * Pure: a (possibly malformed, hand-written) pod in, upstream-style field errors out.
 */
import type { Pod } from "../../bindings/kube/types.ts";
import { duplicate, type FieldError, forbidden, invalid, notFound, notSupported, required } from "./fieldError.ts";
import {
  dns1123LabelErrors, dns1123SubdomainErrors, envVarNameErrors, portNameErrors, portNumberErrors, quantityErrors,
} from "./validateNames.ts";

const RESTART_POLICIES = ["Always", "OnFailure", "Never"];
const DNS_POLICIES = ["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"];
const PULL_POLICIES = ["Always", "IfNotPresent", "Never"];
const PROTOCOLS = ["SCTP", "TCP", "UDP"];
const TERMINATION_MESSAGE_POLICIES = ["File", "FallbackToLogsOnError"];
const STANDARD_CONTAINER_RESOURCES = new Set(["cpu", "memory", "ephemeral-storage"]);
// Volume source fields of core/v1 (one, and only one, per volume).
const VOLUME_SOURCES = [
  "hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "secret", "nfs", "iscsi", "glusterfs",
  "persistentVolumeClaim", "rbd", "flexVolume", "cinder", "cephfs", "flocker", "downwardAPI", "fc", "azureFile",
  "configMap", "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "projected", "portworxVolume",
  "scaleIO", "storageos", "csi", "ephemeral",
];
const HANDLER_TYPES = ["exec", "httpGet", "tcpSocket", "grpc"] as const;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** The list at `value`, or [] after recording an error when it is present but not a list of objects. */
function listAt(value: unknown, field: string, errs: FieldError[]): Obj[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    errs.push(invalid(field, value, "must be a list"));
    return [];
  }
  return value.map((item, i) => {
    if (isObj(item)) return item;
    errs.push(invalid(`${field}[${i}]`, item, "must be an object"));
    return {};
  });
}

function checkEnum(value: unknown, field: string, allowed: string[], errs: FieldError[]): void {
  if (value === undefined) return;
  if (typeof value !== "string" || !allowed.includes(value)) errs.push(notSupported(field, value, allowed));
}

function checkNonNegative(value: unknown, field: string, errs: FieldError[]): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) errs.push(invalid(field, value, "must be greater than or equal to 0"));
}

function checkHandler(handler: Obj, field: string, errs: FieldError[]): void {
  let count = 0;
  for (const type of HANDLER_TYPES) {
    const action = handler[type];
    if (action === undefined || action === null) continue;
    if (count++ > 0) {
      errs.push(forbidden(`${field}.${type}`, "may not specify more than 1 handler type"));
      continue;
    }
    const a = isObj(action) ? action : {};
    if (type === "exec" && (!Array.isArray(a.command) || a.command.length === 0)) errs.push(required(`${field}.exec.command`));
    if (type !== "exec") {
      const port = a.port;
      if (port === undefined || port === "" || port === 0) errs.push(required(`${field}.${type}.port`));
      else for (const msg of typeof port === "string" ? portNameErrors(port) : portNumberErrors(port)) errs.push(invalid(`${field}.${type}.port`, port, msg));
    }
  }
  if (count === 0) errs.push(required(field, "must specify a handler type"));
}

function checkProbe(probe: unknown, field: string, kind: "liveness" | "readiness" | "startup", errs: FieldError[]): void {
  if (probe === undefined || probe === null) return;
  if (!isObj(probe)) {
    errs.push(invalid(field, probe, "must be an object"));
    return;
  }
  checkHandler(probe, field, errs);
  for (const key of ["initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"]) {
    checkNonNegative(probe[key], `${field}.${key}`, errs);
  }
  if (kind !== "readiness" && probe.successThreshold !== undefined && probe.successThreshold !== 1) {
    errs.push(invalid(`${field}.successThreshold`, probe.successThreshold, "must be 1"));
  }
}

function checkResources(resources: unknown, field: string, errs: FieldError[]): void {
  if (resources === undefined || resources === null) return;
  if (!isObj(resources)) return void errs.push(invalid(field, resources, "must be an object"));
  for (const part of ["limits", "requests"]) {
    const list = resources[part];
    if (list === undefined || list === null) continue;
    if (!isObj(list)) {
      errs.push(invalid(`${field}.${part}`, list, "must be a map of resource name to quantity"));
      continue;
    }
    for (const [name, quantity] of Object.entries(list)) {
      const path = `${field}.${part}[${name}]`;
      if (!STANDARD_CONTAINER_RESOURCES.has(name) && !name.startsWith("hugepages-") && !name.includes("/")) {
        errs.push(invalid(path, name, "must be a standard resource for containers"));
      }
      for (const msg of quantityErrors(quantity)) errs.push(invalid(path, quantity, msg));
    }
  }
}

function checkContainer(c: Obj, field: string, ctx: { volumes: Set<string>; hostNetwork: boolean; init: boolean }, errs: FieldError[]): void {
  if (typeof c.image !== "string" || c.image.trim() === "") errs.push(required(`${field}.image`));
  checkEnum(c.imagePullPolicy, `${field}.imagePullPolicy`, PULL_POLICIES, errs);
  checkEnum(c.terminationMessagePolicy, `${field}.terminationMessagePolicy`, TERMINATION_MESSAGE_POLICIES, errs);

  const portNames = new Set<string>();
  listAt(c.ports, `${field}.ports`, errs).forEach((p, i) => {
    const pf = `${field}.ports[${i}]`;
    if (p.name !== undefined && p.name !== "") {
      const name = String(p.name);
      for (const msg of portNameErrors(name)) errs.push(invalid(`${pf}.name`, p.name, msg));
      if (portNames.has(name)) errs.push(duplicate(`${pf}.name`, p.name));
      portNames.add(name);
    }
    if (p.containerPort === undefined || p.containerPort === 0) errs.push(required(`${pf}.containerPort`));
    else for (const msg of portNumberErrors(p.containerPort)) errs.push(invalid(`${pf}.containerPort`, p.containerPort, msg));
    if (p.hostPort !== undefined && p.hostPort !== 0) {
      for (const msg of portNumberErrors(p.hostPort)) errs.push(invalid(`${pf}.hostPort`, p.hostPort, msg));
      if (ctx.hostNetwork && p.hostPort !== p.containerPort) errs.push(invalid(`${pf}.hostPort`, p.hostPort, "must match `containerPort` when `hostNetwork` is true"));
    }
    checkEnum(p.protocol, `${pf}.protocol`, PROTOCOLS, errs);
  });

  listAt(c.env, `${field}.env`, errs).forEach((e, i) => {
    if (typeof e.name !== "string" || e.name === "") errs.push(required(`${field}.env[${i}].name`));
    else for (const msg of envVarNameErrors(e.name)) errs.push(invalid(`${field}.env[${i}].name`, e.name, msg));
  });

  checkResources(c.resources, `${field}.resources`, errs);

  const mountPaths = new Set<string>();
  listAt(c.volumeMounts, `${field}.volumeMounts`, errs).forEach((m, i) => {
    const mf = `${field}.volumeMounts[${i}]`;
    if (typeof m.name !== "string" || m.name === "") errs.push(required(`${mf}.name`));
    else if (!ctx.volumes.has(m.name)) errs.push(notFound(`${mf}.name`, m.name));
    if (typeof m.mountPath !== "string" || m.mountPath === "") errs.push(required(`${mf}.mountPath`));
    else if (mountPaths.has(m.mountPath)) errs.push(invalid(`${mf}.mountPath`, m.mountPath, "must be unique"));
    else mountPaths.add(m.mountPath);
  });

  const sidecar = ctx.init && c.restartPolicy === "Always";
  for (const [key, kind] of [["livenessProbe", "liveness"], ["readinessProbe", "readiness"], ["startupProbe", "startup"]] as const) {
    if (ctx.init && !sidecar && c[key] !== undefined && c[key] !== null) errs.push(forbidden(`${field}.${key}`, "must not be set for init containers"));
    else checkProbe(c[key], `${field}.${key}`, kind, errs);
  }
  if (isObj(c.lifecycle)) {
    for (const hook of ["postStart", "preStop"]) {
      if (isObj(c.lifecycle[hook])) checkHandler(c.lifecycle[hook] as Obj, `${field}.lifecycle.${hook}`, errs);
    }
  }
}

function checkVolumes(spec: Obj, errs: FieldError[]): Set<string> {
  const names = new Set<string>();
  listAt(spec.volumes, "spec.volumes", errs).forEach((v, i) => {
    const vf = `spec.volumes[${i}]`;
    if (typeof v.name !== "string" || v.name === "") errs.push(required(`${vf}.name`));
    else {
      for (const msg of dns1123LabelErrors(v.name)) errs.push(invalid(`${vf}.name`, v.name, msg));
      if (names.has(v.name)) errs.push(duplicate(`${vf}.name`, v.name));
      names.add(v.name);
    }
    const sources = VOLUME_SOURCES.filter((s) => v[s] !== undefined && v[s] !== null);
    if (sources.length === 0) errs.push(required(vf, "must specify a volume type"));
    for (const extra of sources.slice(1)) errs.push(forbidden(`${vf}.${extra}`, "may not specify more than 1 volume type"));
    if (sources[0] === "hostPath" && (!isObj(v.hostPath) || typeof v.hostPath.path !== "string" || v.hostPath.path === "")) {
      errs.push(required(`${vf}.hostPath.path`));
    }
  });
  return names;
}

/** Validates `pod` as the API server would on create; an empty list means the kubelet may run it. */
export function validatePod(pod: Pod): FieldError[] {
  const errs: FieldError[] = [];
  const meta: Obj = isObj(pod.metadata) ? (pod.metadata as unknown as Obj) : {};
  if (typeof meta.name !== "string" || meta.name === "") errs.push(required("metadata.name", "name or generateName is required"));
  else for (const msg of dns1123SubdomainErrors(meta.name)) errs.push(invalid("metadata.name", meta.name, msg));
  if (meta.namespace !== undefined && meta.namespace !== "") {
    if (typeof meta.namespace !== "string") errs.push(invalid("metadata.namespace", meta.namespace, "must be a string"));
    else for (const msg of dns1123LabelErrors(meta.namespace)) errs.push(invalid("metadata.namespace", meta.namespace, msg));
  }

  if (!isObj(pod.spec)) {
    errs.push(required("spec"));
    return errs;
  }
  const spec = pod.spec as unknown as Obj;
  const volumes = checkVolumes(spec, errs);
  const hostNetwork = spec.hostNetwork === true;

  const containers = listAt(spec.containers, "spec.containers", errs);
  if (spec.containers === undefined || (Array.isArray(spec.containers) && spec.containers.length === 0)) errs.push(required("spec.containers"));
  const names = new Set<string>();
  const checkName = (c: Obj, field: string) => {
    if (typeof c.name !== "string" || c.name === "") return void errs.push(required(`${field}.name`));
    for (const msg of dns1123LabelErrors(c.name)) errs.push(invalid(`${field}.name`, c.name, msg));
    if (names.has(c.name)) errs.push(duplicate(`${field}.name`, c.name));
    names.add(c.name);
  };
  // Upstream checks app containers first, then init containers against all names seen.
  containers.forEach((c, i) => {
    checkName(c, `spec.containers[${i}]`);
    checkContainer(c, `spec.containers[${i}]`, { volumes, hostNetwork, init: false }, errs);
  });
  listAt(spec.initContainers, "spec.initContainers", errs).forEach((c, i) => {
    checkName(c, `spec.initContainers[${i}]`);
    checkContainer(c, `spec.initContainers[${i}]`, { volumes, hostNetwork, init: true }, errs);
  });

  checkEnum(spec.restartPolicy, "spec.restartPolicy", RESTART_POLICIES, errs);
  checkEnum(spec.dnsPolicy, "spec.dnsPolicy", DNS_POLICIES, errs);
  if (spec.dnsPolicy === "None" && !isObj(spec.dnsConfig)) errs.push(required("spec.dnsConfig", "must provide `dnsConfig` when `dnsPolicy` is None"));
  checkNonNegative(spec.terminationGracePeriodSeconds, "spec.terminationGracePeriodSeconds", errs);
  const deadline = spec.activeDeadlineSeconds;
  if (deadline !== undefined && (typeof deadline !== "number" || !Number.isInteger(deadline) || deadline < 1 || deadline > 2147483647)) {
    errs.push(invalid("spec.activeDeadlineSeconds", deadline, "must be between 1 and 2147483647, inclusive"));
  }
  return errs;
}

