import { once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Pod } from "../../bindings/kube/types.ts";
import type { AttachRequest, ExecRequest, Outgoing } from "../../bindings/cri/types.ts";
import { nodeNet } from "../../hosts/node/net.ts";
import { nodeServe } from "../../hosts/node/serve.ts";
import { defaultKubeletConfiguration } from "../../kubelet/config/kubeletConfiguration.ts";
import { createLogger } from "../../kubelet/log.ts";
import type { ApiRequest, ApiResponse, ApiTransport } from "../../kubelet/ports/api.ts";
import { CriError } from "../../kubelet/ports/cri.ts";
import { createKubeletApiHandler } from "../../kubelet/server/kubeletApi.ts";
import { kubeletServerHandler } from "../../kubelet/server/kubeletServer.ts";
import {
  parseStreamOptions, parseStreamRoute, portForwardPorts, serveRun, serveStreaming, upgradeRequestHead, type StreamingDeps,
} from "../../kubelet/server/streaming.ts";
import { fakeClock } from "./support/fakeTime.ts";

const pod: Pod = {
  metadata: { name: "web", namespace: "default", uid: "uid-1" },
  spec: { containers: [{ name: "main", image: "busybox" }, { name: "term", image: "busybox", tty: true }] },
  status: { phase: "Running" },
};

/** A runtime fake: records CRI streaming calls and answers with `url`. */
class FakeRuntime {
  calls: Array<{ method: string; request: unknown }> = [];
  fail?: Error;
  constructor(public url = "http://127.0.0.1:1/exec/token") {}
  exec = async (request: Outgoing<ExecRequest>) => this.answer("exec", request);
  attach = async (request: Outgoing<AttachRequest>) => this.answer("attach", request);
  portForward = async (podSandboxId: string, ports: number[]) => this.answer("portForward", { podSandboxId, ports });
  execSync = async (containerId: string, cmd: string[], timeoutSeconds: number) => {
    this.calls.push({ method: "execSync", request: { containerId, cmd, timeoutSeconds } });
    const exitCode = cmd[0] === "false" ? 1 : 0;
    const enc = (t: string) => new TextEncoder().encode(t);
    return { stdout: enc(exitCode === 0 ? `${cmd.join(" ")}\n` : ""), stderr: enc(exitCode === 0 ? "warn\n" : "failed\n"), exitCode };
  };
  private answer(method: string, request: unknown): string {
    this.calls.push({ method, request });
    if (this.fail) throw this.fail;
    return this.url;
  }
}

function deps(runtime: FakeRuntime, extra: Partial<StreamingDeps> = {}): StreamingDeps {
  return {
    source: {
      pod: (ns, name) => (ns === "default" && name === "web" ? pod : undefined),
      runningContainerId: async (uid, name) => (uid === "uid-1" && (name === "main" || name === "term") ? `cid-${name}` : undefined),
      sandboxId: async (uid) => (uid === "uid-1" ? "sandbox-1" : undefined),
    },
    runtime,
    dial: () => Promise.reject(new Error("dial tcp 127.0.0.1:1: connect: connection refused")),
    ...extra,
  };
}

const UPGRADE = { connection: "Upgrade", upgrade: "SPDY/3.1", "x-stream-protocol-version": "v4.channel.k8s.io" };
const req = (path: string, headers: Record<string, string> = UPGRADE, method = "POST") =>
  new Request(`https://10.0.0.1:10250${path}`, { method, headers });

test("exec/attach query (input, output, error, tty as kube-apiserver sends them): only 1 turns a stream on, one stream at least, tty drops stderr", () => {
  const q = (s: string) => parseStreamOptions(new URLSearchParams(s));
  assert.equal(q("input=1&output=1&error=1"), { stdin: true, stdout: true, stderr: true, tty: false });
  assert.equal(q("output=1&error=1&tty=1"), { stdin: false, stdout: true, stderr: false, tty: true });
  assert.throws(() => q("output=true&error=0"), /you must specify at least 1 of stdin, stdout, stderr/);
  assert.throws(() => q("tty=1&error=1"), /you must specify at least 1 of stdin, stdout, stderr/);
});

