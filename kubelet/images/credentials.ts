/**
 * Registry credentials as upstream 1.20's credentialprovider knows them (pkg/credentialprovider
 * config.go, keyring.go, secrets/secrets.go): docker config files and image pull secrets parsed into
 * entries per registry location, and a keyring that answers "which credentials may pull this
 * repository", most specific location first. Pure: no I/O, callers pass text in.
 */
import type { AuthConfig } from "../../bindings/cri/types.ts";
import type { Secret } from "../volumemanager/objectSource.ts";

/** One registry location's credentials from a docker config (`auth` already split into user and password). */
export interface DockerConfigEntry {
  username: string;
  password: string;
  email: string;
  /** Docker's `identitytoken` (OAuth refresh token), when the config has one. */
  identityToken?: string;
  /** Docker's `registrytoken` (bearer token), when the config has one. */
  registryToken?: string;
}

/** Registry location (as written in the config: `host[:port][/path]`, optionally with a scheme) → its entry. */
export type DockerConfig = Map<string, DockerConfigEntry>;

/** A docker config or pull secret that cannot be used; the message names the source and what is wrong. */
export class CredentialsError extends Error {
  override readonly name = "CredentialsError";
}

/** The secret types and data keys upstream reads pull credentials from. */
export const SECRET_TYPE_DOCKER_CONFIG_JSON = "kubernetes.io/dockerconfigjson";
export const SECRET_TYPE_DOCKERCFG = "kubernetes.io/dockercfg";
const KEY_DOCKER_CONFIG_JSON = ".dockerconfigjson";
const KEY_DOCKERCFG = ".dockercfg";

