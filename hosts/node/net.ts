/**
 * The `Net` port on node:http / node:https / node:net. Errors read like the Go net errors the
 * upstream kubelet puts in probe and hook events (`dial tcp <ip>:<port>: connect: connection
 * refused`, `dial tcp <ip>:<port>: i/o timeout`); callers prefix `Get "<url>": ` as Go's client does.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect, type Socket } from "node:net";
import type { DuplexSocket, Net } from "../../kubelet/ports/net.ts";

/** Go's syscall error texts for the errno codes a dial or read reports. */
const ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset by peer",
  EHOSTUNREACH: "no route to host",
  ENETUNREACH: "network is unreachable",
  ETIMEDOUT: "connection timed out",
  EADDRNOTAVAIL: "cannot assign requested address",
  EPIPE: "broken pipe",
};

const joinHostPort = (host: string, port: number | string) => (host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`);

/** A socket error as Go's net package words it (`dial tcp 10.0.0.1:80: connect: connection refused`). */
export function goNetError(err: NodeJS.ErrnoException, host: string, port: number | string): string {
  if (err.code === "ENOTFOUND" || err.code === "EAI_AGAIN") return `dial tcp: lookup ${host}: no such host`;
  const text = ERRNO_TEXT[err.code ?? ""];
  if (!text) return err.message;
  if (err.syscall === "connect") return `dial tcp ${joinHostPort(host, port)}: connect: ${text}`;
  return `read tcp ${joinHostPort(host, port)}: read: ${text}`;
}

/**
 * A Node socket as the ports' DuplexSocket; `head` (bytes already read off the socket, as an
 * HTTP server's 'upgrade' event has them) comes out of the readable first. Reading pauses the
 * socket when the reader falls behind.
 */
export function duplexOf(socket: Socket, head?: Uint8Array): DuplexSocket {
  const close = () => {
    if (!socket.destroyed) socket.destroy();
  };
  const readable = new ReadableStream<Uint8Array>({
    start(c) {
      if (head && head.length > 0) c.enqueue(new Uint8Array(head));
      const finish = () => { try { c.close(); } catch { /* already closed or errored */ } };
      socket.on("data", (d: Buffer) => {
        try { c.enqueue(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)); } catch { return; }
        if ((c.desiredSize ?? 1) <= 0) socket.pause();
      });
      socket.on("end", finish);
      socket.on("close", finish);
      socket.on("error", (err) => { try { c.error(err); } catch { /* already closed */ } });
    },
    pull() { socket.resume(); },
    cancel() { close(); },
  }, { highWaterMark: 8 });
  const writable = new WritableStream<Uint8Array>({
    write: (chunk) => new Promise<void>((resolve, reject) => {
      if (socket.destroyed || socket.writableEnded) { reject(new Error("write on a closed connection")); return; }
      socket.write(chunk, (err) => (err ? reject(err) : resolve()));
    }),
    close: () => new Promise<void>((resolve) => {
      if (socket.destroyed || socket.writableEnded) resolve();
      else socket.end(resolve);
    }),
    abort() { close(); },
  });
  return { readable, writable, close };
}

const CLIENT_TIMEOUT = "context deadline exceeded (Client.Timeout exceeded while awaiting headers)";

/** Node's network stack for probes and hooks. */
export const nodeNet: Net = {
  httpGet(url, headers, timeoutMs, maxBodyBytes = 10 * 1024) {
    return new Promise((resolve, reject) => {
      const u = new URL(url);
      const port = u.port || (u.protocol === "https:" ? 443 : 80);
      const host = u.hostname.replace(/^\[|\]$/g, "");
      let settled = false;
      const fail = (message: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(new Error(message));
      };
      const req = (u.protocol === "https:" ? httpsRequest : httpRequest)(u, {
        method: "GET",
        headers: { "User-Agent": "kube-probe/1.20", Accept: "*/*", ...headers },
        rejectUnauthorized: false,
        agent: false,
      }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (d: Buffer) => {
          if (size < maxBodyBytes) chunks.push(d.subarray(0, maxBodyBytes - size));
          size += d.length;
          // Like upstream's ReadAtMost: a longer body is truncated, not an error.
          if (size >= maxBodyBytes) res.destroy();
        });
        const done = () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({
            status: res.statusCode ?? 0,
            headers: Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : v ?? ""])),
            body: Buffer.concat(chunks).toString("utf8"),
          });
        };
        res.on("end", done);
        res.on("close", done);
        res.on("error", done);
      });
      // One deadline for connect, headers and body, as Go's http.Client.Timeout.
      const timer = setTimeout(() => {
        fail(CLIENT_TIMEOUT);
        req.destroy();
      }, timeoutMs);
      req.on("error", (err: NodeJS.ErrnoException) => fail(goNetError(err, host, port)));
      req.end();
    });
  },
  tcpConnect(host, port, timeoutMs) {
    return new Promise((resolve, reject) => {
      const sock = connect({ host, port });
      const timer = setTimeout(() => { sock.destroy(); reject(new Error(`dial tcp ${joinHostPort(host, port)}: i/o timeout`)); }, timeoutMs);
      sock.once("connect", () => { clearTimeout(timer); sock.destroy(); resolve(); });
      sock.once("error", (err: NodeJS.ErrnoException) => { clearTimeout(timer); reject(new Error(goNetError(err, host, port))); });
    });
  },
  dial(host, port, timeoutMs) {
    return new Promise((resolve, reject) => {
      const sock = connect({ host, port });
      const timer = setTimeout(() => { sock.destroy(); reject(new Error(`dial tcp ${joinHostPort(host, port)}: i/o timeout`)); }, timeoutMs);
      const onError = (err: NodeJS.ErrnoException) => { clearTimeout(timer); reject(new Error(goNetError(err, host, port))); };
      sock.once("error", onError);
      sock.once("connect", () => {
        clearTimeout(timer);
        sock.off("error", onError);
        sock.setNoDelay(true);
        resolve(duplexOf(sock));
      });
    });
  },
};
