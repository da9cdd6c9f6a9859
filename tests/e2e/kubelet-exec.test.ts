/**
 * `kubectl exec`, `attach` and `port-forward` through kube-apiserver 1.20.2 to kubelet-ts, which
 * asks containerd (CRI Exec/Attach/PortForward) for a streaming URL and proxies the upgraded
 * connection there: output, exit codes, stdin, a missing container, an HTTP GET through a
 * forwarded port to busybox httpd, attaching to a running container's output; and POST /run.
 */
import { execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { createServer } from "node:net";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { eventually } from "../integration/support/eventually.ts";
import { createNamespace, deleteNamespace, mustRequest, waitPod } from "./support/apiObjects.ts";
import { ADMIN_KUBECONFIG } from "./support/cluster.ts";
import { ClusterKubelet } from "./support/clusterKubelet.ts";
import { podObject, shContainer, TRAPPING_SLEEPER } from "./support/testPods.ts";

let k: ClusterKubelet;
let ns: string;

test.before(async () => {
  k = await ClusterKubelet.create({ prefix: "kts-exec" });
  ns = await createNamespace("exec");
  await k.start();
  await mustRequest("POST", `/api/v1/namespaces/${ns}/pods`, podObject(ns, "shell", k.placement(), [
    shContainer("main", TRAPPING_SLEEPER),
    shContainer("ticker", "trap 'exit 0' TERM; i=0; while true; do i=$((i+1)); echo tick-$i; sleep 1; done"),
  ], { automountServiceAccountToken: false }));
  await waitPod(ns, "shell", "Running", (p) => (p.status?.containerStatuses ?? []).filter((s) => s.state.running).length === 2, 90_000, () => k.output());
});

test.after(async () => {
  await k.cleanup();
  await deleteNamespace(ns);
});

/** Runs kubectl and resolves with its exit code and output, whatever the exit code. */
function kubectlRun(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile("kubectl", ["--kubeconfig", ADMIN_KUBECONFIG, "-n", ns, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (stdin !== undefined) child.stdin!.end(stdin);
    else child.stdin!.end();
  });
}

test("kubectl exec runs the command in the container and prints its output", async () => {
  const r = await kubectlRun(["exec", "shell", "-c", "main", "--", "echo", "hello"]);
  assert.is(r.stderr, "");
  assert.is(r.stdout, "hello\n");
  assert.is(r.code, 0);
  const both = await kubectlRun(["exec", "shell", "-c", "main", "--", "sh", "-c", "echo out; echo err >&2"]);
  assert.is(both.stdout, "out\n");
  assert.is(both.stderr, "err\n");
});

test("a failing command's exit code is kubectl's exit code", async () => {
  const r = await kubectlRun(["exec", "shell", "-c", "main", "--", "sh", "-c", "exit 3"]);
  assert.is(r.code, 3, r.stderr);
});

test("kubectl exec -i passes stdin to the command", async () => {
  const r = await kubectlRun(["exec", "-i", "shell", "-c", "main", "--", "sh", "-c", "cat; echo done"], "line one\nline two\n");
  assert.is(r.stdout, "line one\nline two\ndone\n", r.stderr);
  assert.is(r.code, 0);
});

test("kubectl exec into a container the pod has not fails with a clear message", async () => {
  const r = await kubectlRun(["exec", "shell", "-c", "nope", "--", "true"]);
  assert.is.not(r.code, 0);
  assert.match(r.stderr, /container nope is not valid for pod shell/);
});

test("kubectl attach streams a running container's output", async () => {
  const child = spawn("kubectl", ["--kubeconfig", ADMIN_KUBECONFIG, "-n", ns, "attach", "shell", "-c", "ticker"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  try {
    await eventually("two ticks through attach", async () => ((out.match(/tick-\d+/g) ?? []).length >= 2 ? true : undefined),
      { timeoutMs: 20_000, intervalMs: 200, describe: () => `stdout:\n${out.slice(-300)}\nstderr:\n${err}` });
  } finally {
    child.kill();
  }
});

test("POST /run on the kubelet API runs a command and answers its output (kube-apiserver's kubelet client certificate)", async () => {
  const PKI = `${process.env.KTS_ENV ?? "/tmp/kts"}/pki`;
  const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpsRequest({
      host: "127.0.0.1", port: k.port, path: `/run/${ns}/shell/main?cmd=echo%20from%20run`, method: "POST", rejectUnauthorized: false, agent: false,
      cert: readFileSync(`${PKI}/apiserver-kubelet-client.crt`), key: readFileSync(`${PKI}/apiserver-kubelet-client.key`),
    }, (r) => {
      let body = "";
      r.setEncoding("utf8");
      r.on("data", (d) => (body += d));
      r.on("end", () => resolve({ status: r.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
  assert.equal(res, { status: 200, body: "from run\n" });
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test("kubectl port-forward reaches busybox httpd in the pod", async () => {
  await mustRequest("POST", `/api/v1/namespaces/${ns}/pods`, podObject(ns, "web", k.placement(), [
    shContainer("httpd", "mkdir -p /www && echo hello-from-httpd > /www/index.html && exec httpd -f -p 8080 -h /www"),
  ], { automountServiceAccountToken: false }));
  await waitPod(ns, "web", "Running", (p) => p.status?.containerStatuses?.[0]?.state.running !== undefined, 90_000, () => k.output());
  const local = await freePort();
  const child = spawn("kubectl", ["--kubeconfig", ADMIN_KUBECONFIG, "-n", ns, "port-forward", "pod/web", `${local}:8080`], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  try {
    await eventually("port-forward listening", async () => (out.includes("Forwarding from") ? true : undefined),
      { timeoutMs: 20_000, intervalMs: 200, describe: () => `stdout:\n${out}\nstderr:\n${err}` });
    const body = await eventually("the page through the forwarded port", async () => {
      const res = await fetch(`http://127.0.0.1:${local}/index.html`).catch(() => undefined);
      return res?.ok ? res.text() : undefined;
    }, { timeoutMs: 20_000, intervalMs: 500, describe: () => `stdout:\n${out}\nstderr:\n${err}` });
    assert.is(body, "hello-from-httpd\n");
    // A second connection over the same forward.
    const again = await fetch(`http://127.0.0.1:${local}/index.html`);
    assert.is(await again.text(), "hello-from-httpd\n");
  } finally {
    child.kill();
  }
});

test.run();
