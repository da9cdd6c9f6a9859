/**
 * The `ApiTransport` port on Node: HTTPS (node:https) to the API server with the kubeconfig's CA,
 * client certificate/key or bearer token, one keep-alive agent, per-request timeouts, JSON bodies,
 * ApiError with the server's Status for non-2xx answers, and streaming watches.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { WatchDecoder } from "../../kubelet/apiclient/watchDecoder.ts";
import type { ApiConnectionSettings } from "../../kubelet/config/kubeconfig.ts";
import type { Logger } from "../../kubelet/log.ts";
import { ApiError, ApiUnreachableError, type ApiRequest, type ApiResponse, type ApiStatus, type ApiTransport, type WatchEvent } from "../../kubelet/ports/api.ts";
import { KUBERNETES_VERSION, VERSION } from "../../kubelet/version.ts";

/** Options of the Node transport; every field has a default. */
export interface NodeApiTransportOptions {
  /** Deadline of a request without its own `timeoutMs`. Default 30 s (client-go's kubelet default). */
  timeoutMs?: number;
  /** Extra time a watch may stay silent past its `timeoutSeconds` before the client gives up. Default 30 s. */
  watchGraceMs?: number;
  userAgent?: string;
}

type Query = ApiRequest["query"];

function encodeQuery(query: Query): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params.append(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : "";
}

