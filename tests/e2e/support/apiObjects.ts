/**
 * Reading and watching API objects as admin in e2e tests: nodes, leases, pods, events, a namespace
 * per suite, and a recording watch (to see a pod's last status before it is deleted).
 */
import { randomBytes } from "node:crypto";
import { request } from "node:https";
import type { Lease, Node } from "../../../bindings/kube/node.ts";
import type { Pod } from "../../../bindings/kube/types.ts";
import { eventually } from "../../integration/support/eventually.ts";
import { adminCredentials, apiRequest, kubectl } from "./cluster.ts";

/** GET as admin: the parsed body, undefined on 404; throws on other failures. */
export async function getJson<T>(path: string): Promise<T | undefined> {
  const res = await apiRequest("GET", path);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.body.slice(0, 300)}`);
  return JSON.parse(res.body) as T;
}

/** A request as admin that must succeed; resolves to the parsed body. */
export async function mustRequest<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await apiRequest(method, path, body);
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.body.slice(0, 300)}`);
  return JSON.parse(res.body) as T;
}

/** The Node, or undefined. */
export const getNode = (name: string) => getJson<Node>(`/api/v1/nodes/${name}`);
/** The node's Lease in kube-node-lease, or undefined. */
export const getLease = (name: string) => getJson<Lease>(`/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${name}`);
/** The node's Ready condition. */
export const readyCondition = (n: Node | undefined) => n?.status?.conditions?.find((c) => c.type === "Ready");

/** Waits until the node's Ready condition has `status` ("True", "False", "Unknown"); resolves to the Node. */
export function waitNodeReady(name: string, status: string, timeoutMs: number, describe?: () => string): Promise<Node> {
  return eventually(`node ${name} Ready=${status}`, async () => {
    const n = await getNode(name);
    return readyCondition(n)?.status === status ? n : undefined;
  }, { timeoutMs, intervalMs: 500, describe });
}

/** A pod, or undefined. */
export const getPod = (ns: string, name: string) => getJson<Pod>(`/api/v1/namespaces/${ns}/pods/${name}`);

/** The pods of a namespace matching a label selector. */
export async function listPods(ns: string, labelSelector?: string): Promise<Pod[]> {
  const q = labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : "";
  return (await mustRequest<{ items: Pod[] }>("GET", `/api/v1/namespaces/${ns}/pods${q}`)).items;
}

/** Waits for `pred` to hold on the pod; resolves to the pod. */
export function waitPod(ns: string, name: string, what: string, pred: (p: Pod) => boolean, timeoutMs = 60_000, describe?: () => string): Promise<Pod> {
  let last: Pod | undefined;
  return eventually(`${ns}/${name}: ${what}`, async () => {
    last = await getPod(ns, name);
    return last && pred(last) ? last : undefined;
  }, { timeoutMs, intervalMs: 250, describe: () => `${JSON.stringify(last?.status ?? "no pod").slice(0, 1500)}${describe ? `\n${describe()}` : ""}` });
}

/** A core/v1 Event as read back. */
export interface CoreEvent {
  metadata: { name: string; namespace: string };
  involvedObject: { kind: string; name: string; namespace?: string; uid?: string; fieldPath?: string };
  reason: string;
  message: string;
  type: string;
  count: number;
  source?: { component?: string; host?: string };
}

/** The events in `ns` about the object `kind/name`. */
export async function eventsAbout(ns: string, kind: string, name: string): Promise<CoreEvent[]> {
  const sel = encodeURIComponent(`involvedObject.kind=${kind},involvedObject.name=${name}`);
  return (await mustRequest<{ items: CoreEvent[] }>("GET", `/api/v1/namespaces/${ns}/events?fieldSelector=${sel}`)).items;
}

/**
 * Creates a namespace `kts-<prefix>-<random>` and waits until its default service account has its
 * token secret: before that, kube-apiserver 1.20 refuses pods that mount the token ("No API token
 * found for service account").
 */
export async function createNamespace(prefix: string): Promise<string> {
  const name = `kts-${prefix}-${randomBytes(3).toString("hex")}`;
  await mustRequest("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name } });
  await eventually(`serviceaccount ${name}/default with its token`, async () => {
    const sa = await getJson<{ secrets?: { name: string }[] }>(`/api/v1/namespaces/${name}/serviceaccounts/default`);
    return sa?.secrets?.length ? sa : undefined;
  }, { timeoutMs: 90_000, intervalMs: 200 });
  return name;
}

/** Deletes a namespace without waiting. */
export async function deleteNamespace(name: string): Promise<void> {
  await kubectl(["delete", "namespace", name, "--ignore-not-found", "--wait=false"]).catch(() => undefined);
}

/** One watch event as received. */
export interface RecordedEvent<T> { type: string; object: T; at: number }

/** A watch recording every event; `stop()` ends it. */
export interface Recording<T> { events: RecordedEvent<T>[]; stop(): void }

/** Watches `path` (a collection, with query) as admin and records the events. */
export function recordWatch<T>(path: string): Recording<T> {
  const c = adminCredentials();
  const url = new URL(`${path}${path.includes("?") ? "&" : "?"}watch=1`, c.server);
  const events: RecordedEvent<T>[] = [];
  const req = request(url, { ca: c.ca, cert: c.cert, key: c.key, agent: false, headers: { accept: "application/json" } }, (res) => {
    let buf = "";
    res.setEncoding("utf8");
    res.on("data", (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line) {
          const e = JSON.parse(line) as { type: string; object: T };
          events.push({ ...e, at: Date.now() });
        }
      }
    });
  });
  req.on("error", () => undefined);
  req.end();
  return { events, stop: () => req.destroy() };
}
