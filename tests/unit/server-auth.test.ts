import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  alwaysAllow, bearerToken, kubeletAuthenticator, requestAttributes, subjectAccessReviewAuthorizer, tokenReviewAuthenticator, withAuth,
  type Authorizer, type UserInfo,
} from "../../kubelet/server/auth.ts";
import { kubeletServerHandler } from "../../kubelet/server/kubeletServer.ts";
import { defaultKubeletConfiguration } from "../../kubelet/config/kubeletConfiguration.ts";
import { createLogger } from "../../kubelet/log.ts";
import type { ApiRequest, ApiResponse, ApiTransport } from "../../kubelet/ports/api.ts";
import type { ConnInfo } from "../../kubelet/ports/serve.ts";
import { fakeClock } from "./support/fakeTime.ts";

/** A fake API server answering TokenReviews and SubjectAccessReviews from tables. */
class FakeReviewApi implements ApiTransport {
  readonly server = "https://fake-apiserver:6443";
  readonly requests: ApiRequest[] = [];
  /** token -> the user it belongs to. */
  tokens = new Map<string, { username: string; uid?: string; groups: string[] }>();
  /** "user verb subresource" strings that are allowed. */
  allowed = new Set<string>();
  down = false;

  async request<T>(req: ApiRequest): Promise<ApiResponse<T>> {
    this.requests.push(req);
    if (this.down) throw new Error(`${req.method} ${req.path}: cannot reach the API server: connect ECONNREFUSED`);
    const body = req.body as { spec: Record<string, any> };
    if (req.path === "/apis/authentication.k8s.io/v1/tokenreviews") {
      const user = this.tokens.get(body.spec.token);
      return { status: 201, body: { ...body, status: user ? { authenticated: true, user } : { authenticated: false } } as T };
    }
    if (req.path === "/apis/authorization.k8s.io/v1/subjectaccessreviews") {
      const a = body.spec.resourceAttributes;
      const ok = this.allowed.has(`${body.spec.user} ${a.verb} ${a.subresource}`);
      return { status: 201, body: { ...body, status: ok ? { allowed: true } : { allowed: false, reason: "no RBAC policy matched" } } as T };
    }
    throw new Error(`unexpected ${req.method} ${req.path}`);
  }
  watch(): Promise<void> {
    throw new Error("no watches");
  }
  close(): void {}
  reviews(kind: "tokenreviews" | "subjectaccessreviews"): number {
    return this.requests.filter((r) => r.path.endsWith(kind)).length;
  }
}

const get = (path: string, init: RequestInit = {}) => new Request(`https://10.0.0.1:10250${path}`, init);
const plain: ConnInfo = { remoteAddress: "10.0.0.2", remotePort: 5555 };
const withCert = (cn: string, organizations: string[], authorized = true): ConnInfo =>
  ({ ...plain, tls: { authorized, peer: { commonName: cn, organizations } } });
const user: UserInfo = { name: "alice", groups: ["dev"] };

test("request attributes: verb from the method, nodes/<node> with upstream's subresources", () => {
  const sub = (path: string, method = "GET") => {
    const a = requestAttributes(user, get(path, { method }), "node-1");
    return `${a.verb} ${a.resource}/${a.name}/${a.subresource}`;
  };
  assert.is(sub("/pods"), "get nodes/node-1/proxy");
  assert.is(sub("/containerLogs/ns/p/c"), "get nodes/node-1/proxy");
  assert.is(sub("/stats/summary"), "get nodes/node-1/stats");
  assert.is(sub("/stats"), "get nodes/node-1/stats");
  assert.is(sub("/metrics"), "get nodes/node-1/metrics");
  assert.is(sub("/metrics/cadvisor"), "get nodes/node-1/metrics");
  assert.is(sub("/metricsfoo"), "get nodes/node-1/proxy");
  assert.is(sub("/logs/syslog"), "get nodes/node-1/log");
  assert.is(sub("/spec/"), "get nodes/node-1/spec");
  assert.is(sub("/exec/ns/p/c", "POST"), "create nodes/node-1/proxy");
  assert.is(sub("/pods", "PUT"), "update nodes/node-1/proxy");
  assert.is(sub("/pods", "PATCH"), "patch nodes/node-1/proxy");
  assert.is(sub("/pods", "DELETE"), "delete nodes/node-1/proxy");
  const a = requestAttributes(user, get("/pods"), "node-1");
  assert.equal({ ns: a.namespace, group: a.apiGroup, version: a.apiVersion, path: a.path }, { ns: "", group: "", version: "v1", path: "/pods" });
});

