/**
 * Kubeconfig files (`--kubeconfig`, `--bootstrap-kubeconfig`): the current context's cluster and
 * user, turned into the settings an ApiTransport connects with. Parsing is pure; file references
 * (certificate-authority, client-certificate, client-key, tokenFile) are resolved against the
 * kubeconfig's directory, as client-go does, and read through an injected reader.
 */
import { parseDocument } from "yaml";
import { dirName, resolveAgainst } from "./posixPath.ts";

/** A kubeconfig that cannot be used; the message names the file and the field. */
export class KubeconfigError extends Error {
  override readonly name = "KubeconfigError";
}

/** The current context's cluster and user as written in the file (paths already absolute). */
export interface KubeconfigEntry {
  /** The kubeconfig file, for messages. */
  path: string;
  contextName: string;
  clusterName: string;
  userName: string;
  server: string;
  certificateAuthority?: string;
  /** PEM text decoded from certificate-authority-data. */
  certificateAuthorityData?: string;
  insecureSkipTlsVerify: boolean;
  tlsServerName?: string;
  clientCertificate?: string;
  clientCertificateData?: string;
  clientKey?: string;
  clientKeyData?: string;
  token?: string;
  tokenFile?: string;
}

/** What a transport needs to reach the API server: URL, trust, and credentials as text. */
export interface ApiConnectionSettings {
  /** The kubeconfig these came from, for messages. */
  source: string;
  server: string;
  /** PEM CA bundle; undefined = the system's roots. */
  caPem?: string;
  insecureSkipTlsVerify: boolean;
  tlsServerName?: string;
  clientCertPem?: string;
  clientKeyPem?: string;
  /** The files the client certificate/key were read from (they may be rotated in place). */
  clientCertFile?: string;
  clientKeyFile?: string;
  token?: string;
}

/** Reads a file as text (the host's Fs.readText). */
export type ReadText = (path: string) => Promise<string>;

type Obj = Record<string, unknown>;

function decodeBase64(text: string, what: string): string {
  try {
    return atob(text.replace(/\s+/g, ""));
  } catch {
    throw new KubeconfigError(`${what}: not valid base64`);
  }
}

function str(o: Obj, key: string, where: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v !== "string") throw new KubeconfigError(`${where}.${key}: expected a string, got ${typeof v}`);
  return v;
}

function findNamed(cfg: Obj, list: string, name: string, inner: string, path: string): Obj {
  const items = cfg[list];
  if (items !== undefined && items !== null && !Array.isArray(items)) throw new KubeconfigError(`kubeconfig ${path}: ${list}: expected a list`);
  for (const item of (items as unknown[] | undefined) ?? []) {
    if (item && typeof item === "object" && (item as Obj).name === name) {
      const body = (item as Obj)[inner];
      if (body === undefined || body === null) return {};
      if (typeof body !== "object" || Array.isArray(body)) throw new KubeconfigError(`kubeconfig ${path}: ${list}["${name}"].${inner}: expected a mapping`);
      return body as Obj;
    }
  }
  const singular = list.slice(0, -1);
  throw new KubeconfigError(`kubeconfig ${path}: ${singular} "${name}" (named by context) not found in ${list}`);
}

/** Parses kubeconfig YAML into the current context's entry; `path` names the file and anchors relative paths. */
export function parseKubeconfig(text: string, path: string): KubeconfigEntry {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new KubeconfigError(`kubeconfig ${path}: not valid YAML: ${doc.errors[0]!.message.split("\n")[0]}`);
  const raw: unknown = doc.toJS();
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new KubeconfigError(`kubeconfig ${path}: expected a Config mapping`);
  const cfg = raw as Obj;
  const contextName = cfg["current-context"];
  if (typeof contextName !== "string" || contextName === "") throw new KubeconfigError(`kubeconfig ${path}: current-context is not set`);
  const ctx = findNamed(cfg, "contexts", contextName, "context", path);
  const where = (w: string) => `kubeconfig ${path}: ${w}`;
  const clusterName = str(ctx, "cluster", where(`contexts["${contextName}"].context`));
  if (!clusterName) throw new KubeconfigError(where(`contexts["${contextName}"].context.cluster is not set`));
  const userName = str(ctx, "user", where(`contexts["${contextName}"].context`)) ?? "";
  const cluster = findNamed(cfg, "clusters", clusterName, "cluster", path);
  const user = userName ? findNamed(cfg, "users", userName, "user", path) : {};
  const cw = where(`clusters["${clusterName}"].cluster`);
  const uw = where(`users["${userName}"].user`);
  const base = dirName(path);
  const file = (o: Obj, key: string, w: string) => {
    const v = str(o, key, w);
    return v === undefined ? undefined : resolveAgainst(base, v);
  };
  const data = (o: Obj, key: string, w: string) => {
    const v = str(o, key, w);
    return v === undefined ? undefined : decodeBase64(v, `${w}.${key}`);
  };

  const server = str(cluster, "server", cw);
  if (!server) throw new KubeconfigError(`${cw}.server is not set`);
  if (!/^https?:\/\/[^/]+/.test(server)) throw new KubeconfigError(`${cw}.server: expected an https:// URL, got "${server}"`);
  const insecure = cluster["insecure-skip-tls-verify"];
  if (insecure !== undefined && typeof insecure !== "boolean") throw new KubeconfigError(`${cw}.insecure-skip-tls-verify: expected true or false`);
  const entry: KubeconfigEntry = {
    path, contextName, clusterName, userName,
    server: server.replace(/\/+$/, ""),
    certificateAuthority: file(cluster, "certificate-authority", cw),
    certificateAuthorityData: data(cluster, "certificate-authority-data", cw),
    insecureSkipTlsVerify: insecure === true,
    tlsServerName: str(cluster, "tls-server-name", cw),
    clientCertificate: file(user, "client-certificate", uw),
    clientCertificateData: data(user, "client-certificate-data", uw),
    clientKey: file(user, "client-key", uw),
    clientKeyData: data(user, "client-key-data", uw),
    token: str(user, "token", uw),
    tokenFile: file(user, "tokenFile", uw),
  };
  if (entry.insecureSkipTlsVerify && (entry.certificateAuthority || entry.certificateAuthorityData)) {
    throw new KubeconfigError(`${cw}: certificate-authority and insecure-skip-tls-verify cannot both be set`);
  }
  const hasCert = entry.clientCertificate || entry.clientCertificateData;
  const hasKey = entry.clientKey || entry.clientKeyData;
  if (hasCert && !hasKey) throw new KubeconfigError(`${uw}: client-certificate is set but client-key / client-key-data is missing`);
  if (hasKey && !hasCert) throw new KubeconfigError(`${uw}: client-key is set but client-certificate / client-certificate-data is missing`);
  return entry;
}

