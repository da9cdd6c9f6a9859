import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { NodeApiTransport } from "../../hosts/node/apiTransport.ts";
import { silentLogger, type Logger } from "../../kubelet/log.ts";
import { ApiError, isApiError, type WatchEvent } from "../../kubelet/ports/api.ts";

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

async function serve(handler: Handler): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => handler(req, body, res));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

const settings = (server: string) => ({ source: "/test/kubeconfig", server, insecureSkipTlsVerify: false, token: "s3cret" });

test("JSON requests: query encoding, bearer token, body and patch content types", async () => {
  const seen: Array<{ method: string; url: string; auth?: string; type?: string; body: string }> = [];
  const s = await serve((req, body, res) => {
    seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, type: req.headers["content-type"], body });
    res.writeHead(req.method === "POST" ? 201 : 200, { "content-type": "application/json" }).end(JSON.stringify({ kind: "Node", ok: req.method }));
  });
  const t = new NodeApiTransport(settings(s.url + "/"), silentLogger);
  try {
    const got = await t.request<{ ok: string }>({ method: "GET", path: "/api/v1/nodes", query: { fieldSelector: "metadata.name=n 1", limit: 5, skip: undefined } });
    assert.equal(got, { status: 200, body: { kind: "Node", ok: "GET" } });
    assert.is((await t.request({ method: "POST", path: "/api/v1/nodes", body: { a: 1 } })).status, 201);
    await t.request({ method: "PATCH", path: "/api/v1/nodes/n/status", body: { status: {} }, contentType: "application/strategic-merge-patch+json" });
    await t.request({ method: "PATCH", path: "/x", body: {} });
    assert.is(seen[0]!.url, "/api/v1/nodes?fieldSelector=metadata.name%3Dn+1&limit=5");
    assert.is(seen[0]!.auth, "Bearer s3cret");
    assert.is(seen[1]!.type, "application/json");
    assert.is(seen[1]!.body, '{"a":1}');
    assert.is(seen[2]!.type, "application/strategic-merge-patch+json");
    assert.is(seen[3]!.type, "application/merge-patch+json");
  } finally {
    t.close();
    await s.close();
  }
});

test("a non-2xx answer rejects with ApiError carrying the server's Status", async () => {
  const s = await serve((_req, _b, res) => {
    res.writeHead(409, { "content-type": "application/json" }).end(JSON.stringify({ kind: "Status", status: "Failure", reason: "AlreadyExists", code: 409, message: 'nodes "n" already exists' }));
  });
  const t = new NodeApiTransport(settings(s.url), silentLogger);
  try {
    const err = await t.request({ method: "POST", path: "/api/v1/nodes", body: {} }).then(() => undefined, (e) => e);
    assert.ok(isApiError(err, 409));
    assert.is((err as ApiError).reason, "AlreadyExists");
    assert.is((err as ApiError).apiStatus?.message, 'nodes "n" already exists');
    assert.match((err as Error).message, /POST \/api\/v1\/nodes: 409 AlreadyExists/);
  } finally {
    t.close();
    await s.close();
  }
});

test("a request that gets no answer in time fails with a timeout", async () => {
  const s = await serve(() => { /* never answers */ });
  const t = new NodeApiTransport(settings(s.url), silentLogger, { timeoutMs: 100 });
  try {
    const err: Error = await t.request({ method: "GET", path: "/slow" }).then(() => assert.unreachable(), (e) => e);
    assert.match(err.message, /GET \/slow: cannot reach the API server at http:\/\/127\.0\.0\.1:\d+: timed out after 100 ms/);
    const err2: Error = await t.request({ method: "GET", path: "/slow", timeoutMs: 50 }).then(() => assert.unreachable(), (e) => e);
    assert.match(err2.message, /timed out after 50 ms/);
  } finally {
    t.close();
    await s.close();
  }
});

test("an unreachable server rejects with a plain Error naming it", async () => {
  const s = await serve(() => {});
  const url = s.url;
  await s.close();
  const t = new NodeApiTransport(settings(url), silentLogger);
  const err: Error = await t.request({ method: "GET", path: "/healthz" }).then(() => assert.unreachable(), (e) => e);
  assert.not.ok(err instanceof ApiError);
  assert.match(err.message, /cannot reach the API server at .*ECONNREFUSED/);
  t.close();
});

test("a watch streams events split across chunks and resolves when the server ends it", async () => {
  const lines = [{ type: "ADDED", object: { metadata: { name: "a" } } }, { type: "BOOKMARK", object: { metadata: { resourceVersion: "7" } } }].map((e) => JSON.stringify(e) + "\n").join("");
  let query = "";
  const s = await serve(async (req, _b, res) => {
    query = req.url!;
    res.writeHead(200, { "content-type": "application/json" });
    for (let i = 0; i < lines.length; i += 7) {
      res.write(lines.slice(i, i + 7));
      await new Promise((r) => setTimeout(r, 1));
    }
    res.end();
  });
  const t = new NodeApiTransport(settings(s.url), silentLogger);
  try {
    const got: WatchEvent<unknown>[] = [];
    await t.watch("/api/v1/pods", { resourceVersion: "5", allowWatchBookmarks: true, timeoutSeconds: 30 }, (e) => got.push(e));
    assert.is(query, "/api/v1/pods?resourceVersion=5&allowWatchBookmarks=true&timeoutSeconds=30&watch=true");
    assert.equal(got.map((e) => e.type), ["ADDED", "BOOKMARK"]);
  } finally {
    t.close();
    await s.close();
  }
});

test("a watch answered with 410 rejects with ApiError; an aborted watch resolves; a cut stream rejects", async () => {
  const s = await serve((req, _b, res) => {
    if (req.url!.startsWith("/gone")) return res.writeHead(410, { "content-type": "application/json" }).end(JSON.stringify({ kind: "Status", reason: "Expired", code: 410 }));
    res.writeHead(200, { "content-type": "application/json" });
    res.write(JSON.stringify({ type: "ADDED", object: {} }) + "\n");
    if (req.url!.startsWith("/cut")) setTimeout(() => res.destroy(), 10);
  });
  const t = new NodeApiTransport(settings(s.url), silentLogger);
  try {
    const gone = await t.watch("/gone", {}, () => {}).then(() => undefined, (e) => e);
    assert.ok(isApiError(gone, 410));
    const ac = new AbortController();
    let n = 0;
    await t.watch("/open", {}, () => { n++; ac.abort(); }, ac.signal);
    assert.is(n, 1);
    const cut: Error = await t.watch("/cut", {}, () => {}).then(() => assert.unreachable(), (e) => e);
    assert.match(cut.message, /watch \/cut: stream from .* (interrupted|closed before its end)/);
  } finally {
    t.close();
    await s.close();
  }
});

test("insecure-skip-tls-verify is logged as a warning", () => {
  const warnings: string[] = [];
  const log: Logger = { ...silentLogger, warn: (m) => warnings.push(m) };
  new NodeApiTransport({ source: "/k", server: "https://127.0.0.1:1", insecureSkipTlsVerify: true }, log).close();
  assert.is(warnings.length, 1);
  assert.match(warnings[0]!, /insecure-skip-tls-verify/);
});

test.run();
