/** The `Serve` port on `node:http` / `node:https`: adapts Node requests to web Request/Response. */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import type { TLSSocket } from "node:tls";
import type { ConnInfo, HttpHandler, Listening, Serve, ServeOptions } from "../../kubelet/ports/serve.ts";

function toBuffer(v: Uint8Array | string): Buffer {
  return typeof v === "string" ? Buffer.from(v) : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function connInfo(req: IncomingMessage, tls: boolean): ConnInfo {
  const socket = req.socket;
  const info: ConnInfo = { remoteAddress: socket.remoteAddress ?? "", remotePort: socket.remotePort ?? 0 };
  if (tls) {
    const s = socket as TLSSocket;
    const cert = s.getPeerCertificate();
    const subject = cert && Object.keys(cert).length > 0 ? cert.subject : undefined;
    const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
    info.tls = {
      authorized: s.authorized,
      peer: subject ? { commonName: list(subject.CN)[0], organizations: list(subject.O) } : undefined,
    };
  }
  return info;
}

function toRequest(req: IncomingMessage, tls: boolean, fallbackHost: string, signal: AbortSignal): Request {
  const url = new URL(req.url ?? "/", `${tls ? "https" : "http"}://${req.headers.host ?? fallbackHost}`);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name.startsWith(":")) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
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

/** Node's HTTP(S) server as the kubelet's Serve port. */
export const nodeServe: Serve = {
  async listen(options: ServeOptions, handler: HttpHandler): Promise<Listening> {
    const tls = options.tls;
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
          response = await handler(request, connInfo(req, tls !== undefined));
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
      }),
    };
  },
};