async function readRef(read: ReadText, file: string, field: string, entry: KubeconfigEntry): Promise<string> {
  try {
    return await read(file);
  } catch (err) {
    throw new KubeconfigError(`kubeconfig ${entry.path}: ${field} ${file} cannot be read: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Reads the files an entry refers to (inline data wins over a file, as in client-go) into connection settings. */
export async function resolveKubeconfig(entry: KubeconfigEntry, read: ReadText): Promise<ApiConnectionSettings> {
  const out: ApiConnectionSettings = { source: entry.path, server: entry.server, insecureSkipTlsVerify: entry.insecureSkipTlsVerify, tlsServerName: entry.tlsServerName };
  out.caPem = entry.certificateAuthorityData ?? (entry.certificateAuthority ? await readRef(read, entry.certificateAuthority, "certificate-authority", entry) : undefined);
  if (entry.clientCertificateData) out.clientCertPem = entry.clientCertificateData;
  else if (entry.clientCertificate) {
    out.clientCertPem = await readRef(read, entry.clientCertificate, "client-certificate", entry);
    out.clientCertFile = entry.clientCertificate;
  }
  if (entry.clientKeyData) out.clientKeyPem = entry.clientKeyData;
  else if (entry.clientKey) {
    out.clientKeyPem = await readRef(read, entry.clientKey, "client-key", entry);
    out.clientKeyFile = entry.clientKey;
  }
  if (entry.token) out.token = entry.token;
  else if (entry.tokenFile) out.token = (await readRef(read, entry.tokenFile, "tokenFile", entry)).trim();
  return out;
}

/** Reads and resolves the kubeconfig at `path` (absolute). */
export async function loadKubeconfig(path: string, read: ReadText): Promise<ApiConnectionSettings> {
  let text: string;
  try {
    text = await read(path);
  } catch (err) {
    throw new KubeconfigError(`kubeconfig ${path} cannot be read: ${err instanceof Error ? err.message : String(err)}`);
  }
  return resolveKubeconfig(parseKubeconfig(text, path), read);
}

/** What a kubeconfig written after TLS bootstrap holds (upstream writeKubeconfigFromBootstrapping). */
export interface ClientCertKubeconfig {
  server: string;
  /** CA file of the bootstrap kubeconfig, kept as a reference; else `caPem` is embedded. */
  caFile?: string;
  caPem?: string;
  insecureSkipTlsVerify?: boolean;
  /** One PEM file holding the client certificate and key (the cert store's current pair). */
  pemPath: string;
}

function base64(text: string): string {
  let bin = "";
  for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** Renders the kubeconfig YAML the kubelet writes after bootstrapping its client certificate. */
export function renderClientCertKubeconfig(k: ClientCertKubeconfig): string {
  const lines = ["apiVersion: v1", "kind: Config", "clusters:", "- cluster:"];
  if (k.caFile) lines.push(`    certificate-authority: ${JSON.stringify(k.caFile)}`);
  else if (k.caPem) lines.push(`    certificate-authority-data: ${base64(k.caPem)}`);
  if (k.insecureSkipTlsVerify) lines.push("    insecure-skip-tls-verify: true");
  lines.push(`    server: ${JSON.stringify(k.server)}`, "  name: default-cluster",
    "contexts:", "- context:", "    cluster: default-cluster", "    namespace: default", "    user: default-auth", "  name: default-context",
    "current-context: default-context", "preferences: {}",
    "users:", "- name: default-auth", "  user:", `    client-certificate: ${JSON.stringify(k.pemPath)}`, `    client-key: ${JSON.stringify(k.pemPath)}`);
  return lines.join("\n") + "\n";
}
