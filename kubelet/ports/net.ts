/** The `Net` port: the network calls probes and lifecycle hooks make (HTTP GET, TCP connect, gRPC health). */

/** An HTTP response as probes see it: redirects are not followed by the port. */
export interface HttpResult { status: number; headers: Record<string, string>; body: string }

/** Network operations; every call honours its timeout and rejects on connection errors. */
export interface Net {
  /** GET `url` (http or https, certificates not verified, as upstream probes); reads at most `maxBodyBytes`. */
  httpGet(url: string, headers: Record<string, string>, timeoutMs: number, maxBodyBytes?: number): Promise<HttpResult>;
  /** Opens and closes a TCP connection. */
  tcpConnect(host: string, port: number, timeoutMs: number): Promise<void>;
}
