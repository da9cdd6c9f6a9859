/**
 * `/exec`, `/attach` and `/portForward`: the kubelet end of `kubectl exec`, `attach` and
 * `port-forward`. As upstream's kubelet 1.20 with a CRI runtime (server.getExec/getAttach/
 * getPortForward, redirect-container-streaming off), the kubelet does not speak the stream
 * protocols (SPDY, WebSocket channels) itself: it asks the runtime for a streaming URL (CRI Exec,
 * Attach, PortForward), sends the client's upgrade request there, and relays bytes both ways —
 * the runtime's `101 Switching Protocols` first — until either side closes.
 */
import type { Pod } from "../../bindings/kube/types.ts";
import { CONTAINER_NAME_LABEL, POD_UID_LABEL } from "../kuberuntime/labels.ts";
import type { Cri } from "../ports/cri.ts";
import { isCriError } from "../ports/cri.ts";
import type { DuplexSocket } from "../ports/net.ts";
import { upgradeResponse } from "../ports/serve.ts";

/** The streaming endpoints, by their path's first segment. */
export type StreamKind = "exec" | "attach" | "portForward";

/** Which pod (and container) a streaming path names. */
export interface StreamRoute {
  kind: StreamKind;
  namespace: string;
  pod: string;
  /** Set when the path carries the pod UID (`/exec/{ns}/{pod}/{uid}/{container}`). */
  uid?: string;
  /** exec and attach only. */
  container?: string;
}

/** upstream remotecommand Options: which streams the client wants, and a terminal. */
export interface StreamOptions { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }

/** A refusal with upstream's status code and message. */
export class StreamRequestError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/**
 * The route of a streaming path after `/{kind}/`: `{ns}/{pod}[/{uid}]/{container}` for exec and
 * attach, `{ns}/{pod}[/{uid}]` for portForward; `undefined` when the path has another shape (404).
 */
export function parseStreamRoute(kind: StreamKind, rest: string): StreamRoute | undefined {
  const parts = rest.split("/").map(decodeURIComponent);
  if (parts.some((p) => p === "")) return undefined;
  if (kind === "portForward") {
    if (parts.length === 2) return { kind, namespace: parts[0]!, pod: parts[1]! };
    if (parts.length === 3) return { kind, namespace: parts[0]!, pod: parts[1]!, uid: parts[2]! };
    return undefined;
  }
  if (parts.length === 3) return { kind, namespace: parts[0]!, pod: parts[1]!, container: parts[2]! };
  if (parts.length === 4) return { kind, namespace: parts[0]!, pod: parts[1]!, uid: parts[2]!, container: parts[3]! };
  return undefined;
}

/**
 * The stream flags of an exec/attach query as kube-apiserver sends them to the kubelet: `input`,
 * `output`, `error` and `tty` (kubectl's stdin/stdout/stderr renamed; only "1" means yes, as
 * upstream reads them). A terminal has no separate stderr, so tty drops stderr; at least one
 * stream is required.
 */
export function parseStreamOptions(query: URLSearchParams): StreamOptions {
  const on = (name: string) => query.get(name) === "1";
  const o: StreamOptions = { stdin: on("input"), stdout: on("output"), stderr: on("error"), tty: on("tty") };
  if (o.tty && o.stderr) o.stderr = false;
  if (!o.stdin && !o.stdout && !o.stderr) throw new StreamRequestError(400, "you must specify at least 1 of stdin, stdout, stderr");
  return o;
}

/** The command of an exec query: every `command` parameter, in order. */
export function execCommand(query: URLSearchParams): string[] {
  return query.getAll("command");
}

/** True for a WebSocket upgrade request (`Connection: upgrade`, `Upgrade: websocket`). */
function isWebSocketRequest(req: Request): boolean {
  return isUpgradeRequest(req) && (req.headers.get("upgrade") ?? "").toLowerCase() === "websocket";
}