function decodeBase64Text(text: string): string | undefined {
  try {
    const bin = atob(text.replace(/\s+/g, ""));
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new TextDecoder().decode(bytes);
  } catch {
    return undefined;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function stringField(entry: Record<string, unknown>, field: string, where: string): string {
  const v = entry[field];
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") throw new CredentialsError(`${where}: field "${field}" must be a string`);
  return v;
}

/** Reads one location's entry; `auth` (base64 "user:password") wins over username/password, as upstream. */
function parseEntry(location: string, raw: unknown, source: string): DockerConfigEntry {
  const where = `${source}: entry "${location}"`;
  if (!isObject(raw)) throw new CredentialsError(`${where}: expected an object`);
  const entry: DockerConfigEntry = {
    username: stringField(raw, "username", where),
    password: stringField(raw, "password", where),
    email: stringField(raw, "email", where),
  };
  const identityToken = stringField(raw, "identitytoken", where);
  const registryToken = stringField(raw, "registrytoken", where);
  if (identityToken) entry.identityToken = identityToken;
  if (registryToken) entry.registryToken = registryToken;
  const auth = stringField(raw, "auth", where);
  if (auth) {
    const decoded = decodeBase64Text(auth);
    if (decoded === undefined) throw new CredentialsError(`${where}: field "auth" is not valid base64`);
    const colon = decoded.indexOf(":");
    // The decoded value is a secret: never quote it in the message.
    if (colon < 0) throw new CredentialsError(`${where}: unable to parse auth field, must be formatted as base64(username:password)`);
    entry.username = decoded.slice(0, colon);
    entry.password = decoded.slice(colon + 1);
  }
  return entry;
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CredentialsError(`${source}: not valid JSON (${(err as Error).message})`);
  }
}

function parseLocations(raw: unknown, source: string): DockerConfig {
  if (!isObject(raw)) throw new CredentialsError(`${source}: expected an object of registry locations`);
  const cfg: DockerConfig = new Map();
  for (const [location, entry] of Object.entries(raw)) cfg.set(location, parseEntry(location, entry, source));
  return cfg;
}

/** Parses a docker `config.json` / `.dockerconfigjson` document (`{"auths": {location: entry}}`). */
export function parseDockerConfigJson(text: string, source: string): DockerConfig {
  const doc = parseJson(text, source);
  if (!isObject(doc)) throw new CredentialsError(`${source}: expected a JSON object with "auths"`);
  return doc.auths === undefined || doc.auths === null ? new Map() : parseLocations(doc.auths, `${source}: auths`);
}

/** Parses a legacy `.dockercfg` document (`{location: entry}`). */
export function parseDockercfg(text: string, source: string): DockerConfig {
  return parseLocations(parseJson(text, source), source);
}

/**
 * The credentials of an image pull secret, as upstream MakeDockerKeyring reads them: a
 * `kubernetes.io/dockerconfigjson` secret's `.dockerconfigjson` or a `kubernetes.io/dockercfg`
 * secret's `.dockercfg` (base64 in `data`). Undefined for other secrets or an empty key; throws
 * CredentialsError when the content is malformed.
 */
export function dockerConfigFromSecret(secret: Secret): DockerConfig | undefined {
  const name = `secret ${secret.metadata.namespace ?? ""}/${secret.metadata.name ?? ""}`;
  const read = (key: string, parse: (text: string, source: string) => DockerConfig) => {
    const text = decodeBase64Text(secret.data?.[key] ?? "");
    if (text === undefined) throw new CredentialsError(`${name}: data key "${key}" is not valid base64`);
    return parse(text, `${name} key "${key}"`);
  };
  if (secret.type === SECRET_TYPE_DOCKER_CONFIG_JSON && secret.data?.[KEY_DOCKER_CONFIG_JSON]) return read(KEY_DOCKER_CONFIG_JSON, parseDockerConfigJson);
  if (secret.type === SECRET_TYPE_DOCKERCFG && secret.data?.[KEY_DOCKERCFG]) return read(KEY_DOCKERCFG, parseDockercfg);
  return undefined;
}

/** A schemeless URL split as Go's url.Parse splits `https://` + it: host (with port) and path. */
interface RegistryUrl { host: string; path: string }

function parseRegistryUrl(location: string): RegistryUrl | undefined {
  const rest = location.replace(/^https?:\/\//, "");
  const end = rest.search(/[/?#]/);
  let host = end < 0 ? rest : rest.slice(0, end);
  const tail = end < 0 ? "" : rest.slice(end);
  const path = tail.startsWith("/") ? tail.replace(/[?#].*$/, "") : "";
  host = host.slice(host.lastIndexOf("@") + 1);
  const port = /^(?:\[[^\]]*\]|[^:]*):(.*)$/.exec(host)?.[1];
  if (port !== undefined && !/^[0-9]*$/.test(port)) return undefined;
  return { host, path };
}

/** Go net.SplitHostPort, falling back to the whole host and no port, then the host's dot-separated labels. */
function splitHost(host: string): { labels: string[]; port: string } {
  const m = /^\[([^\]]*)\]:([^:]*)$/.exec(host) ?? /^([^:[\]]*):([^:]*)$/.exec(host);
  return m ? { labels: m[1]!.split("."), port: m[2]! } : { labels: host.split("."), port: "" };
}

/** Go filepath.Match on one host label (`*`, `?`, `[a-z]`, `[^...]`, `\` escapes); undefined for a bad pattern. */
function globLabel(pattern: string): RegExp | undefined {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "\\") {
      if (++i >= pattern.length) return undefined;
      re += pattern[i]!.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
    } else if (c === "[") {
      const close = pattern.indexOf("]", i + 1);
      if (close < 0) return undefined;
      let body = pattern.slice(i + 1, close);
      const negate = body.startsWith("^");
      if (negate) body = body.slice(1);
      if (body === "") return undefined;
      re += `[${negate ? "^" : ""}${body.replace(/[\\\]^]/g, "\\$&")}]`;
      i = close;
    } else re += c.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
  }
  try {
    return new RegExp(`^${re}$`);
  } catch {
    return undefined;
  }
}

/**
 * Upstream URLsMatch: same port, same number of host labels, each label matching its glob, and
 * the target's path starting with the pattern's (a plain string prefix).
 */
export function registryMatches(pattern: string, target: string): boolean {
  const g = parseRegistryUrl(pattern);
  const t = parseRegistryUrl(target);
  if (!g || !t) return false;
  const gh = splitHost(g.host);
  const th = splitHost(t.host);
  if (gh.port !== th.port || gh.labels.length !== th.labels.length) return false;
  if (!t.path.startsWith(g.path)) return false;
  return gh.labels.every((label, i) => globLabel(label)?.test(th.labels[i]!) ?? false);
}

const DEFAULT_REGISTRY_HOST = "index.docker.io";

/** Upstream isDefaultRegistryMatch: the repository lives on Docker Hub. */
function isDefaultRegistryMatch(repo: string): boolean {
  const slash = repo.indexOf("/");
  const first = slash < 0 ? repo : repo.slice(0, slash);
  if (first === "") return false;
  if (slash < 0) return true;
  if (first === "docker.io" || first === DEFAULT_REGISTRY_HOST) return true;
  return !/[.:]/.test(first);
}

/** One AuthConfig for CRI PullImage; as upstream, `auth` and `serverAddress` stay empty (user and password carry it). */
function toAuthConfig(entry: DockerConfigEntry): AuthConfig {
  return {
    username: entry.username, password: entry.password, auth: "", serverAddress: "",
    identityToken: entry.identityToken ?? "", registryToken: entry.registryToken ?? "",
  };
}

/**
 * Credentials indexed by registry location (upstream BasicDockerKeyring). Locations are keyed as
 * host plus path (`/v1/` and `/v2/` prefixes dropped) and tried in reverse lexical order, so
 * `quay.io/coreos` comes before `quay.io`.
 */
export class DockerKeyring {
  private readonly creds = new Map<string, AuthConfig[]>();
  private index: string[] = [];

  /** Adds a config's entries; returns the locations that could not be parsed (skipped). */
  add(cfg: DockerConfig): string[] {
    const invalid: string[] = [];
    for (const [location, entry] of cfg) {
      const url = parseRegistryUrl(location);
      if (!url) {
        invalid.push(location);
        continue;
      }
      let path = url.path;
      if (path.startsWith("/v2/") || path.startsWith("/v1/")) path = path.slice(3);
      const key = path !== "" && path !== "/" ? url.host + path : url.host;
      const list = this.creds.get(key) ?? [];
      list.push(toAuthConfig(entry));
      this.creds.set(key, list);
    }
    this.index = [...this.creds.keys()].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
    return invalid;
  }

  /** Every credential whose location matches `repo` (a normalized repository name without tag), most specific first. */
  lookup(repo: string): AuthConfig[] {
    const out: AuthConfig[] = [];
    for (const key of this.index) if (registryMatches(key, repo)) out.push(...this.creds.get(key)!);
    if (out.length > 0) return out;
    if (isDefaultRegistryMatch(repo)) return [...(this.creds.get(DEFAULT_REGISTRY_HOST) ?? [])];
    return [];
  }
}
