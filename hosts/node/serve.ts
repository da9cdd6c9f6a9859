/** The `Serve` port on `node:http` / `node:https`: adapts Node requests to web Request/Response. */
import { createServer as createHttpServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { X509Certificate } from "node:crypto";
import { Readable } from "node:stream";
import type { TLSSocket } from "node:tls";
import { takeOverOf, type ConnInfo, type HttpHandler, type Listening, type Serve, type ServeOptions } from "../../kubelet/ports/serve.ts";
import { duplexOf } from "./net.ts";

function toBuffer(v: Uint8Array | string): Buffer {
  return typeof v === "string" ? Buffer.from(v) : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** Decides whether a TLS peer's certificate verifies (when the TLS stack's own answer is not used). */
type PeerVerifier = (socket: TLSSocket) => boolean;

function connInfo(req: IncomingMessage, tls: boolean, verifyPeer?: PeerVerifier): ConnInfo {
  const socket = req.socket;
  const info: ConnInfo = { remoteAddress: socket.remoteAddress ?? "", remotePort: socket.remotePort ?? 0 };
  if (tls) {
    const s = socket as TLSSocket;
    const cert = s.getPeerCertificate();
    const subject = cert && Object.keys(cert).length > 0 ? cert.subject : undefined;
    const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
    info.tls = {
      authorized: verifyPeer ? verifyPeer(s) : s.authorized,
      peer: subject ? { commonName: list(subject.CN)[0], organizations: list(subject.O) } : undefined,
    };
  }
  return info;
}

function toRequest(req: IncomingMessage, tls: boolean, fallbackHost: string, signal: AbortSignal, upgrade = false): Request {
  const url = new URL(req.url ?? "/", `${tls ? "https" : "http"}://${req.headers.host ?? fallbackHost}`);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name.startsWith(":")) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  // After an upgrade request's head the bytes belong to the upgraded protocol, not to a body.
  const hasBody = !upgrade && req.method !== "GET" && req.method !== "HEAD";
  return new Request(url, {
    method: req.method,
    headers,
    signal,
    body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
    // Required by undici for streamed request bodies.
    ...(hasBody ? { duplex: "half" } : {}),
  } as RequestInit);
}

async function writeResponse(res: ServerResponse, response: Response, head: boolean): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  res.writeHead(response.status, response.statusText || undefined, headers);
  if (!response.body || head) {
    await response.body?.cancel();
    res.end();
    return;
  }
  const reader = response.body.getReader();
  res.on("close", () => void reader.cancel().catch(() => {}));
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || res.destroyed) break;
      // Respect back-pressure so slow clients do not buffer whole streams in memory.
      if (!res.write(value)) await new Promise<void>((resolve) => res.once("drain", resolve).once("close", resolve));
    }
  } finally {
    res.end();
  }
}

/** A response written straight to a socket (an upgrade request the handler answered normally). */
async function writeRawResponse(socket: Socket, response: Response): Promise<void> {
  const body = new Uint8Array(await response.arrayBuffer());
  let head = `HTTP/1.1 ${response.status} ${response.statusText || STATUS_CODES[response.status] || ""}\r\n`;
  response.headers.forEach((value, name) => {
    if (name !== "content-length" && name !== "connection" && name !== "transfer-encoding") head += `${name}: ${value}\r\n`;
  });
  head += `content-length: ${body.byteLength}\r\nconnection: close\r\n\r\n`;
  socket.end(Buffer.concat([Buffer.from(head, "latin1"), body]));
}

/**
 * Client certificates checked in process: the peer's certificate must be issued and signed by a
 * certificate of the CA bundle (no intermediates), valid now, and not limited to other uses than
 * client authentication. For TLS stacks that accept
 * `requestCert` but do not verify against `ca` (Deno's node:tls).
 */