/**
 * The ports of a port-forward request (upstream portforward.NewV4Options): none for SPDY, whose
 * client names ports per stream; WebSocket clients must give `port` parameters, each 1..65535.
 */
export function portForwardPorts(req: Request): number[] {
  if (!isWebSocketRequest(req)) return [];
  const values = new URL(req.url).searchParams.getAll("port");
  if (values.length === 0) throw new StreamRequestError(400, `query parameter "port" is required`);
  return values.map((v) => {
    if (!/^\d+$/.test(v) || Number(v) > 65535) throw new StreamRequestError(400, `unable to parse "${v}" as a port: strconv.ParseUint: parsing "${v}": invalid syntax`);
    if (Number(v) < 1) throw new StreamRequestError(400, `port "${v}" must be > 0`);
    return Number(v);
  });
}

/** True when the request asks to switch protocols (`Connection` lists `upgrade`, `Upgrade` is set). */
export function isUpgradeRequest(req: Request): boolean {
  const connection = (req.headers.get("connection") ?? "").toLowerCase().split(",").map((t) => t.trim());
  return connection.includes("upgrade") && Boolean(req.headers.get("upgrade"));
}

/** Hop-by-hop or kubelet-only headers not sent on to the runtime. */
const NOT_FORWARDED = new Set(["host", "authorization", "content-length", "transfer-encoding", "keep-alive", "proxy-connection"]);
/** Headers whose values are lists the runtime reads one item per header line (Go's Header[key]). */
const ONE_PER_LINE = new Set(["x-stream-protocol-version"]);

/**
 * The HTTP/1.1 request head sent to the runtime: the client's method and headers (the upgrade
 * negotiation: Connection, Upgrade, X-Stream-Protocol-Version, Sec-WebSocket-*) on the streaming
 * URL's path and query, with the runtime as Host. The client's credentials stay at the kubelet.
 */
export function upgradeRequestHead(req: Request, target: URL): string {
  let head = `${req.method} ${target.pathname || "/"}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\n`;
  req.headers.forEach((value, name) => {
    if (NOT_FORWARDED.has(name)) return;
    const values = ONE_PER_LINE.has(name) ? value.split(",").map((v) => v.trim()).filter((v) => v !== "") : [value];
    for (const v of values) head += `${name}: ${v}\r\n`;
  });
  return `${head}\r\n`;
}

/** Opens a TCP connection (the Net port's `dial`). */
export type Dial = (host: string, port: number, timeoutMs: number) => Promise<DuplexSocket>;

const DIAL_TIMEOUT_MS = 30_000;

/**
 * Proxies an upgrade request to `target` (upstream UpgradeAwareHandler with upgrade required):
 * dials the runtime (500 if that fails), then takes the client connection over, sends the request
 * head and relays bytes both ways — the runtime's response, normally `101 Switching Protocols`,
 * included — until one direction ends; then both connections close.
 */
export async function proxyUpgrade(req: Request, target: URL, dial: Dial, dialTimeoutMs = DIAL_TIMEOUT_MS): Promise<Response> {
  if (target.protocol !== "http:") return textResponse(500, `unsupported streaming URL scheme "${target.protocol.replace(/:$/, "")}"`);
  const host = target.hostname.replace(/^\[|\]$/g, "");
  const port = Number(target.port || 80);
  let backend: DuplexSocket;
  try {
    backend = await dial(host, port, dialTimeoutMs);
  } catch (err) {
    return textResponse(500, `error dialing backend: ${err instanceof Error ? err.message : String(err)}`);
  }
  const head = new TextEncoder().encode(upgradeRequestHead(req, target));
  return upgradeResponse(async (client) => {
    try {
      const writer = backend.writable.getWriter();
      await writer.write(head);
      writer.releaseLock();
      await Promise.race([
        client.readable.pipeTo(backend.writable).catch(() => {}),
        backend.readable.pipeTo(client.writable).catch(() => {}),
      ]);
    } finally {
      client.close();
      backend.close();
    }
  });
}