test("routes: exec and attach with and without the pod UID, portForward with and without it, other shapes none", () => {
  assert.equal(parseStreamRoute("exec", "ns/p/c"), { kind: "exec", namespace: "ns", pod: "p", container: "c" });
  assert.equal(parseStreamRoute("attach", "ns/p/u-1/c"), { kind: "attach", namespace: "ns", pod: "p", uid: "u-1", container: "c" });
  assert.equal(parseStreamRoute("portForward", "ns/p"), { kind: "portForward", namespace: "ns", pod: "p" });
  assert.equal(parseStreamRoute("portForward", "ns/p/u-1"), { kind: "portForward", namespace: "ns", pod: "p", uid: "u-1" });
  assert.is(parseStreamRoute("exec", "ns/p"), undefined);
  assert.is(parseStreamRoute("exec", "ns/p/u/c/x"), undefined);
  assert.is(parseStreamRoute("exec", "ns//c"), undefined);
  assert.is(parseStreamRoute("portForward", "ns"), undefined);
});

test("port-forward ports: none for SPDY, required and checked for WebSocket", () => {
  assert.equal(portForwardPorts(req("/portForward/default/web?port=80")), []);
  const ws = { connection: "Upgrade", upgrade: "websocket" };
  assert.equal(portForwardPorts(req("/portForward/default/web?port=80&port=8080", ws, "GET")), [80, 8080]);
  assert.throws(() => portForwardPorts(req("/portForward/default/web", ws, "GET")), /query parameter "port" is required/);
  assert.throws(() => portForwardPorts(req("/portForward/default/web?port=http", ws, "GET")), /unable to parse "http" as a port/);
  assert.throws(() => portForwardPorts(req("/portForward/default/web?port=0", ws, "GET")), /port "0" must be > 0/);
});

test("the request sent to the runtime: its path and Host, the client's upgrade headers one protocol per line, no credentials", () => {
  const r = new Request("https://10.0.0.1:10250/exec/default/web/main?command=ls", {
    method: "POST",
    headers: [["Connection", "Upgrade"], ["Upgrade", "SPDY/3.1"], ["X-Stream-Protocol-Version", "v4.channel.k8s.io"],
      ["X-Stream-Protocol-Version", "v3.channel.k8s.io"], ["Authorization", "Bearer secret"]],
  });
  const head = upgradeRequestHead(r, new URL("http://127.0.0.1:35000/exec/AbC?x=1"));
  const lines = head.split("\r\n");
  assert.is(lines[0], "POST /exec/AbC?x=1 HTTP/1.1");
  assert.is(lines[1], "Host: 127.0.0.1:35000");
  assert.ok(lines.includes("connection: Upgrade"));
  assert.ok(lines.includes("upgrade: SPDY/3.1"));
  assert.equal(lines.filter((l) => l.startsWith("x-stream-protocol-version")), ["x-stream-protocol-version: v4.channel.k8s.io", "x-stream-protocol-version: v3.channel.k8s.io"]);
  assert.not.ok(head.toLowerCase().includes("authorization"));
  assert.ok(head.endsWith("\r\n\r\n"));
});

test("refusals before the upgrade: bad query 400, no upgrade 400, unknown pod 404, UID mismatch for port-forward 404, no running container 500", async () => {
  const runtime = new FakeRuntime();
  const d = deps(runtime);
  const answer = async (kind: "exec" | "attach" | "portForward", rest: string, r: Request) => {
    const res = await serveStreaming(kind, rest, r, d);
    return `${res.status} ${await res.text()}`;
  };
  assert.is(await answer("exec", "default/web/main", req("/exec/default/web/main?command=ls")), "400 you must specify at least 1 of stdin, stdout, stderr");
  assert.is(await answer("exec", "default/web/main", req("/exec/default/web/main?command=ls&output=1", {})), "400 Upgrade request required");
  assert.is(await answer("exec", "default/nope/main", req("/exec/default/nope/main?command=ls&output=1")), "404 pod does not exist");
  assert.is(await answer("exec", "default/web/sidecar", req("/exec/default/web/sidecar?command=ls&output=1")), `500 container not found ("sidecar")`);
  assert.is(await answer("exec", "default/web/other-uid/main", req("/exec/default/web/other-uid/main?command=ls&output=1")), `500 container not found ("main")`);
  assert.is(await answer("portForward", "default/web/other-uid", req("/portForward/default/web/other-uid")), "404 pod not found");
  assert.is(runtime.calls.length, 0, "the runtime was not asked");
  assert.is((await serveStreaming("exec", "default/web", req("/exec/default/web"), d)).status, 404);
  assert.is((await serveStreaming("exec", "default/web/main", req("/exec/default/web/main?output=1", UPGRADE, "PUT"), d)).status, 405);
});

