/**
 * Probe test kit: containers whose probes of one handler (exec, httpGet, tcpSocket, grpc) fail
 * exactly while /tmp/fail exists in the container, so a test flips health with one ExecSync
 * (`touch /tmp/fail`, `rm /tmp/fail`); a timeline of /pods snapshots to assert on transitions that
 * may be brief; and counting the kubelet's probe events.
 */
import type { Container, Pod, Probe } from "../../../bindings/kube/types.ts";
import { BUSYBOX_IMAGE } from "./cri.ts";
import type { KubeletProcess } from "./kubeletProcess.ts";
import { bareId, eventMessages, execIn, statusOf } from "./podKit.ts";

/** The gRPC health server image built by scripts/env/probe-images.sh. */
export const GRPC_HEALTH_IMAGE = "127.0.0.1:5000/kts-grpc-health:1";

/** A probe handler kind. */
export type Handler = "exec" | "http" | "tcp" | "grpc";

/** How the container's health starts: healthy, failing for `failFor` seconds, or failing until flipped. */
export interface TargetOptions {
  failFor?: number;
  failAlways?: boolean;
  env?: Record<string, string>;
  /** httpd's port for the http handler (default 8080), e.g. a free host port for hostNetwork pods. */
  httpPort?: number;
  /** Files to create before the server starts (e.g. /tmp/hang for the grpc server). */
  touch?: string[];
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

/** CGI scripts busybox httpd serves from /www/cgi-bin (CRLF headers, Status: sets the code). */
const CGI: Record<string, string> = {
  health: "if [ -f /tmp/fail ]; then printf 'Status: 500 Internal Server Error\\r\\nContent-Type: text/plain\\r\\n\\r\\nfailing\\n'; " +
    "else printf 'Content-Type: text/plain\\r\\n\\r\\nok\\n'; fi",
  redirect: "printf 'Status: 302 Found\\r\\nLocation: /cgi-bin/health\\r\\n\\r\\n'",
  loop: "printf 'Status: 302 Found\\r\\nLocation: /cgi-bin/loop\\r\\n\\r\\n'",
  offsite: "printf 'Status: 302 Found\\r\\nLocation: http://127.0.0.2:1/elsewhere\\r\\nContent-Type: text/plain\\r\\n\\r\\nmoved elsewhere\\n'",
  slow: "sleep 5; printf 'Content-Type: text/plain\\r\\n\\r\\nslow ok\\n'",
  header: "if [ \"$HTTP_X_PROBE\" = yes ]; then printf 'Content-Type: text/plain\\r\\n\\r\\nheader ok\\n'; " +
    "else printf 'Status: 403 Forbidden\\r\\n\\r\\nno X-Probe header\\n'; fi",
};

function initToggle(o: TargetOptions): string {
  if (o.touch?.length) return `touch ${o.touch.join(" ")}; ${initToggle({ ...o, touch: undefined })}`;
  if (o.failAlways) return "touch /tmp/fail; ";
  if (o.failFor) return `touch /tmp/fail; (sleep ${o.failFor}; rm -f /tmp/fail) & `;
  return "";
}

/** Writes the CGI scripts and starts busybox httpd on :8080 in the background. */
const httpdSetup = (port: number) => "mkdir -p /www/cgi-bin; " + Object.entries(CGI).map(([name, body]) =>
  `echo ${b64(`#!/bin/sh\n${body}\n`)} | base64 -d > /www/cgi-bin/${name}; chmod +x /www/cgi-bin/${name}; `).join("") +
  `httpd -f -p ${port} -h /www & `;

/** Listens on :9000 (busybox httpd as a plain TCP listener) only while /tmp/fail is absent. */
const tcpSupervisor = () => "mkdir -p /www; while true; do if [ -f /tmp/fail ]; then sleep 0.2; continue; fi; " +
  "httpd -f -p 9000 -h /www & pid=$!; while [ ! -f /tmp/fail ]; do sleep 0.2; done; kill $pid; wait $pid; done";

/**
 * A container named `name` serving `handler`'s probe target: exec checks /tmp/fail, httpGet
 * (port "http", 8080 by default) serves /cgi-bin/{health,redirect,loop,offsite,slow,header}, tcpSocket listens on 9000,
 * grpc serves grpc.health.v1 on 9090. All exit 0 on SIGTERM.
 */
export function probeTarget(handler: Handler, name: string, o: TargetOptions = {}): Container {
  const env = Object.entries(o.env ?? {}).map(([k, v]) => ({ name: k, value: v }));
  const base = { name, imagePullPolicy: "IfNotPresent" as const, env };
  const init = initToggle(o);
  if (handler === "grpc") {
    return { ...base, image: GRPC_HEALTH_IMAGE, ports: [{ name: "grpc", containerPort: 9090 }],
      command: ["sh", "-c", `${init}exec /usr/bin/node /srv/grpc-health-server.cjs`] };
  }
  const sleep = "while true; do sleep 1; done";
  const httpPort = o.httpPort ?? 8080;
  const body = handler === "http" ? `${httpdSetup(httpPort)}${sleep}` : handler === "tcp" ? tcpSupervisor() : sleep;
  return { ...base, image: BUSYBOX_IMAGE, ports: handler === "http" ? [{ name: "http", containerPort: httpPort }] : undefined,
    command: ["sh", "-c", `trap 'exit 0' TERM; ${init}${body}`] };
}

/** Fast probe timing for tests: period 1 s, timeout 1 s, failureThreshold 2. */
export const FAST = { periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 2 };

/** The probe of `handler` that fails while /tmp/fail exists (see probeTarget), with `timing`. */
export function probeOf(handler: Handler, timing: Partial<Probe> = {}, path = "/cgi-bin/health"): Probe {
  const t = { ...FAST, ...timing };
  switch (handler) {
    case "exec": return { exec: { command: ["sh", "-c", "if [ -f /tmp/fail ]; then echo unhealthy: /tmp/fail exists; exit 1; fi"] }, ...t };
    case "http": return { httpGet: { path, port: "http" }, ...t };
    case "tcp": return { tcpSocket: { port: 9000 }, ...t };
    case "grpc": return { grpc: { port: 9090 }, ...t };
  }
}

/** What a failing probe of `handler` says (the part after "<Kind> probe failed: "). */
export function failureText(handler: Handler, podIP: string): string {
  switch (handler) {
    case "exec": return "unhealthy: /tmp/fail exists";
    case "http": return "HTTP probe failed with statuscode: 500";
    case "tcp": return `dial tcp ${podIP}:9000: connect: connection refused`;
    case "grpc": return 'service unhealthy (responded with "NOT_SERVING")';
  }
}

/** What a probe of `handler` says while the container's server is not listening yet (a fresh restart). */
export function startingText(handler: Handler, podIP: string): string {
  switch (handler) {
    case "exec": return failureText(handler, podIP);
    case "http": return `Get "http://${podIP}:8080/cgi-bin/health": dial tcp ${podIP}:8080: connect: connection refused`;
    case "tcp": return failureText(handler, podIP);
    case "grpc": return `timeout: failed to connect service "${podIP}:9090" within 1s: context deadline exceeded`;
  }
}

/** Makes the container's probes fail (`true`) or pass again (`false`) through ExecSync. */
export async function setFailing(p: Pod, container: string, failing: boolean, file = "/tmp/fail"): Promise<void> {
  const id = bareId(statusOf(p, container));
  if (!id) throw new Error(`container ${container} of ${p.metadata.name} has no id yet`);
  const res = await execIn(id, failing ? ["touch", file] : ["rm", "-f", file]);
  if (res.exitCode !== 0) throw new Error(`toggling ${file} in ${container} failed: ${res.stdout}${res.stderr}`);
}

/** Condition `type` of a pod ("True"/"False"/undefined). */
export const condition = (p: Pod, type: string) => p.status?.conditions?.find((c) => c.type === type)?.status;

/** Messages of the pod's Unhealthy events of one probe kind ("Liveness", "Readiness", "Startup"). */
export function unhealthy(k: KubeletProcess, name: string, kind: "Liveness" | "Readiness" | "Startup"): string[] {
  return eventMessages(k, "Unhealthy", `default/${k.podName(name)}`).filter((m) => m.startsWith(`${kind} probe failed: `) || m.startsWith(`${kind} probe errored: `));
}

/** One /pods snapshot of a pod. */
export interface Snapshot { at: number; pod: Pod }

/** Polls /pods every `intervalMs` and keeps every pod's snapshots, so brief states are not missed. */
export class PodTimeline {
  private readonly seen = new Map<string, Snapshot[]>();
  private timer?: ReturnType<typeof setInterval>;
  private busy = false;

  constructor(private readonly k: KubeletProcess, private readonly intervalMs = 150) {}

  /** Starts polling; returns the timeline. */
  start(): this {
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
    return this;
  }

  /** Stops polling (snapshots stay readable). */
  stop(): void {
    clearInterval(this.timer);
  }

  private async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const at = Date.now();
      for (const pod of await this.k.pods()) {
        const list = this.seen.get(pod.metadata.name!) ?? [];
        list.push({ at, pod });
        if (list.length > 4000) list.shift();
        this.seen.set(pod.metadata.name!, list);
      }
    } catch {
      // the kubelet is restarting or gone: the next poll tries again
    } finally {
      this.busy = false;
    }
  }

  /** Snapshots of the pod from manifest `name`, oldest first. */
  of(name: string): Snapshot[] {
    return this.seen.get(this.k.podName(name)) ?? [];
  }
}