test("bearer tokens come from Authorization: Bearer (any case), nothing else", () => {
  assert.is(bearerToken(get("/", { headers: { authorization: "Bearer abc.def" } })), "abc.def");
  assert.is(bearerToken(get("/", { headers: { authorization: "bearer xyz" } })), "xyz");
  assert.is(bearerToken(get("/", { headers: { authorization: "Basic Zm9vOmJhcg==" } })), undefined);
  assert.is(bearerToken(get("/")), undefined);
});

test("x509: a verified client certificate is CN with O as groups plus system:authenticated; an unverified one is an error, never anonymous", async () => {
  const authn = kubeletAuthenticator({ x509: true, anonymous: true });
  assert.equal(await authn.authenticate(get("/pods"), withCert("kube-apiserver-kubelet-client", ["system:masters"])),
    { user: { name: "kube-apiserver-kubelet-client", groups: ["system:masters", "system:authenticated"] } });
  const bad = await authn.authenticate(get("/pods"), withCert("mallory", ["system:masters"], false));
  assert.is(bad.user, undefined);
  assert.match((bad as { error: string }).error, /unknown authority/);
});

test("anonymous only when enabled: system:anonymous in system:unauthenticated", async () => {
  assert.equal(await kubeletAuthenticator({ x509: true, anonymous: true }).authenticate(get("/pods"), plain),
    { user: { name: "system:anonymous", groups: ["system:unauthenticated"] } });
  assert.equal(await kubeletAuthenticator({ x509: true, anonymous: false }).authenticate(get("/pods"), plain), {});
});

test("token webhook: TokenReview with the token; answers (yes and no) cached for cacheTTL; failures not cached", async () => {
  const api = new FakeReviewApi();
  api.tokens.set("good", { username: "system:serviceaccount:ns:sa", uid: "u-1", groups: ["system:serviceaccounts", "system:authenticated"] });
  const { clock, advance } = fakeClock();
  const authn = kubeletAuthenticator({ x509: true, tokenReview: tokenReviewAuthenticator(api, clock, 120_000), anonymous: false });
  const bearer = (t: string) => get("/pods", { headers: { authorization: `Bearer ${t}` } });
  const r = await authn.authenticate(bearer("good"), plain);
  assert.equal(r, { user: { name: "system:serviceaccount:ns:sa", uid: "u-1", groups: ["system:serviceaccounts", "system:authenticated"], extra: undefined } });
  const sent = api.requests[0]!;
  assert.equal(sent.body, { apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token: "good" } });
  assert.is(sent.method, "POST");
  assert.equal(await authn.authenticate(bearer("bad"), plain), {});
  await authn.authenticate(bearer("good"), plain);
  await authn.authenticate(bearer("bad"), plain);
  assert.is(api.reviews("tokenreviews"), 2, "cached");
  await advance(120_001);
  await authn.authenticate(bearer("good"), plain);
  assert.is(api.reviews("tokenreviews"), 3, "expired");

  api.down = true;
  const failed = await authn.authenticate(bearer("other"), plain);
  assert.match((failed as { error: string }).error, /token review failed: .*ECONNREFUSED/);
  api.down = false;
  assert.equal(await authn.authenticate(bearer("other"), plain), {});
  assert.is(api.reviews("tokenreviews"), 5, "the failure was not cached");
});

test("a client certificate wins over a token; without either the token webhook is not asked", async () => {
  const api = new FakeReviewApi();
  const { clock } = fakeClock();
  const authn = kubeletAuthenticator({ x509: true, tokenReview: tokenReviewAuthenticator(api, clock, 1000), anonymous: false });
  const r = await authn.authenticate(get("/pods", { headers: { authorization: "Bearer t" } }), withCert("bob", []));
  assert.is(r.user?.name, "bob");
  await authn.authenticate(get("/pods"), plain);
  assert.is(api.requests.length, 0);
});

