/**
 * The benchmark's view of the API server: admin HTTPS requests and one long-lived pod watch on the
 * benchmark namespace that timestamps every event with the watcher's own clock (wall clock with
 * sub-millisecond resolution, the same clock used for the create timestamps).
 */
import https from "node:https";
import { readFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import type { Pod } from "../../bindings/kube/types.ts";

/** Wall-clock milliseconds with sub-ms resolution. */
export const now = (): number => performance.timeOrigin + performance.now();

/** An HTTP error from the API server. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Admin client of the testbed API server (client certificate from $KTS_ENV/pki). */
export class AdminApi {
  private readonly agent: https.Agent;
  private readonly tls: { ca: Buffer; cert: Buffer; key: Buffer };

  constructor(pki: string, readonly host = "127.0.0.1", readonly port = 6443) {
    this.tls = { ca: readFileSync(`${pki}/ca.crt`), cert: readFileSync(`${pki}/admin.crt`), key: readFileSync(`${pki}/admin.key`) };
    this.agent = new https.Agent({ ...this.tls, keepAlive: true, maxSockets: 64 });
  }

  request<T = any>(method: string, path: string, body?: unknown, contentType = "application/json", timeoutMs = 60_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const r = https.request({
        host: this.host, port: this.port, method, path, agent: this.agent,
        headers: { "Content-Type": contentType, Accept: "application/json", ...(data ? { "Content-Length": Buffer.byteLength(data) } : {}) },
      }, (res) => {
        let buf = "";
        res.setEncoding("utf8");
        res.on("data", (c) => (buf += c));
        res.on("end", () => {
          if ((res.statusCode ?? 0) >= 300) return reject(new HttpError(res.statusCode ?? 0, `${method} ${path}: HTTP ${res.statusCode} ${buf.slice(0, 300)}`));
          try {
            resolve(buf ? JSON.parse(buf) : (undefined as T));
          } catch (e) {
            reject(e);
          }
        });
      });
      r.on("error", reject);
      r.setTimeout(timeoutMs, () => r.destroy(new Error(`${method} ${path}: timeout`)));
      if (data) r.write(data);
      r.end();
    });
  }

  /** Streams watch events of `path` (a list URL with watch query) to `onEvent` until the stream ends. */
  watch(path: string, onEvent: (type: string, obj: any, t: number) => void): { done: Promise<void>; stop(): void } {
    let req: ReturnType<typeof https.request> | undefined;
    const done = new Promise<void>((resolve, reject) => {
      req = https.request({ host: this.host, port: this.port, method: "GET", path, agent: new https.Agent(this.tls) }, (res: IncomingMessage) => {
        if (res.statusCode !== 200) return reject(new HttpError(res.statusCode ?? 0, `watch HTTP ${res.statusCode}`));
        res.setEncoding("utf8");
        let buf = "";
        res.on("data", (chunk: string) => {
          const t = now();
          buf += chunk;
          let i: number;
          while ((i = buf.indexOf("\n")) >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            if (!line.trim()) continue;
            let ev: { type: string; object: any };
            try {
              ev = JSON.parse(line);
            } catch {
              continue;
            }
            onEvent(ev.type, ev.object, t);
          }
        });
        res.on("end", () => resolve());
        res.on("error", () => resolve());
      });
      req.on("error", () => resolve());
      req.end();
    });
    return { done, stop: () => req?.destroy() };
  }
}

