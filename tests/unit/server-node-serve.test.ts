import { request as httpsRequest } from "node:https";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { nodeServe } from "../../hosts/node/serve.ts";
import type { ConnInfo } from "../../kubelet/ports/serve.ts";
import { createKubeletApiHandler } from "../../kubelet/server/kubeletApi.ts";

// Self-signed EC test certificates (CN=localhost with IP SAN 127.0.0.1; client CN=system:node:node1, O=system:nodes), valid 100 years.
const SERVER_CERT = `-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIUIv73HYflhMkfPmdtY94EoW+HKTcwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyMjIyNTgzNVoYDzIxMjYxMDI5
MjI1ODM1WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAASQV1xHZHCF+FODFuagWGERdH/EVH0me8eHbZnoLxXTVr7WiebtVwGJ
9zO73QbbClFyfZryoE1zF4jfcN9QeGIOo28wbTAdBgNVHQ4EFgQU3A8uJXuUbVST
HLCgYI45LGiWGiswHwYDVR0jBBgwFoAU3A8uJXuUbVSTHLCgYI45LGiWGiswDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARhwR/AAABgglsb2NhbGhvc3QwCgYIKoZI
zj0EAwIDSAAwRQIhAKIIuRkodo6OO+jVtGY6vMEp3Cy591hlYsG97b+9D68PAiBT
koSLG6ls/svIF/iFTD/4JqGSPNgCMl4TeeNnQ+0Mdg==
-----END CERTIFICATE-----`;
const SERVER_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgxvDlNc96q7enSWRa
9vIY90f8pujlNpy0Zi1WLUI9G2OhRANCAASQV1xHZHCF+FODFuagWGERdH/EVH0m
e8eHbZnoLxXTVr7WiebtVwGJ9zO73QbbClFyfZryoE1zF4jfcN9QeGIO
-----END PRIVATE KEY-----`;
const CLIENT_CERT = `-----BEGIN CERTIFICATE-----
MIIBvDCCAWOgAwIBAgIUGUEQMg3IoeZYqD8GPaPgwew5dTAwCgYIKoZIzj0EAwIw
MzEaMBgGA1UEAwwRc3lzdGVtOm5vZGU6bm9kZTExFTATBgNVBAoMDHN5c3RlbTpu
b2RlczAgFw0yNjExMjIyMjU4MzVaGA8yMTI2MTAyOTIyNTgzNVowMzEaMBgGA1UE
AwwRc3lzdGVtOm5vZGU6bm9kZTExFTATBgNVBAoMDHN5c3RlbTpub2RlczBZMBMG
ByqGSM49AgEGCCqGSM49AwEHA0IABCVBQmHFW8iDXGl6DUqe5owgFFZkUksLa5se
A3T4QTbdMQV6jZaAE2AGHSVlpb/SSZQxAEDUPhEz08emR0UinXCjUzBRMB0GA1Ud
DgQWBBQc4rvBiQqucQkuSU9yemYqhXabHTAfBgNVHSMEGDAWgBQc4rvBiQqucQku
SU9yemYqhXabHTAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0cAMEQCIB/S
81vs8zOidOmGt/lbMujw8KQcn9sDy4W8cllrJpf6AiBj/Qj80nM5z2d9vrp5e3Vp
PAK9iyrOBoFdS2N3tRWzCw==
-----END CERTIFICATE-----`;
const CLIENT_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgiN2cNoJJg8lIauTY
LXfsGqbSlEVM/dyn78FgnSRKK22hRANCAAQlQUJhxVvIg1xpeg1KnuaMIBRWZFJL
C2ubHgN0+EE23TEFeo2WgBNgBh0lZaW/0kmUMQBA1D4RM9PHpkdFIp1w
-----END PRIVATE KEY-----`;