test("SubjectAccessReview: the request's attributes; allowed cached cacheAuthorizedTTL, denied cacheUnauthorizedTTL", async () => {
  const api = new FakeReviewApi();
  api.allowed.add("alice get proxy");
  const { clock, advance } = fakeClock();
  const authz = subjectAccessReviewAuthorizer(api, clock, { allowedTtlMs: 300_000, deniedTtlMs: 30_000 });
  const attrs = (path: string) => requestAttributes(user, get(path), "node-1");
  assert.equal(await authz.authorize(attrs("/pods")), { allowed: true, reason: undefined });
  assert.equal(api.requests[0]!.body, {
    apiVersion: "authorization.k8s.io/v1", kind: "SubjectAccessReview",
    spec: { user: "alice", groups: ["dev"], resourceAttributes: { namespace: "", verb: "get", group: "", version: "v1", resource: "nodes", subresource: "proxy", name: "node-1" } },
  });
  assert.equal(await authz.authorize(attrs("/stats/summary")), { allowed: false, reason: "no RBAC policy matched" });
  await authz.authorize(attrs("/pods"));
  await authz.authorize(attrs("/stats/summary"));
  assert.is(api.reviews("subjectaccessreviews"), 2);
  await advance(30_001);
  await authz.authorize(attrs("/pods"));
  await authz.authorize(attrs("/stats/summary"));
  assert.is(api.reviews("subjectaccessreviews"), 3, "only the denial expired");
  api.down = true;
  assert.match((await authz.authorize(attrs("/metrics"))).error ?? "", /ECONNREFUSED/);
});

test("the filter: 401 Unauthorized without a user, 403 and 500 with upstream's messages, else the handler", async () => {
  const authorizer: Authorizer = {
    authorize: async (a) => (a.subresource === "stats" ? { allowed: false } : a.subresource === "metrics" ? { error: "boom" } : { allowed: true }),
  };
  const h = withAuth(async () => new Response("ok"), { authenticator: kubeletAuthenticator({ x509: true, anonymous: false }), authorizer, nodeName: "node-1" });
  const noUser = await h(get("/pods"), plain);
  assert.is(noUser.status, 401);
  assert.is(await noUser.text(), "Unauthorized");
  const bob = withCert("bob", []);
  const denied = await h(get("/stats/summary"), bob);
  assert.is(denied.status, 403);
  assert.is(await denied.text(), "Forbidden (user=bob, verb=get, resource=nodes, subresource=stats)");
  const failed = await h(get("/metrics"), bob);
  assert.is(failed.status, 500);
  assert.is(await failed.text(), "Authorization error (user=bob, verb=get, resource=nodes, subresource=metrics)");
  assert.is(await (await h(get("/pods"), bob)).text(), "ok");
  assert.is((await withAuth(async () => new Response("ok"), { authenticator: kubeletAuthenticator({ x509: false, anonymous: true }), authorizer: alwaysAllow, nodeName: "n" })(get("/pods"), plain)).status, 200);
});

test("server handler: standalone serves without auth; cluster mode authenticates and asks the API server", async () => {
  const config = defaultKubeletConfiguration();
  const log = createLogger(0);
  const { clock } = fakeClock();
  const standalone = kubeletServerHandler({ config, clock, log, nodeName: "n1", handler: { pods: () => [] } });
  assert.is((await standalone(get("/pods"), plain)).status, 200);
  const api = new FakeReviewApi();
  api.allowed.add("alice get proxy");
  api.tokens.set("t-alice", { username: "alice", groups: [] });
  const cluster = kubeletServerHandler({ config, clock, log, nodeName: "n1", api, handler: { pods: () => [] } });
  assert.is((await cluster(get("/pods"), plain)).status, 401);
  assert.is((await cluster(get("/pods", { headers: { authorization: "Bearer t-alice" } }), plain)).status, 200);
  assert.is((await cluster(get("/healthz", { headers: { authorization: "Bearer t-alice" } }), plain)).status, 200);
  // No client CA configured: certificates are not accepted as identities.
  assert.is((await cluster(get("/pods"), withCert("alice", []))).status, 401);
  const allowAll = kubeletServerHandler({
    config: { ...config, authorization: { ...config.authorization, mode: "AlwaysAllow" }, authentication: { ...config.authentication, anonymous: { enabled: true } } },
    clock, log, nodeName: "n1", api, handler: { pods: () => [] },
  });
  assert.is((await allowAll(get("/pods"), plain)).status, 200);
});

test.run();