const TEXT = { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" };

function textResponse(status: number, body: string): Response {
  return new Response(body, { status, headers: TEXT });
}

/** The pods and runtime facts the streaming endpoints need (a narrow view of the kubelet). */
export interface StreamTargetSource {
  /** The pod `namespace/name` this kubelet runs. */
  pod(namespace: string, name: string): Pod | undefined | Promise<Pod | undefined>;
  /** The runtime ID of the running container `name` of the pod with `podUid`, if it runs. */
  runningContainerId(podUid: string, name: string): Promise<string | undefined>;
  /** The runtime ID of the pod's newest sandbox, if it has one. */
  sandboxId(podUid: string): Promise<string | undefined>;
}

/** A StreamTargetSource over the kubelet's pods and the runtime's container and sandbox lists. */
export function kubeletStreamSource(pods: () => Pod[], cri: Pick<Cri, "listContainers" | "listPodSandbox">): StreamTargetSource {
  return {
    pod: (namespace, name) => pods().find((p) => p.metadata.namespace === namespace && p.metadata.name === name),
    async runningContainerId(podUid, name) {
      const list = await cri.listContainers({
        state: { state: "CONTAINER_RUNNING" }, labelSelector: { [POD_UID_LABEL]: podUid, [CONTAINER_NAME_LABEL]: name },
      });
      return [...list].sort((a, b) => b.createdAt - a.createdAt)[0]?.id;
    },
    async sandboxId(podUid) {
      const list = await cri.listPodSandbox({ labelSelector: { [POD_UID_LABEL]: podUid } });
      return [...list].sort((a, b) => b.createdAt - a.createdAt)[0]?.id;
    },
  };
}

/** What serving the streaming endpoints needs. */
export interface StreamingDeps {
  source: StreamTargetSource;
  runtime: Pick<Cri, "exec" | "attach" | "portForward" | "execSync">;
  /** Connects to the runtime's streaming server; without it the endpoints answer 501. */
  dial?: Dial;
  /** Base for a relative streaming URL from the runtime (containerd answers absolute ones). */
  streamingBase?: string;
}

/** A runtime error as upstream's streaming.WriteError answers it: NotFound 404, otherwise 500. */
function runtimeError(err: unknown): StreamRequestError {
  const message = err instanceof Error ? err.message : String(err);
  if (isCriError(err, "NotFound")) return new StreamRequestError(404, message);
  if (isCriError(err, "ResourceExhausted")) return new StreamRequestError(429, message);
  return new StreamRequestError(500, message);
}

/** The streaming URL the runtime answered, resolved against `base` when relative. */
export function resolveStreamingUrl(url: string, base: string | undefined): URL {
  try {
    return new URL(url, base);
  } catch {
    throw new StreamRequestError(500, `the runtime returned a streaming URL that cannot be used: "${url}"`);
  }
}

async function streamingUrl(route: StreamRoute, req: Request, url: URL, deps: StreamingDeps): Promise<string> {
  const pod = await deps.source.pod(route.namespace, route.pod);
  if (!pod) throw new StreamRequestError(404, "pod does not exist");
  const podUid = route.uid ?? pod.metadata.uid ?? "";
  if (route.kind === "portForward") {
    const ports = portForwardPorts(req);
    if (route.uid !== undefined && route.uid !== pod.metadata.uid) throw new StreamRequestError(404, "pod not found");
    const sandbox = await deps.source.sandboxId(podUid).catch((err) => { throw runtimeError(err); });
    if (!sandbox) throw new StreamRequestError(500, `failed to find sandboxID for pod "${route.pod}_${route.namespace}(${podUid})"`);
    return deps.runtime.portForward(sandbox, ports).catch((err) => { throw runtimeError(err); });
  }
  const name = route.container!;
  const id = await deps.source.runningContainerId(podUid, name).catch((err) => { throw runtimeError(err); });
  if (!id) throw new StreamRequestError(500, `container not found ("${name}")`);
  const opts = parseStreamOptions(url.searchParams);
  if (route.kind === "exec") {
    return deps.runtime.exec({ containerId: id, cmd: execCommand(url.searchParams), ...opts }).catch((err) => { throw runtimeError(err); });
  }
  // Attach follows the container's own terminal setting, as upstream GetAttach does.
  const spec = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].find((c) => c.name === name);
  const tty = spec ? spec.tty === true : opts.tty;
  return deps.runtime.attach({ containerId: id, stdin: opts.stdin, stdout: opts.stdout, stderr: tty ? false : opts.stderr, tty })
    .catch((err) => { throw runtimeError(err); });
}