test("runtime failures: NotFound is 404, others 500, dial failures 500; a host without dial answers 501", async () => {
  const runtime = new FakeRuntime();
  const path = "/exec/default/web/main?command=ls&output=1";
  runtime.fail = new CriError("NotFound", "Exec", "container gone");
  let res = await serveStreaming("exec", "default/web/main", req(path), deps(runtime));
  assert.is(`${res.status} ${await res.text()}`, "404 CRI Exec: NotFound: container gone");
  runtime.fail = new CriError("Unknown", "Exec", "boom");
  assert.is((await serveStreaming("exec", "default/web/main", req(path), deps(runtime))).status, 500);
  runtime.fail = undefined;
  res = await serveStreaming("exec", "default/web/main", req(path), deps(runtime));
  assert.is(`${res.status} ${await res.text()}`, "500 error dialing backend: dial tcp 127.0.0.1:1: connect: connection refused");
  res = await serveStreaming("exec", "default/web/main", req(path), deps(runtime, { dial: undefined }));
  assert.is(res.status, 501);
});

test("CRI requests: exec with the command and streams, attach with the container's own tty, port-forward on the pod's sandbox", async () => {
  const runtime = new FakeRuntime();
  const d = deps(runtime);
  await serveStreaming("exec", "default/web/uid-1/main", req("/exec/default/web/uid-1/main?command=sh&command=-c&command=exit%203&input=1&output=1&error=1"), d);
  await serveStreaming("attach", "default/web/term", req("/attach/default/web/term?input=1&output=1&error=1"), d);
  await serveStreaming("portForward", "default/web", req("/portForward/default/web"), d);
  assert.equal(runtime.calls, [
    { method: "exec", request: { containerId: "cid-main", cmd: ["sh", "-c", "exit 3"], stdin: true, stdout: true, stderr: true, tty: false } },
    { method: "attach", request: { containerId: "cid-term", stdin: true, stdout: true, stderr: false, tty: true } },
    { method: "portForward", request: { podSandboxId: "sandbox-1", ports: [] } },
  ]);
});

test("POST /run runs the space-separated cmd with ExecSync and answers stdout then stderr; a non-zero exit is a 500", async () => {
  const runtime = new FakeRuntime();
  const run = async (rest: string, method = "POST") => {
    const res = await serveRun(rest.split("?")[0]!, new Request(`https://10.0.0.1:10250/run/${rest}`, { method }), deps(runtime));
    return `${res.status} ${await res.text()}`;
  };
  assert.is(await run("default/web/main?cmd=echo%20hi%20there"), "200 echo hi there\nwarn\n");
  assert.equal(runtime.calls, [{ method: "execSync", request: { containerId: "cid-main", cmd: ["echo", "hi", "there"], timeoutSeconds: 0 } }]);
  assert.is(await run("default/web/uid-1/main?cmd=false"), "500 command 'false' exited with 1: failed\n");
  assert.is(await run("default/nope/main?cmd=ls"), "404 pod does not exist");
  assert.is(await run("default/web/sidecar?cmd=ls"), `500 container not found ("sidecar")`);
  assert.is((await run("default/web/main?cmd=ls", "GET")).slice(0, 3), "405");
});

