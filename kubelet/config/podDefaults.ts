/**
 * The defaults the API server (core/v1 `SetDefaults_*`, v1.20) fills into a pod on create. Pods from
 * manifest files never pass through an API server, so the kubelet applies them itself, as upstream's
 * file source does while decoding. Tolerant of malformed input: validation reports that later.
 */
import type { Pod } from "../../bindings/kube/types.ts";

type Obj = Record<string, unknown>;
const DEFAULT_FILE_MODE = 0o644;
const VOLUME_SOURCES_WITH_MODE = ["secret", "configMap", "downwardAPI", "projected"];
const KNOWN_VOLUME_SOURCES = new Set([
  "hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "secret", "nfs", "iscsi", "glusterfs",
  "persistentVolumeClaim", "rbd", "flexVolume", "cinder", "cephfs", "flocker", "downwardAPI", "fc", "azureFile",
  "configMap", "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "projected", "portworxVolume",
  "scaleIO", "storageos", "csi", "ephemeral",
]);

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function objects(v: unknown): Obj[] {
  return Array.isArray(v) ? v.filter(isObj) : [];
}

function setDefault(obj: Obj, key: string, value: unknown): void {
  if (obj[key] === undefined || obj[key] === null || obj[key] === "") obj[key] = value;
}

/** The tag of an image reference as the kubelet's `ParseImageName` sees it ("latest" when neither tag nor digest). */
export function imageTag(image: string): string {
  const at = image.indexOf("@");
  const name = at < 0 ? image : image.slice(0, at);
  const colon = name.lastIndexOf(":");
  const tag = colon > name.lastIndexOf("/") ? name.slice(colon + 1) : "";
  return tag === "" && at < 0 ? "latest" : tag;
}

/** `Always` for `:latest` (or untagged) images, else `IfNotPresent` — the API server's default pull policy. */
export function defaultPullPolicy(image: string): "Always" | "IfNotPresent" {
  return imageTag(image) === "latest" ? "Always" : "IfNotPresent";
}

function defaultHandler(handler: unknown): void {
  if (!isObj(handler) || !isObj(handler.httpGet)) return;
  setDefault(handler.httpGet, "path", "/");
  setDefault(handler.httpGet, "scheme", "HTTP");
}

function defaultFieldRef(ref: unknown): void {
  if (isObj(ref)) setDefault(ref, "apiVersion", "v1");
}

function defaultContainer(c: Obj, hostNetwork: boolean): void {
  if (typeof c.image === "string") setDefault(c, "imagePullPolicy", defaultPullPolicy(c.image));
  setDefault(c, "terminationMessagePath", "/dev/termination-log");
  setDefault(c, "terminationMessagePolicy", "File");
  for (const port of objects(c.ports)) {
    setDefault(port, "protocol", "TCP");
    if (hostNetwork && (port.hostPort === undefined || port.hostPort === 0)) port.hostPort = port.containerPort;
  }
  for (const probeKey of ["livenessProbe", "readinessProbe", "startupProbe"]) {
    const probe = c[probeKey];
    if (!isObj(probe)) continue;
    setDefault(probe, "timeoutSeconds", 1);
    setDefault(probe, "periodSeconds", 10);
    setDefault(probe, "successThreshold", 1);
    setDefault(probe, "failureThreshold", 3);
    defaultHandler(probe);
  }
  if (isObj(c.lifecycle)) {
    defaultHandler(c.lifecycle.postStart);
    defaultHandler(c.lifecycle.preStop);
  }
  for (const env of objects(c.env)) if (isObj(env.valueFrom)) defaultFieldRef(env.valueFrom.fieldRef);
  // Limits without requests: the request defaults to the limit.
  if (isObj(c.resources) && isObj(c.resources.limits)) {
    const requests: Obj = isObj(c.resources.requests) ? c.resources.requests : {};
    for (const [name, limit] of Object.entries(c.resources.limits)) if (requests[name] === undefined) requests[name] = limit;
    c.resources.requests = requests;
  }
}

function defaultVolume(v: Obj): void {
  if (!Object.keys(v).some((k) => KNOWN_VOLUME_SOURCES.has(k) && v[k] !== null && v[k] !== undefined)) v.emptyDir = {};
  for (const key of VOLUME_SOURCES_WITH_MODE) if (isObj(v[key])) setDefault(v[key] as Obj, "defaultMode", DEFAULT_FILE_MODE);
  if (isObj(v.hostPath)) setDefault(v.hostPath, "type", "");
  if (isObj(v.downwardAPI)) for (const item of objects(v.downwardAPI.items)) defaultFieldRef(item.fieldRef);
}

/** A copy of `pod` with the API server's defaults filled in; the input is not modified. */
export function applyPodDefaults(pod: Pod): Pod {
  const out = structuredClone(pod) as unknown as Obj;
  if (!isObj(out.spec)) return out as unknown as Pod;
  const spec = out.spec;
  setDefault(spec, "dnsPolicy", "ClusterFirst");
  setDefault(spec, "restartPolicy", "Always");
  setDefault(spec, "terminationGracePeriodSeconds", 30);
  setDefault(spec, "schedulerName", "default-scheduler");
  setDefault(spec, "securityContext", {});
  setDefault(spec, "enableServiceLinks", true);
  const hostNetwork = spec.hostNetwork === true;
  for (const c of [...objects(spec.initContainers), ...objects(spec.containers)]) defaultContainer(c, hostNetwork);
  for (const v of objects(spec.volumes)) defaultVolume(v);
  return out as unknown as Pod;
}