function inProcessPeerVerifier(caBundle: Uint8Array | string): PeerVerifier {
  const pem = typeof caBundle === "string" ? caBundle : new TextDecoder().decode(caBundle);
  const cas = (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((c) => new X509Certificate(c));
  return (socket) => {
    const peer = socket.getPeerX509Certificate?.();
    if (!peer) return false;
    const now = Date.now();
    if (now < Date.parse(peer.validFrom) || now > Date.parse(peer.validTo)) return false;
    // An extended key usage, when present, must allow client authentication (or any use).
    const usages = peer.keyUsage;
    if (usages && usages.length > 0 && !usages.includes("1.3.6.1.5.5.7.3.2") && !usages.includes("2.5.29.37.0")) return false;
    return cas.some((ca) => peer.checkIssued(ca) && peer.verify(ca.publicKey));
  };
}

/** How a Node-compatible HTTP server checks client certificates. */
export interface NodeServeOptions {
  /** "tls" (default): the TLS stack's verdict; "in-process": see inProcessPeerVerifier. */
  clientCertificates?: "tls" | "in-process";
}

/** Node's HTTP(S) server as the kubelet's Serve port. */
export const nodeServe: Serve = createNodeServe();

/** A Serve port on `node:http`/`node:https` (also under Node compatibility layers, as in Deno). */
export function createNodeServe(serveOptions: NodeServeOptions = {}): Serve {
  return { listen: (options, handler) => listenNode(options, handler, serveOptions) };
}

async function listenNode(options: ServeOptions, handler: HttpHandler, serveOptions: NodeServeOptions): Promise<Listening> {
  const tls = options.tls;
  const verifyPeer = tls?.clientCA && serveOptions.clientCertificates === "in-process" ? inProcessPeerVerifier(tls.clientCA) : undefined;
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const abort = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) abort.abort();
    });
    void (async () => {
      let request: Request;
      try {
        request = toRequest(req, tls !== undefined, `${options.host}:${options.port}`, abort.signal);
      } catch {
        res.writeHead(400, { "content-type": "text/plain; charset=utf-8" }).end("400 bad request\n");
        return;
      }
      let response: Response;
      try {
        response = await handler(request, connInfo(req, tls !== undefined, verifyPeer));
        if (takeOverOf(response)) throw new Error(`${req.method} ${req.url}: the handler took over a connection that is not an upgrade`);
      } catch (err) {
        options.onError?.(err);
        response = new Response("500 internal server error\n", { status: 500, headers: { "content-type": "text/plain; charset=utf-8" } });
      }
      try {
        await writeResponse(res, response, req.method === "HEAD");
      } catch (err) {
        options.onError?.(err);
        res.destroy();
      }
    })();
  };
  const server: Server = tls
    ? createHttpsServer({
        cert: toBuffer(tls.cert),
        key: toBuffer(tls.key),
        ...(tls.clientCA ? { ca: toBuffer(tls.clientCA), requestCert: true, rejectUnauthorized: false } : {}),
      }, onRequest)
    : createHttpServer(onRequest);
  // Upgrade requests (exec, attach, port-forward) go through the same handler; an
  // upgradeResponse takes the socket over, any other response is written and the socket closed.
  const upgraded = new Set<Socket>();
  server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const abort = new AbortController();
    socket.on("close", () => abort.abort());
    socket.on("error", () => socket.destroy());
    void (async () => {
      let response: Response;
      try {
        response = await handler(toRequest(req, tls !== undefined, `${options.host}:${options.port}`, abort.signal, true), connInfo(req, tls !== undefined, verifyPeer));
      } catch (err) {
        options.onError?.(err);
        response = new Response("500 internal server error\n", { status: 500, headers: { "content-type": "text/plain; charset=utf-8" } });
      }
      const takeOver = takeOverOf(response);
      if (!takeOver) {
        await writeRawResponse(socket, response).catch((err) => { options.onError?.(err); socket.destroy(); });
        return;
      }
      upgraded.add(socket);
      socket.on("close", () => upgraded.delete(socket));
      socket.setNoDelay(true);
      try {
        await takeOver(duplexOf(socket, head));
      } catch (err) {
        options.onError?.(err);
        socket.destroy();
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    host: address.address,
    port: address.port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
      for (const socket of upgraded) socket.destroy();
    }),
  };
}