function parseBody(text: string, res: IncomingMessage): unknown {
  if (text === "") return undefined;
  const type = String(res.headers["content-type"] ?? "");
  if (type.includes("json") || /^\s*[{[]/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      // fall through: keep the text so the error shows what the server said
    }
  }
  return text;
}

function apiErrorFor(status: number, statusText: string | undefined, body: unknown, what: string): ApiError {
  const s = body && typeof body === "object" && (body as ApiStatus).kind === "Status" ? (body as ApiStatus) : undefined;
  const message = s ? undefined : typeof body === "string" && body ? { message: body.slice(0, 500) } : undefined;
  return new ApiError(status, s?.reason || statusText || "Error", s ?? message, what);
}

/** An ApiTransport over node:https (or node:http for an http:// server, e.g. in tests). */
export class NodeApiTransport implements ApiTransport {
  readonly server: string;
  private agent: HttpAgent;
  private closed = false;
  private readonly timeoutMs: number;
  private readonly watchGraceMs: number;
  private readonly userAgent: string;
  private readonly secure: boolean;

  constructor(private settings: ApiConnectionSettings, log: Logger, opts: NodeApiTransportOptions = {}) {
    this.server = settings.server.replace(/\/+$/, "");
    this.secure = this.server.startsWith("https:");
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.watchGraceMs = opts.watchGraceMs ?? 30_000;
    this.userAgent = opts.userAgent ?? `kubelet-ts/${VERSION} (${process.platform}/${process.arch === "x64" ? "amd64" : process.arch}) kubernetes/${KUBERNETES_VERSION}`;
    if (settings.insecureSkipTlsVerify && this.secure) {
      log.warn("insecure-skip-tls-verify is set: the API server's certificate is NOT verified; anyone on the path can impersonate it", { kubeconfig: settings.source, server: this.server });
    }
    this.agent = this.makeAgent();
  }

  private makeAgent(): HttpAgent {
    const s = this.settings;
    if (!this.secure) return new HttpAgent({ keepAlive: true });
    return new HttpsAgent({
      keepAlive: true,
      ca: s.caPem,
      cert: s.clientCertPem,
      key: s.clientKeyPem,
      rejectUnauthorized: !s.insecureSkipTlsVerify,
      servername: s.tlsServerName,
    });
  }

  /** Switches to a new client certificate (rotation); open connections are closed, later requests use it. */
  setClientCertificate(certPem: string, keyPem: string): void {
    this.settings = { ...this.settings, clientCertPem: certPem, clientKeyPem: keyPem };
    this.resetConnections();
  }

  /** Drops every connection (upstream closes them after repeated heartbeat failures); requests reconnect. */
  resetConnections(): void {
    const old = this.agent;
    this.agent = this.makeAgent();
    old.destroy();
  }

  private headers(req: { method: string; body?: unknown; contentType?: string }, payload?: string): Record<string, string> {
    const h: Record<string, string> = { accept: "application/json", "user-agent": this.userAgent };
    if (this.settings.token) h.authorization = `Bearer ${this.settings.token}`;
    if (payload !== undefined) {
      h["content-type"] = req.method === "PATCH" ? req.contentType ?? "application/merge-patch+json" : "application/json";
      h["content-length"] = String(Buffer.byteLength(payload));
    }
    return h;
  }

  private open(method: string, path: string, query: Query, headers: Record<string, string>, signal: AbortSignal | undefined) {
    if (this.closed) throw new Error(`API transport to ${this.server} is closed`);
    const url = `${this.server}${path}${encodeQuery(query)}`;
    const send = this.secure ? httpsRequest : httpRequest;
    return send(url, { method, agent: this.agent, headers, signal });
  }

  request<T = unknown>(req: ApiRequest): Promise<ApiResponse<T>> {
    const what = `${req.method} ${req.path}`;
    const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
    const timeoutMs = req.timeoutMs ?? this.timeoutMs;
    return new Promise((resolve, reject) => {
      let r: ReturnType<typeof httpsRequest>;
      try {
        r = this.open(req.method, req.path, req.query, this.headers(req, payload), req.signal);
      } catch (err) {
        reject(err);
        return;
      }
      const timer = setTimeout(() => r.destroy(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      r.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", (err) => {
          clearTimeout(timer);
          reject(new Error(`${what} to ${this.server}: response interrupted: ${err.message}`));
        });
        res.on("end", () => {
          clearTimeout(timer);
          const status = res.statusCode ?? 0;
          const body = parseBody(Buffer.concat(chunks).toString("utf8"), res);
          if (status >= 200 && status < 300) resolve({ status, body: body as T });
          else reject(apiErrorFor(status, res.statusMessage, body, what));
        });
      });
      r.on("error", (err) => {
        clearTimeout(timer);
        if (req.signal?.aborted) reject(new Error(`${what}: aborted`));
        else reject(new ApiUnreachableError(`${what}: cannot reach the API server at ${this.server}: ${err.message}`, (err as NodeJS.ErrnoException).code));
      });
      r.end(payload);
    });
  }

  watch<T = unknown>(path: string, query: Query, onEvent: (e: WatchEvent<T>) => void, signal?: AbortSignal): Promise<void> {
    const what = `watch ${path}`;
    const q = { ...query, watch: true };
    const serverTimeout = typeof query?.timeoutSeconds === "number" ? query.timeoutSeconds * 1000 : undefined;
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err && !signal?.aborted) reject(err);
        else resolve();
      };
      let r: ReturnType<typeof httpsRequest>;
      try {
        r = this.open("GET", path, q, this.headers({ method: "GET" }), signal);
      } catch (err) {
        reject(err);
        return;
      }
      // Until the headers arrive the normal deadline applies; then only the watch's own timeout (plus grace).
      let timer = setTimeout(() => r.destroy(new Error(`no response in ${this.timeoutMs} ms`)), this.timeoutMs);
      r.on("response", (res) => {
        clearTimeout(timer);
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => finish(apiErrorFor(status, res.statusMessage, parseBody(Buffer.concat(chunks).toString("utf8"), res), what)));
          res.on("error", (err) => finish(new Error(`${what}: ${err.message}`)));
          return;
        }
        if (serverTimeout !== undefined) {
          timer = setTimeout(() => r.destroy(new Error(`the server did not end the watch within its timeout (${serverTimeout} ms)`)), serverTimeout + this.watchGraceMs);
        }
        const decoder = new WatchDecoder<T>(what);
        const deliver = (events: WatchEvent<T>[]) => {
          for (const e of events) onEvent(e);
        };
        res.on("data", (chunk: Buffer) => {
          try {
            deliver(decoder.push(chunk));
          } catch (err) {
            r.destroy();
            finish(err as Error);
          }
        });
        res.on("end", () => {
          try {
            deliver(decoder.end());
            finish();
          } catch (err) {
            finish(err as Error);
          }
        });
        res.on("error", (err) => finish(new Error(`${what}: stream from ${this.server} interrupted: ${err.message}`)));
        res.on("close", () => {
          if (!res.complete) finish(new Error(`${what}: stream from ${this.server} closed before its end`));
        });
      });
      r.on("error", (err) => finish(new ApiUnreachableError(`${what}: cannot reach the API server at ${this.server}: ${err.message}`, (err as NodeJS.ErrnoException).code)));
      r.end();
    });
  }

  close(): void {
    this.closed = true;
    this.agent.destroy();
  }
}
