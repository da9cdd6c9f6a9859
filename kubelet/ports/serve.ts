/**
 * The `Serve` port: serve HTTP or HTTPS with a web-standard `(Request) => Response` handler, so the
 * kubelet API and healthz handlers are written once and every host serves them.
 */

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
