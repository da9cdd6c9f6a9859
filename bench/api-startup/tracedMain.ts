/**
 * kubelet-ts on Node with every port call timed, for profiling the API pod start path (never used
 * by the benchmark's figures). Same entry as hosts/node/main.ts, but the Host's CRI, API transport,
 * fs, cgroups and mounter are wrapped: each call appends one JSON line to $KTS_TRACE_FILE
 *   {"k":"cri"|"api"|"fs"|"cg"|"mnt"|"watch", "m": method, "t0": ms, "t1": ms, "uid"?: pod UID, "pod"?: name, ...}
 * with wall-clock times (performance.timeOrigin + now(), the watcher's clock). analyzeTrace.ts turns
 * a trace plus a benchmark result into a per-phase breakdown.
 */
import { appendFileSync, openSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { main } from "../../kubelet/cli/main.ts";
import type { ApiTransport, WatchEvent } from "../../kubelet/ports/api.ts";
import type { Cri } from "../../kubelet/ports/cri.ts";
import type { Host } from "../../kubelet/ports/host.ts";
import { nodeHost } from "../../hosts/node/host.ts";

const file = process.env.KTS_TRACE_FILE ?? "/tmp/kts-trace.jsonl";
const fd = openSync(file, "a");
let buf: string[] = [];
const flush = () => {
  if (buf.length) appendFileSync(fd, buf.join(""));
  buf = [];
};
setInterval(flush, 500).unref();
process.on("exit", flush);
const now = () => performance.timeOrigin + performance.now();
const rec = (o: Record<string, unknown>) => buf.push(`${JSON.stringify(o)}\n`);
// event-loop delay and process CPU every 250 ms: is the kubelet's own JS thread the bottleneck?
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
let lastCpu = process.cpuUsage();
setInterval(() => {
  const cpu = process.cpuUsage();
  rec({ k: "loop", t0: now(), maxMs: loop.max / 1e6, meanMs: loop.mean / 1e6, cpuMs: (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000 });
  lastCpu = cpu;
  loop.reset();
}, 250).unref();

/** Container / sandbox id -> pod UID, learned from the calls that create them and from lists. */
const owner = new Map<string, string>();
const uidOf = (m: string, args: any[]): string | undefined => {
  switch (m) {
    case "runPodSandbox": return args[0]?.metadata?.uid;
    case "createContainer": return args[2]?.metadata?.uid;
    case "pullImage": case "imageStatus": return args[2]?.metadata?.uid ?? args[1]?.metadata?.uid;
    default: return typeof args[0] === "string" ? owner.get(args[0]) : undefined;
  }
};

function wrap<T extends object>(kind: string, target: T, learn?: (m: string, args: any[], result: any) => void): T {
  return new Proxy(target, {
    get(t, prop, recv) {
      const v = Reflect.get(t, prop, recv);
      if (typeof v !== "function" || prop === "close" || prop === "watchDir") return typeof v === "function" ? v.bind(t) : v;
      return (...args: any[]) => {
        const t0 = now();
        const out = v.apply(t, args);
        if (!(out instanceof Promise)) return out;
        const m = String(prop);
        return out.then((res: any) => {
          learn?.(m, args, res);
          rec({ k: kind, m, t0, t1: now(), uid: kind === "cri" ? uidOf(m, args) : undefined, a: kind === "cri" ? undefined : typeof args[0] === "string" ? args[0] : undefined });
          return res;
        }, (err: unknown) => {
          rec({ k: kind, m, t0, t1: now(), uid: kind === "cri" ? uidOf(m, args) : undefined, a: typeof args[0] === "string" ? args[0] : undefined, err: String(err).slice(0, 200) });
          throw err;
        });
      };
    },
  });
}

function tracedCri(cri: Cri): Cri {
  return wrap("cri", cri, (m, args, res) => {
    if (m === "runPodSandbox") owner.set(res, args[0]?.metadata?.uid);
    if (m === "createContainer") owner.set(res, args[2]?.metadata?.uid);
  });
}

function tracedApi(api: ApiTransport): ApiTransport {
  return {
    get server() {
      return api.server;
    },
    async request(req) {
      const t0 = now();
      try {
        const res = await api.request(req);
        rec({ k: "api", m: req.method, a: req.path, t0, t1: now(), uid: (req.body as any)?.metadata?.uid });
        return res as any;
      } catch (err) {
        rec({ k: "api", m: req.method, a: req.path, t0, t1: now(), err: String(err).slice(0, 200) });
        throw err;
      }
    },
    watch(path, query, onEvent, signal) {
      return api.watch(path, query, (e: WatchEvent<any>) => {
        const t = now();
        if (path.endsWith("/pods")) rec({ k: "watch", m: e.type, t0: t, t1: t, uid: e.object?.metadata?.uid, pod: e.object?.metadata?.name, rv: e.object?.metadata?.resourceVersion, phase: e.object?.status?.phase });
        onEvent(e as any);
      }, signal);
    },
    close: () => api.close(),
  };
}

const host: Host = {
  ...nodeHost,
  fs: wrap("fs", nodeHost.fs),
  cgroups: wrap("cg", nodeHost.cgroups),
  mounter: wrap("mnt", nodeHost.mounter),
  connectCri: async (endpoint) => tracedCri(await nodeHost.connectCri(endpoint)),
  connectApi: async (o) => {
    const conn = await nodeHost.connectApi!(o);
    return { ...conn, api: tracedApi(conn.api) };
  },
};

main(process.argv.slice(2), host, (line) => console.error(line)).then((code) => {
  flush();
  process.exit(code);
}, (err) => {
  console.error(`kubelet-ts: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