/** A fake runtime streaming server: answers an upgrade with 101, then echoes bytes upper-cased. */
async function fakeStreamingServer(): Promise<{ server: Server; port: number; heads: string[]; closed: Promise<void> }> {
  const heads: string[] = [];
  let onClosed!: () => void;
  const closed = new Promise<void>((r) => (onClosed = r));
  const server = createServer((sock) => {
    let buf = "";
    let upgraded = false;
    sock.on("data", (d) => {
      if (upgraded) { sock.write(d.toString().toUpperCase()); return; }
      buf += d.toString("latin1");
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      heads.push(buf.slice(0, end));
      upgraded = true;
      sock.write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n");
      const rest = buf.slice(end + 4);
      if (rest) sock.write(rest.toUpperCase());
    });
    sock.on("close", onClosed);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, port: (server.address() as { port: number }).port, heads, closed };
}

/** A raw client connection to a listening kubelet API: collects what it receives. */
async function rawClient(port: number): Promise<{ sock: Socket; received: () => string; waitFor: (s: string) => Promise<void> }> {
  const sock = connect({ host: "127.0.0.1", port });
  await once(sock, "connect");
  let got = "";
  const waiters: Array<() => void> = [];
  sock.on("data", (d) => { got += d.toString("latin1"); for (const w of waiters.splice(0)) w(); });
  sock.on("close", () => { for (const w of waiters.splice(0)) w(); });
  const waitFor = async (s: string) => {
    const deadline = Date.now() + 5000;
    while (!got.includes(s)) {
      if (sock.destroyed || Date.now() > deadline) throw new Error(`never received ${JSON.stringify(s)}; got ${JSON.stringify(got)}`);
      await new Promise<void>((r) => { waiters.push(r); setTimeout(r, 100); });
    }
  };
  return { sock, received: () => got, waitFor };
}

const upgradeHead = (path: string, extra = "") =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n${extra}Content-Length: 0\r\n\r\n`;

const h = { name: "node", host: { serve: nodeServe, net: nodeNet } };
{
  test(`${h.name}: the proxy relays the runtime's 101 and bytes both ways, and closes the runtime side when the client goes`, async () => {
    const fake = await fakeStreamingServer();
    const runtime = new FakeRuntime(`http://127.0.0.1:${fake.port}/exec/tok3n`);
    const listening = await h.host.serve.listen({ host: "127.0.0.1", port: 0 }, (r) => createKubeletApiHandler({ pods: () => [pod], streaming: deps(runtime, { dial: h.host.net.dial!.bind(h.host.net) }) })(r));
    try {
      const c = await rawClient(listening.port);
      // Bytes sent right behind the request head (the 'upgrade' event's head) reach the runtime too.
      c.sock.write(upgradeHead("/exec/default/web/main?command=cat&input=1&output=1") + "early;");
      await c.waitFor("101 Switching Protocols");
      await c.waitFor("EARLY;");
      c.sock.write("hello");
      await c.waitFor("HELLO");
      assert.match(c.received(), /^HTTP\/1\.1 101 Switching Protocols\r\n/);
      assert.match(fake.heads[0]!, /^POST \/exec\/tok3n HTTP\/1\.1\r\nHost: 127\.0\.0\.1:\d+\r\n/);
      assert.match(fake.heads[0]!, /x-stream-protocol-version: v4\.channel\.k8s\.io/);
      c.sock.destroy();
      await fake.closed;
    } finally {
      await listening.close();
      fake.server.close();
    }
  });

  test(`${h.name}: authentication runs before the upgrade: 401 without credentials and the runtime is never asked`, async () => {
    const fake = await fakeStreamingServer();
    const runtime = new FakeRuntime(`http://127.0.0.1:${fake.port}/exec/tok3n`);
    const api = new TokenApi();
    const config = defaultKubeletConfiguration();
    const handler = kubeletServerHandler({
      config, clock: fakeClock().clock, log: createLogger(0), nodeName: "n1", api,
      handler: { pods: () => [pod], streaming: deps(runtime, { dial: h.host.net.dial!.bind(h.host.net) }) },
    });
    const listening = await h.host.serve.listen({ host: "127.0.0.1", port: 0 }, handler);
    try {
      const anon = await rawClient(listening.port);
      anon.sock.write(upgradeHead("/exec/default/web/main?command=ls&output=1"));
      await anon.waitFor("Unauthorized");
      assert.match(anon.received(), /^HTTP\/1\.1 401 Unauthorized\r\n/);
      await once(anon.sock, "close");
      assert.is(runtime.calls.length, 0);

      const alice = await rawClient(listening.port);
      alice.sock.write(upgradeHead("/exec/default/web/main?command=ls&output=1", "Authorization: Bearer t-alice\r\n"));
      await alice.waitFor("101 Switching Protocols");
      assert.equal(api.reviews, ["alice create proxy"]);
      assert.not.match(fake.heads[0]!, /authorization/i);
      alice.sock.destroy();
    } finally {
      await listening.close();
      fake.server.close();
    }
  });
}

/** An API server fake for the auth filter: token t-alice is alice, who may create nodes/proxy. */
class TokenApi implements ApiTransport {
  readonly server = "https://fake-apiserver:6443";
  reviews: string[] = [];
  async request<T>(r: ApiRequest): Promise<ApiResponse<T>> {
    const body = r.body as { spec: Record<string, any> };
    if (r.path.endsWith("/tokenreviews")) {
      const ok = body.spec.token === "t-alice";
      return { status: 201, body: { status: ok ? { authenticated: true, user: { username: "alice", groups: [] } } : { authenticated: false } } as T };
    }
    const a = body.spec.resourceAttributes;
    this.reviews.push(`${body.spec.user} ${a.verb} ${a.subresource}`);
    return { status: 201, body: { status: { allowed: body.spec.user === "alice" && a.verb === "create" && a.subresource === "proxy" } } as T };
  }
  watch(): Promise<void> { throw new Error("no watches"); }
  close(): void {}
}

test.run();
