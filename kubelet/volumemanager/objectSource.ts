/**
 * Where volumes and the environment read API objects from: ConfigMaps, Secrets and service-account
 * tokens (TokenRequest). Cluster mode reads them through the ApiTransport (the Node authorizer lets
 * a node read only objects its pods reference); standalone mode has no API server and says so.
 */
import type { ObjectMeta } from "../../bindings/kube/types.ts";
import { isApiError, type ApiTransport } from "../ports/api.ts";

/** A core/v1 ConfigMap; `binaryData` values are base64. */
export interface ConfigMap { metadata: ObjectMeta; data?: Record<string, string>; binaryData?: Record<string, string> }

/** A core/v1 Secret; `data` values are base64. */
export interface Secret { metadata: ObjectMeta; type?: string; data?: Record<string, string> }

/** authentication.k8s.io/v1 TokenRequestSpec. */
export interface TokenRequestSpec {
  audiences: string[];
  expirationSeconds?: number;
  boundObjectRef?: { apiVersion: string; kind: string; name: string; uid: string };
}

/** The issued token and its RFC 3339 expiry. */
export interface TokenRequestStatus { token: string; expirationTimestamp: string }

/** Reads the API objects volumes and env refer to. */
export interface ObjectSource {
  /** The ConfigMap, or undefined when it does not exist; rejects when it cannot be read. */
  getConfigMap(namespace: string, name: string): Promise<ConfigMap | undefined>;
  /** The Secret, or undefined when it does not exist; rejects when it cannot be read. */
  getSecret(namespace: string, name: string): Promise<Secret | undefined>;
  /** Issues a token for a service account (TokenRequest API); rejects on any failure. */
  requestToken(namespace: string, serviceAccount: string, spec: TokenRequestSpec): Promise<TokenRequestStatus>;
}

/** Raised by the standalone source: there is no API server to read objects from. */
export class NoApiServerError extends Error {
  override readonly name = "NoApiServerError";
  constructor(readonly kind: "configmap" | "secret" | "token", readonly namespace: string, readonly objectName: string) {
    super(kind === "token"
      ? `cannot request a token for service account ${namespace}/${objectName}: the kubelet runs standalone, without an API server`
      : `cannot get ${kind} ${namespace}/${objectName}: the kubelet runs standalone, without an API server`);
  }
}

/** The object source of a standalone kubelet: every read fails with NoApiServerError. */
export const standaloneObjectSource: ObjectSource = {
  getConfigMap: (ns, name) => Promise.reject(new NoApiServerError("configmap", ns, name)),
  getSecret: (ns, name) => Promise.reject(new NoApiServerError("secret", ns, name)),
  requestToken: (ns, sa) => Promise.reject(new NoApiServerError("token", ns, sa)),
};

const seg = (s: string) => encodeURIComponent(s);

/** An object source over the API server connection. */
export function apiObjectSource(api: ApiTransport, timeoutMs = 30_000): ObjectSource {
  async function get<T>(resource: string, namespace: string, name: string): Promise<T | undefined> {
    try {
      const res = await api.request<T>({ method: "GET", path: `/api/v1/namespaces/${seg(namespace)}/${resource}/${seg(name)}`, timeoutMs });
      return res.body;
    } catch (err) {
      if (isApiError(err, 404)) return undefined;
      throw err;
    }
  }
  return {
    getConfigMap: (ns, name) => get<ConfigMap>("configmaps", ns, name),
    getSecret: (ns, name) => get<Secret>("secrets", ns, name),
    async requestToken(ns, sa, spec) {
      const res = await api.request<{ status?: TokenRequestStatus }>({
        method: "POST",
        path: `/api/v1/namespaces/${seg(ns)}/serviceaccounts/${seg(sa)}/token`,
        body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec },
        timeoutMs,
      });
      const status = res.body.status;
      if (!status?.token) throw new Error(`TokenRequest for ${ns}/${sa} returned no token`);
      return status;
    },
  };
}

/**
 * Memoizes reads of one source for the duration of one sync, so every volume and every container
 * of a pod sees the same object version and each object is fetched once.
 */
export class SyncObjectCache implements ObjectSource {
  private readonly reads = new Map<string, Promise<unknown>>();

  constructor(private readonly source: ObjectSource) {}

  getConfigMap(namespace: string, name: string): Promise<ConfigMap | undefined> {
    return this.once(`cm/${namespace}/${name}`, () => this.source.getConfigMap(namespace, name));
  }

  getSecret(namespace: string, name: string): Promise<Secret | undefined> {
    return this.once(`secret/${namespace}/${name}`, () => this.source.getSecret(namespace, name));
  }

  requestToken(namespace: string, serviceAccount: string, spec: TokenRequestSpec): Promise<TokenRequestStatus> {
    return this.source.requestToken(namespace, serviceAccount, spec);
  }

  private once<T>(key: string, load: () => Promise<T>): Promise<T> {
    let p = this.reads.get(key) as Promise<T> | undefined;
    if (!p) {
      p = load();
      this.reads.set(key, p);
    }
    return p;
  }
}

/** Decodes base64 API data to bytes (ConfigMap binaryData, Secret data). */
export function decodeBase64(text: string): Uint8Array {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
