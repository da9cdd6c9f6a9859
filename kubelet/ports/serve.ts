/**
 * The `Serve` port: serve HTTP or HTTPS with a web-standard `(Request) => Response` handler, so the
 * kubelet API and healthz handlers are written once and every host serves them.
 */
import type { DuplexSocket } from "./net.ts";

export type { DuplexSocket };

/** Who is calling: the peer address, and for TLS connections the client certificate if one was sent. */
export interface ConnInfo {
  remoteAddress: string;
  remotePort: number;
  /** Present on TLS connections. */
  tls?: {
    /** True when the client certificate verified against `clientCA`. */
    authorized: boolean;
    /** Subject of the client certificate, if the client sent one (user = CN, groups = O). */
    peer?: { commonName?: string; organizations: string[] };
  };
}

/** A request handler; `req.signal` aborts when the client goes away. */
export type HttpHandler = (req: Request, conn: ConnInfo) => Promise<Response>;

/** TLS material as PEM text or bytes. */
export interface ServeTls {
  cert: Uint8Array | string;
  key: Uint8Array | string;
  /** CA bundle to verify client certificates with; clients may still connect without one. */
  clientCA?: Uint8Array | string;
}

/** Where and how to listen. */
export interface ServeOptions {
  host: string;
  /** 0 picks a free port (see `Listening.port`). */
  port: number;
  tls?: ServeTls;
  /** Called when a handler throws (the client gets a 500). */
  onError?: (err: unknown) => void;
}

/** A listening server. */
export interface Listening {
  host: string;
  port: number;
  /** Stops accepting and closes open connections. */
  close(): Promise<void>;
}

/** Serves a handler on a TCP address. */
export interface Serve {
  listen(options: ServeOptions, handler: HttpHandler): Promise<Listening>;
}


const takeOvers = new WeakMap<Response, (socket: DuplexSocket) => void | Promise<void>>();

/**
 * A handler's answer to an HTTP upgrade request that takes the connection over instead of
 * responding: the host hands the raw client connection (bytes after the request head, TLS
 * already removed) to `onSocket`, which writes whatever response it wants (say a relayed
 * `101 Switching Protocols`) and owns the connection until it closes it. Because it is an
 * ordinary return value, filters in front of the handler (authentication) run first. Hosts
 * that cannot take a connection over answer 501; on a request that is not an upgrade, 500.
 */
export function upgradeResponse(onSocket: (socket: DuplexSocket) => void | Promise<void>): Response {
  const res = new Response(null, { status: 200 });
  takeOvers.set(res, onSocket);
  return res;
}

/** The connection taker of an `upgradeResponse`, for hosts; `undefined` for ordinary responses. */
export function takeOverOf(res: Response): ((socket: DuplexSocket) => void | Promise<void>) | undefined {
  return takeOvers.get(res);
}