function httpsGet(port: number, path: string, client?: { cert: string; key: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: "127.0.0.1", port, path, ca: SERVER_CERT, ...client }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

test("serves the kubelet API handler over plain HTTP on a free port", async () => {
  const server = await nodeServe.listen({ host: "127.0.0.1", port: 0 }, createKubeletApiHandler({ pods: () => [] }));
  try {
    assert.ok(server.port > 0);
    const res = await fetch(`http://127.0.0.1:${server.port}/healthz`);
    assert.is(res.status, 200);
    assert.is(await res.text(), "ok");
    const pods = await (await fetch(`http://127.0.0.1:${server.port}/pods`)).json();
    assert.equal(pods, { kind: "PodList", apiVersion: "v1", metadata: {}, items: [] });
  } finally {
    await server.close();
  }
});

test("request method, path, query, headers and body reach the handler; response headers come back", async () => {
  let seen: { method: string; url: string; header: string | null; body: string; remote: string } | undefined;
  const server = await nodeServe.listen({ host: "127.0.0.1", port: 0 }, async (req, conn: ConnInfo) => {
    seen = { method: req.method, url: req.url, header: req.headers.get("x-test"), body: await req.text(), remote: conn.remoteAddress };
    return new Response("created", { status: 201, headers: { "x-reply": "yes" } });
  });
  try {
    const res = await fetch(`http://127.0.0.1:${server.port}/a/b?c=1`, { method: "POST", headers: { "x-test": "t" }, body: "payload" });
    assert.is(res.status, 201);
    assert.is(res.headers.get("x-reply"), "yes");
    assert.is(await res.text(), "created");
    assert.equal(seen, { method: "POST", url: `http://127.0.0.1:${server.port}/a/b?c=1`, header: "t", body: "payload", remote: "127.0.0.1" });
  } finally {
    await server.close();
  }
});

test("a throwing handler gives the client a 500 and reports the error", async () => {
  const errors: unknown[] = [];
  const server = await nodeServe.listen({ host: "127.0.0.1", port: 0, onError: (e) => errors.push(e) }, async () => { throw new Error("boom"); });
  try {
    assert.is((await fetch(`http://127.0.0.1:${server.port}/`)).status, 500);
    assert.is((errors[0] as Error).message, "boom");
  } finally {
    await server.close();
  }
});

test("streamed response bodies arrive in order", async () => {
  const server = await nodeServe.listen({ host: "127.0.0.1", port: 0 }, async () => {
    const enc = new TextEncoder();
    let i = 0;
    return new Response(new ReadableStream({ pull(c) { if (i < 3) c.enqueue(enc.encode(`line${i++}\n`)); else c.close(); } }));
  });
  try {
    assert.is(await (await fetch(`http://127.0.0.1:${server.port}/logs`)).text(), "line0\nline1\nline2\n");
  } finally {
    await server.close();
  }
});

test("close() returns even with a keep-alive connection open", async () => {
  const server = await nodeServe.listen({ host: "127.0.0.1", port: 0 }, async () => new Response("ok"));
  await (await fetch(`http://127.0.0.1:${server.port}/`)).text();
  await server.close();
  await fetch(`http://127.0.0.1:${server.port}/`).then(() => assert.unreachable("still listening"), () => {});
});

test("serves HTTPS with the given certificate and reports a verified client certificate's subject", async () => {
  let conn: ConnInfo | undefined;
  const server = await nodeServe.listen(
    { host: "127.0.0.1", port: 0, tls: { cert: SERVER_CERT, key: new TextEncoder().encode(SERVER_KEY), clientCA: CLIENT_CERT } },
    async (_req, c) => { conn = c; return new Response("ok"); },
  );
  try {
    assert.equal(await httpsGet(server.port, "/healthz"), { status: 200, body: "ok" });
    assert.equal(conn?.tls, { authorized: false, peer: undefined });
    await httpsGet(server.port, "/healthz", { cert: CLIENT_CERT, key: CLIENT_KEY });
    assert.equal(conn?.tls, { authorized: true, peer: { commonName: "system:node:node1", organizations: ["system:nodes"] } });
  } finally {
    await server.close();
  }
});

test.run();
