/**
 * Authentication and authorization of kubelet API requests, as upstream's kubelet server filters
 * them: x509 client certificates, bearer tokens checked with a TokenReview, optional anonymous
 * access; then AlwaysAllow or a SubjectAccessReview on the node's subresource the path maps to.
 */
import type { ApiTransport } from "../ports/api.ts";
import type { Clock } from "../ports/clock.ts";
import type { ConnInfo } from "../ports/serve.ts";

/** Who made a request. */
export interface UserInfo {
  name: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** The outcome of authenticating one request: a user, nobody (no credentials), or an error. */
export type AuthnResult = { user: UserInfo } | { user?: undefined; error?: string };

/** Finds the user behind a request. */
export interface Authenticator {
  authenticate(req: Request, conn: ConnInfo): Promise<AuthnResult>;
}

/** The attributes a request is authorized on (upstream's authorizer.Attributes for the kubelet). */
export interface RequestAttributes {
  user: UserInfo;
  verb: string;
  namespace: string;
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource: string;
  name: string;
  path: string;
}

/** An authorization decision; `error` when it could not be made. */
export type AuthzDecision = { allowed: boolean; reason?: string; error?: undefined } | { allowed?: undefined; error: string };

/** Decides whether a user may do what a request asks. */
export interface Authorizer {
  authorize(attrs: RequestAttributes): Promise<AuthzDecision>;
}

const ANONYMOUS: UserInfo = { name: "system:anonymous", groups: ["system:unauthenticated"] };
const AUTHENTICATED = "system:authenticated";

/** Adds system:authenticated, as upstream's group adder does for every non-anonymous user. */
function withAuthenticatedGroup(user: UserInfo): UserInfo {
  return user.groups.includes(AUTHENTICATED) ? user : { ...user, groups: [...user.groups, AUTHENTICATED] };
}

/** Users from TLS client certificates verified against the client CA: name = CN, groups = O. */
export const x509Authenticator: Authenticator = {
  async authenticate(_req, conn) {
    const peer = conn.tls?.peer;
    if (!peer) return {};
    if (!conn.tls!.authorized) return { error: "x509: certificate signed by unknown authority" };
    if (!peer.commonName) return { error: "x509: client certificate has no common name" };
    return { user: { name: peer.commonName, groups: [...peer.organizations] } };
  },
};

/** The bearer token of an `Authorization: Bearer <token>` header, if any. */
export function bearerToken(req: Request): string | undefined {
  const m = /^bearer\s+(\S+)\s*$/i.exec(req.headers.get("authorization") ?? "");
  return m?.[1];
}

interface TokenReviewStatus {
  authenticated?: boolean;
  user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  error?: string;
}

/**
 * Bearer tokens checked with the API server's TokenReview (authentication.k8s.io/v1), answers
 * (positive and negative) cached per token for `cacheTtlMs`; failures to ask are not cached.
 */
export function tokenReviewAuthenticator(api: ApiTransport, clock: Clock, cacheTtlMs: number): Authenticator {
  const cache = new Map<string, { until: number; result: AuthnResult }>();
  return {
    async authenticate(req) {
      const token = bearerToken(req);
      if (token === undefined) return {};
      const now = clock.now();
      const hit = cache.get(token);
      if (hit && hit.until > now) return hit.result;
      let status: TokenReviewStatus;
      try {
        const res = await api.request<{ status?: TokenReviewStatus }>({
          method: "POST", path: "/apis/authentication.k8s.io/v1/tokenreviews",
          body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token } },
        });
        status = res.body.status ?? {};
      } catch (err) {
        return { error: `token review failed: ${err instanceof Error ? err.message : String(err)}` };
      }
      const u = status.user;
      const result: AuthnResult = status.authenticated && u?.username
        ? { user: { name: u.username, uid: u.uid || undefined, groups: u.groups ?? [], extra: u.extra } }
        : status.error ? { error: status.error } : {};
      for (const [k, v] of cache) if (v.until <= now) cache.delete(k);
      cache.set(token, { until: now + cacheTtlMs, result });
      return result;
    },
  };
}

/** What authentication the kubelet's configuration enables (upstream BuildAuthn). */
export interface AuthnSetup {
  /** Client certificates count (a client CA is configured). */
  x509: boolean;
  /** Bearer tokens through TokenReview. */
  tokenReview?: Authenticator;
  anonymous: boolean;
}

/**
 * The kubelet's authenticator: x509, then tokens; the first user wins. Authenticated users get
 * system:authenticated. With no user and no error, anonymous access (when enabled) gives
 * system:anonymous; an error (say a certificate from an unknown CA) is never anonymous.
 */
export function kubeletAuthenticator(setup: AuthnSetup): Authenticator {
  const chain = [...(setup.x509 ? [x509Authenticator] : []), ...(setup.tokenReview ? [setup.tokenReview] : [])];
  return {
    async authenticate(req, conn) {
      const errors: string[] = [];
      for (const a of chain) {
        const r = await a.authenticate(req, conn);
        if (r.user) return { user: withAuthenticatedGroup(r.user) };
        if (r.error) errors.push(r.error);
      }
      if (errors.length > 0) return { error: errors.join("; ") };
      return setup.anonymous ? { user: ANONYMOUS } : {};
    },
  };
}