/** Answers one streaming request; `rest` is the path after `/{kind}/`. */
export async function serveStreaming(kind: StreamKind, rest: string, req: Request, deps: StreamingDeps): Promise<Response> {
  const route = parseStreamRoute(kind, rest);
  if (!route) return textResponse(404, "404 page not found\n");
  if (req.method !== "GET" && req.method !== "POST") return new Response("405 method not allowed\n", { status: 405, headers: { ...TEXT, allow: "GET, POST" } });
  try {
    const url = new URL(req.url);
    // Validate the query before asking the runtime for anything (upstream's order: options, pod, runtime).
    if (kind !== "portForward") parseStreamOptions(url.searchParams);
    else portForwardPorts(req);
    if (!isUpgradeRequest(req)) throw new StreamRequestError(400, "Upgrade request required");
    if (!deps.dial) throw new StreamRequestError(501, `${kind} is not supported on this host: it cannot open connections to the runtime's streaming server`);
    const target = resolveStreamingUrl(await streamingUrl(route, req, url, deps), deps.streamingBase);
    return await proxyUpgrade(req, target, deps.dial);
  } catch (err) {
    if (err instanceof StreamRequestError) return textResponse(err.status, err.message);
    throw err;
  }
}

/**
 * `POST /run/{ns}/{pod}[/{uid}]/{container}?cmd=...`: runs the space-separated `cmd` in the
 * running container (CRI ExecSync, no timeout) and answers its stdout then stderr, as upstream's
 * getRun/RunInContainer; a non-zero exit is a 500 naming the command, exit code and stderr.
 */
export async function serveRun(rest: string, req: Request, deps: StreamingDeps): Promise<Response> {
  const route = parseStreamRoute("exec", rest);
  if (!route) return textResponse(404, "404 page not found\n");
  if (req.method !== "POST") return new Response("405 method not allowed\n", { status: 405, headers: { ...TEXT, allow: "POST" } });
  try {
    const pod = await deps.source.pod(route.namespace, route.pod);
    if (!pod) throw new StreamRequestError(404, "pod does not exist");
    const cmd = (new URL(req.url).searchParams.get("cmd") ?? "").split(" ");
    const name = route.container!;
    const id = await deps.source.runningContainerId(route.uid ?? pod.metadata.uid ?? "", name).catch((err) => { throw runtimeError(err); });
    if (!id) throw new StreamRequestError(500, `container not found ("${name}")`);
    const res = await deps.runtime.execSync(id, cmd, 0).catch((err) => { throw new StreamRequestError(500, err instanceof Error ? err.message : String(err)); });
    if (res.exitCode !== 0) {
      throw new StreamRequestError(500, `command '${cmd.join(" ")}' exited with ${res.exitCode}: ${new TextDecoder().decode(res.stderr)}`);
    }
    const out = new Uint8Array(res.stdout.byteLength + res.stderr.byteLength);
    out.set(res.stdout, 0);
    out.set(res.stderr, res.stdout.byteLength);
    return new Response(out, { status: 200, headers: { "content-type": "application/json" } });
  } catch (err) {
    if (err instanceof StreamRequestError) return textResponse(err.status, err.message);
    throw err;
  }
}
