/** The `Net` port: the network calls probes and lifecycle hooks make (HTTP GET, TCP connect, gRPC health). */

/** An HTTP response as probes see it: redirects are not followed by the port. */
export interface HttpResult { status: number; headers: Record<string, string>; body: string }

/**
 * A byte stream both ways: a TCP connection, or an HTTP connection taken over after an upgrade.
 * Closing the writable half-closes (FIN); `close()` tears both directions down at once.
 */
export interface DuplexSocket {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
  /** Closes both directions now (idempotent). */
  close(): void;
}

/** Network operations; every call honours its timeout and rejects on connection errors. */
export interface Net {
  /** GET `url` (http or https, certificates not verified, as upstream probes); reads at most `maxBodyBytes`. */
  httpGet(url: string, headers: Record<string, string>, timeoutMs: number, maxBodyBytes?: number): Promise<HttpResult>;
  /** Opens and closes a TCP connection. */
  tcpConnect(host: string, port: number, timeoutMs: number): Promise<void>;
  /**
   * Opens a TCP connection and keeps it (the kubelet API proxies exec/attach/port-forward streams
   * to the runtime's streaming server with it); rejects like `tcpConnect`. Hosts without it cannot
   * proxy streams.
   */
  dial?(host: string, port: number, timeoutMs: number): Promise<DuplexSocket>;
}