const VERBS: Record<string, string> = { POST: "create", GET: "get", PUT: "update", PATCH: "patch", DELETE: "delete" };

/** True when `path` is `prefix` (without its trailing slash) or below it (upstream isSubpath). */
function isSubpath(path: string, prefix: string): boolean {
  const p = prefix.replace(/\/$/, "");
  return path === p || (path.startsWith(p) && path[p.length] === "/");
}

/**
 * Upstream's mapping of a kubelet API request to node attributes: the HTTP method's verb on
 * `nodes/<nodeName>`, subresource `proxy` unless the path is under /stats, /metrics, /logs or /spec.
 */
export function requestAttributes(user: UserInfo, req: Request, nodeName: string): RequestAttributes {
  const path = new URL(req.url).pathname;
  let subresource = "proxy";
  if (isSubpath(path, "/stats/")) subresource = "stats";
  else if (isSubpath(path, "/metrics")) subresource = "metrics";
  else if (isSubpath(path, "/logs/")) subresource = "log";
  else if (isSubpath(path, "/spec/")) subresource = "spec";
  return {
    user, verb: VERBS[req.method] ?? "", namespace: "", apiGroup: "", apiVersion: "v1",
    resource: "nodes", subresource, name: nodeName, path,
  };
}

/** Allows everything (authorization mode AlwaysAllow). */
export const alwaysAllow: Authorizer = { authorize: async () => ({ allowed: true }) };

interface SubjectAccessReviewStatus { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string }

/**
 * Authorization by SubjectAccessReview (authorization.k8s.io/v1) at the API server; decisions are
 * cached per attributes, allowed for `allowedTtlMs` and denied for `deniedTtlMs`.
 */
export function subjectAccessReviewAuthorizer(api: ApiTransport, clock: Clock, ttl: { allowedTtlMs: number; deniedTtlMs: number }): Authorizer {
  const cache = new Map<string, { until: number; decision: AuthzDecision }>();
  return {
    async authorize(a) {
      const spec = {
        user: a.user.name, ...(a.user.uid ? { uid: a.user.uid } : {}), groups: a.user.groups, ...(a.user.extra ? { extra: a.user.extra } : {}),
        resourceAttributes: { namespace: a.namespace, verb: a.verb, group: a.apiGroup, version: a.apiVersion, resource: a.resource, subresource: a.subresource, name: a.name },
      };
      const key = JSON.stringify(spec);
      const now = clock.now();
      const hit = cache.get(key);
      if (hit && hit.until > now) return hit.decision;
      let status: SubjectAccessReviewStatus;
      try {
        const res = await api.request<{ status?: SubjectAccessReviewStatus }>({
          method: "POST", path: "/apis/authorization.k8s.io/v1/subjectaccessreviews",
          body: { apiVersion: "authorization.k8s.io/v1", kind: "SubjectAccessReview", spec },
        });
        status = res.body.status ?? {};
      } catch (err) {
        return { error: err instanceof Error ? err.message : String(err) };
      }
      const decision: AuthzDecision = { allowed: status.allowed === true && status.denied !== true, reason: status.reason };
      for (const [k, v] of cache) if (v.until <= now) cache.delete(k);
      cache.set(key, { until: now + (decision.allowed ? ttl.allowedTtlMs : ttl.deniedTtlMs), decision });
      return decision;
    },
  };
}

const TEXT = { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" };

/** What the auth filter reports about refused requests (for logs). */
export interface AuthFilterEvents {
  onUnauthenticated?(error: string | undefined): void;
  onAuthzError?(attrs: RequestAttributes, error: string): void;
  onForbidden?(attrs: RequestAttributes, reason: string | undefined): void;
}

/**
 * Wraps a handler with upstream's kubelet auth filter: 401 "Unauthorized" without a user, 500
 * "Authorization error (...)" when the decision fails, 403 "Forbidden (...)" when denied.
 */
export function withAuth(
  handler: (req: Request, conn: ConnInfo) => Promise<Response>,
  o: { authenticator: Authenticator; authorizer: Authorizer; nodeName: string } & AuthFilterEvents,
): (req: Request, conn: ConnInfo) => Promise<Response> {
  return async (req, conn) => {
    const authn = await o.authenticator.authenticate(req, conn);
    if (!authn.user) {
      o.onUnauthenticated?.(authn.error);
      return new Response("Unauthorized", { status: 401, headers: TEXT });
    }
    const attrs = requestAttributes(authn.user, req, o.nodeName);
    const what = `(user=${attrs.user.name}, verb=${attrs.verb}, resource=${attrs.resource}, subresource=${attrs.subresource})`;
    const decision = await o.authorizer.authorize(attrs);
    if (decision.error !== undefined) {
      o.onAuthzError?.(attrs, decision.error);
      return new Response(`Authorization error ${what}`, { status: 500, headers: TEXT });
    }
    if (!decision.allowed) {
      o.onForbidden?.(attrs, decision.reason);
      return new Response(`Forbidden ${what}`, { status: 403, headers: TEXT });
    }
    return handler(req, conn);
  };
}