/** Running, every container started+running+ready and condition Ready=True (as podbench.js). */
export function isReady(p: Pod): boolean {
  const st = p.status;
  if (!st || st.phase !== "Running") return false;
  const cs = st.containerStatuses ?? [];
  if (!cs.length || cs.length !== p.spec.containers.length) return false;
  if (!cs.every((c) => c.ready && c.started !== false && c.state?.running)) return false;
  return (st.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
}

/** What the watcher saw of one pod. */
export interface PodTrace {
  /** Watcher clock of each event, with a short description of the status it carried. */
  events: Array<{ t: number; type: string; rv: string; what: string }>;
  readyAt?: number;
  goneAt?: number;
  /** First event with phase Running (before or with Ready). */
  runningAt?: number;
  /** First event carrying any status written by the kubelet (a condition other than PodScheduled). */
  firstKubeletStatusAt?: number;
  readyObj?: Pod;
}

function describeStatus(p: Pod): string {
  const st = p.status ?? {};
  const conds = (st.conditions ?? []).filter((c) => c.status === "True").map((c) => c.type).join(",");
  const cs = (st.containerStatuses ?? []).map((c) => (c.state?.running ? "running" : c.state?.waiting ? `waiting:${c.state.waiting.reason ?? ""}` : c.state?.terminated ? "terminated" : "?") + (c.ready ? "+ready" : "")).join(",");
  return `${st.phase ?? "-"} [${conds}] {${cs}}${p.metadata.deletionTimestamp ? " deleting" : ""}`;
}

/**
 * A watch of every pod in one namespace (re-established from the last resourceVersion if the
 * server ends it); waiters resolve on a pod's first Ready event and on its DELETED event.
 */
export class PodWatcher {
  readonly traces = new Map<string, PodTrace>();
  private readonly waiters = new Map<string, { ready?: (t: number) => void; gone?: (t: number) => void }>();
  private rv = "";
  private stopped = false;
  private current?: { stop(): void };

  constructor(private readonly api: AdminApi, private readonly ns: string) {}

  async start(): Promise<void> {
    const list = await this.api.request(`GET`, `/api/v1/namespaces/${this.ns}/pods`);
    this.rv = list.metadata.resourceVersion;
    let first!: () => void;
    const opened = new Promise<void>((r) => (first = r));
    void (async () => {
      while (!this.stopped) {
        const w = this.api.watch(`/api/v1/namespaces/${this.ns}/pods?watch=true&resourceVersion=${this.rv}&timeoutSeconds=1800&allowWatchBookmarks=true`, (type, obj, t) => this.onEvent(type, obj, t));
        this.current = w;
        first();
        await w.done.catch(async (e) => {
          if (e instanceof HttpError && e.status === 410) this.rv = (await this.api.request(`GET`, `/api/v1/namespaces/${this.ns}/pods`)).metadata.resourceVersion;
        });
        if (!this.stopped) await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await opened;
    await new Promise((r) => setTimeout(r, 200)); // the request is on the wire
  }

  stop(): void {
    this.stopped = true;
    this.current?.stop();
  }

  private onEvent(type: string, obj: any, t: number): void {
    if (type === "ERROR") {
      if (obj?.code === 410) this.rv = "";
      return;
    }
    if (obj?.metadata?.resourceVersion) this.rv = obj.metadata.resourceVersion;
    if (type === "BOOKMARK") return;
    const pod = obj as Pod;
    const name = pod.metadata.name!;
    let tr = this.traces.get(name);
    if (!tr) this.traces.set(name, (tr = { events: [] }));
    tr.events.push({ t, type, rv: pod.metadata.resourceVersion ?? "", what: describeStatus(pod) });
    if (type === "DELETED") {
      tr.goneAt ??= t;
      this.waiters.get(name)?.gone?.(t);
      return;
    }
    if (tr.firstKubeletStatusAt === undefined && (pod.status?.conditions ?? []).some((c) => c.type !== "PodScheduled")) tr.firstKubeletStatusAt = t;
    if (tr.runningAt === undefined && pod.status?.phase === "Running") tr.runningAt = t;
    if (tr.readyAt === undefined && isReady(pod)) {
      tr.readyAt = t;
      tr.readyObj = pod;
      this.waiters.get(name)?.ready?.(t);
    }
  }

  /** Resolves with the watcher time of the pod's first Ready event (or its DELETED event). */
  waitFor(name: string, what: "ready" | "gone", timeoutMs: number): Promise<number> {
    const tr = this.traces.get(name);
    const have = what === "ready" ? tr?.readyAt : tr?.goneAt;
    if (have !== undefined) return Promise.resolve(have);
    return new Promise((resolve, reject) => {
      const w = this.waiters.get(name) ?? {};
      this.waiters.set(name, w);
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${name} ${what}`)), timeoutMs);
      w[what] = (t) => {
        clearTimeout(timer);
        resolve(t);
      };
    });
  }
}

/**
 * Watches the API server itself: other engineers' tests share this control plane and some stop or
 * restart kube-apiserver (outage tests). Polls /healthz and the apiserver's PID file; a measurement
 * that overlaps an outage is disturbed and gets repeated.
 */
export class ApiMonitor {
  readonly outages: Array<{ from: number; to?: number; why: string }> = [];
  private timer?: NodeJS.Timeout;
  private pid = "";

  constructor(private readonly api: AdminApi, private readonly pidFile: string, private readonly readPid: (f: string) => string) {}

  start(): void {
    this.pid = this.readPid(this.pidFile);
    const poll = async () => {
      const t = now();
      let why = "";
      const pid = this.readPid(this.pidFile);
      if (pid !== this.pid) {
        why = `kube-apiserver pid ${this.pid} -> ${pid}`;
        this.pid = pid;
      }
      try {
        await this.api.request("GET", "/healthz", undefined, "application/json", 2000).catch((e) => {
          // /healthz answers "ok" (not JSON): only a transport error or a non-2xx status counts
          if (e instanceof SyntaxError) return;
          throw e;
        });
      } catch (e) {
        why ||= `healthz: ${e instanceof Error ? e.message.slice(0, 80) : String(e)}`;
      }
      const open = this.outages.at(-1);
      if (why && !(open && open.to === undefined)) this.outages.push({ from: t, why });
      else if (why && open && open.to === undefined && pid !== "" && why.startsWith("kube-apiserver pid")) open.why += `; ${why}`;
      else if (!why && open && open.to === undefined) open.to = now();
      this.timer = setTimeout(poll, 300);
    };
    void poll();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  /** Resolves once the API server has been healthy for `settleMs` (rejects after `timeoutMs`). */
  async waitHealthy(settleMs = 10_000, timeoutMs = 15 * 60_000): Promise<void> {
    const deadline = now() + timeoutMs;
    for (;;) {
      const last = this.outages.at(-1);
      if (!last || (last.to !== undefined && now() - last.to >= settleMs)) return;
      if (now() > deadline) throw new Error(`the API server is still unavailable after ${timeoutMs / 60_000} min (${last.why})`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** The outages overlapping [t0 - 10 s, t1] (an open one counts up to now; clients need a few seconds to reconnect after one). */
  overlapping(t0: number, t1: number): string[] {
    return this.outages.filter((o) => o.from <= t1 && (o.to ?? now()) >= t0 - 10_000).map((o) => o.why);
  }
}
