/**
 * `kubectl logs` through kube-apiserver 1.20.2 to kubelet-ts's HTTPS API (/containerLogs): whole
 * logs with stdout and stderr, --tail, --timestamps, --limit-bytes, --previous after a restart,
 * -f receiving lines written after the request; and the API's own authentication/authorization:
 * 401 without credentials, 403 for a certificate or a service account token without node rights,
 * 200 for kube-apiserver's kubelet client certificate, on a self-signed serving certificate.
 */
import { execFile, spawn } from "node:child_process";
import { randomBytes, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { eventually } from "../integration/support/eventually.ts";
import { createNamespace, deleteNamespace, mustRequest, waitPod } from "./support/apiObjects.ts";
import { ADMIN_KUBECONFIG, kubectl } from "./support/cluster.ts";
import { ClusterKubelet } from "./support/clusterKubelet.ts";
import { podObject, shContainer, TRAPPING_SLEEPER } from "./support/testPods.ts";

const PKI = `${process.env.KTS_ENV ?? "/tmp/kts"}/pki`;
const RFC3339NANO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2}) /;

let k: ClusterKubelet;
let ns: string;

test.before(async () => {
  k = await ClusterKubelet.create({ prefix: "kts-logs" });
  ns = await createNamespace("logs");
  await k.start();
});

test.after(async () => {
  await k.cleanup();
  await deleteNamespace(ns);
});

const running = (name: string) => waitPod(ns, name, "Running", (p) => p.status?.containerStatuses?.[0]?.state.running !== undefined, 90_000, () => k.output());

/** One HTTPS GET to the kubelet API on 127.0.0.1 (its certificate is self-signed, so not verified). */
function kubeletGet(path: string, creds: { cert?: Buffer; key?: Buffer; token?: string } = {}): Promise<{ status: number; body: string; peer: X509Certificate | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: "127.0.0.1", port: k.port, path, method: "GET", rejectUnauthorized: false, agent: false, timeout: 30_000,
      cert: creds.cert, key: creds.key, headers: creds.token ? { authorization: `Bearer ${creds.token}` } : {},
    }, (res) => {
      const raw = (res.socket as import("node:tls").TLSSocket).getPeerX509Certificate?.();
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, peer: raw }));
    });
    req.on("error", reject);
    req.end();
  });
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 30_000 }, (err, out, stderr) => (err ? reject(new Error(`${cmd} failed: ${stderr || err.message}`)) : resolve(out)));
  });
}

/** A client certificate for `cn` signed by the cluster CA (the kubelet's clientCAFile). */
async function clientCert(cn: string): Promise<{ cert: Buffer; key: Buffer }> {
  const base = join(k.dir, cn);
  await run("openssl", ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", `${base}.key`, "-subj", `/CN=${cn}`, "-out", `${base}.csr`]);
  await run("openssl", ["x509", "-req", "-in", `${base}.csr`, "-CA", `${PKI}/ca.crt`, "-CAkey", `${PKI}/ca.key`, "-set_serial", `0x${randomBytes(8).toString("hex")}`, "-days", "1", "-out", `${base}.crt`]);
  return { cert: readFileSync(`${base}.crt`), key: readFileSync(`${base}.key`) };
}

const logs = (args: string[]) => kubectl(["-n", ns, "logs", ...args]);

test("kubectl logs shows what the container printed on stdout and stderr", async () => {
  await mustRequest("POST", `/api/v1/namespaces/${ns}/pods`, podObject(ns, "printer", k.placement(), [
        // stdout and stderr reach the log through separate pipes: the pauses keep their order.
    shContainer("main", `echo line-1; echo line-2; sleep 0.5; echo err-3 >&2; sleep 0.5; echo line-4; echo line-5; ${TRAPPING_SLEEPER}`),
  ], { automountServiceAccountToken: false }));
  await running("printer");
  const out = await eventually("five lines", async () => {
    const text = await logs(["printer"]);
    return text.split("\n").length > 5 ? text : undefined;
  }, { timeoutMs: 20_000, intervalMs: 300 });
  assert.is(out, "line-1\nline-2\nerr-3\nline-4\nline-5\n");
});

test("--tail, --timestamps, --limit-bytes and --since select as upstream", async () => {
  assert.is(await logs(["printer", "--tail=2"]), "line-4\nline-5\n");
  assert.is(await logs(["printer", "--tail=0"]), "");
  assert.is(await logs(["printer", "--limit-bytes=10"]), "line-1\nlin");
  assert.is(await logs(["printer", "--since=1h"]), "line-1\nline-2\nerr-3\nline-4\nline-5\n");
  const stamped = (await logs(["printer", "--timestamps", "--tail=3"])).trimEnd().split("\n");
  assert.is(stamped.length, 3);
  for (const line of stamped) assert.match(line, RFC3339NANO);
  assert.equal(stamped.map((l) => l.replace(RFC3339NANO, "")), ["err-3", "line-4", "line-5"]);
  const t = Date.parse(stamped[0]!.split(" ")[0]!);
  assert.ok(Math.abs(Date.now() - t) < 10 * 60_000, `timestamp ${stamped[0]} is about now`);
});

test("--previous without a restart is upstream's error; -c names a container the pod has not is refused", async () => {
  const err = await logs(["printer", "--previous"]).then(() => "", (e: Error) => e.message);
  assert.match(err, /previous terminated container "main" in pod "printer" not found/);
  const bad = await logs(["printer", "-c", "nope"]).then(() => "", (e: Error) => e.message);
  assert.match(bad, /container nope is not valid for pod printer/);
});

test("--previous after a restart shows the previous attempt, plain logs the current one", async () => {
  const script = `n=$(cat /data/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /data/n; echo attempt-$n; `
    + `if [ $n -ge 2 ]; then ${TRAPPING_SLEEPER}; fi; sleep 1; exit 1`;
  await mustRequest("POST", `/api/v1/namespaces/${ns}/pods`, podObject(ns, "restarter", k.placement(), [
    shContainer("main", script, { volumeMounts: [{ name: "data", mountPath: "/data" }] }),
  ], { automountServiceAccountToken: false, volumes: [{ name: "data", emptyDir: {} }] }));
  await waitPod(ns, "restarter", "restarted and running", (p) => {
    const s = p.status?.containerStatuses?.[0];
    return (s?.restartCount ?? 0) >= 1 && s?.state.running !== undefined;
  }, 120_000, () => k.output());
  assert.is(await logs(["restarter", "--previous"]), "attempt-1\n");
  await eventually("the current attempt's line", async () => ((await logs(["restarter"])) === "attempt-2\n" ? true : undefined), { timeoutMs: 10_000, intervalMs: 300 });
});

test("kubectl logs -f streams lines printed after the request started", async () => {
  await mustRequest("POST", `/api/v1/namespaces/${ns}/pods`, podObject(ns, "ticker", k.placement(), [
    shContainer("main", "trap 'exit 0' TERM; i=0; while true; do i=$((i+1)); echo tick-$i; sleep 1; done"),
  ], { automountServiceAccountToken: false }));
  await running("ticker");
  const started = Date.now();
  const child = spawn("kubectl", ["--kubeconfig", ADMIN_KUBECONFIG, "-n", ns, "logs", "-f", "--timestamps", "ticker"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  try {
    await eventually("a line stamped after the request started", async () => {
      const later = out.split("\n").filter((l) => RFC3339NANO.test(l) && Date.parse(l.split(" ")[0]!) > started + 1500);
      return later.length >= 2 ? true : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200, describe: () => `stdout:\n${out.slice(-500)}\nstderr:\n${err}` });
    assert.is(child.exitCode, null, "still following");
  } finally {
    child.kill();
  }
});

test("the kubelet API serves a self-signed certificate for the node and refuses requests without credentials (401)", async () => {
  const res = await kubeletGet("/pods");
  assert.is(res.status, 401);
  assert.is(res.body, "Unauthorized");
  assert.match(res.peer?.subject ?? "", new RegExp(`CN=${k.nodeName}@\\d+`));
  assert.match(res.peer?.subjectAltName ?? "", new RegExp(`DNS:${k.nodeName}`));
  assert.is(readFileSync(join(k.rootDir, "pki/kubelet.crt"), "utf8").match(/BEGIN CERTIFICATE/g)?.length, 2);
});

test("a client certificate or token of a user without node rights gets 403 from the SubjectAccessReview", async () => {
  const nobody = await clientCert("kts-e2e-nobody");
  const res = await kubeletGet("/pods", nobody);
  assert.is(res.status, 403);
  assert.is(res.body, "Forbidden (user=kts-e2e-nobody, verb=get, resource=nodes, subresource=proxy)");
  const stats = await kubeletGet("/stats/summary", nobody);
  assert.is(stats.body, "Forbidden (user=kts-e2e-nobody, verb=get, resource=nodes, subresource=stats)");

  const secrets = JSON.parse(await kubectl(["-n", ns, "get", "secrets", "-o", "json"])).items as Array<{ type: string; data: { token: string } }>;
  const token = Buffer.from(secrets.find((s) => s.type === "kubernetes.io/service-account-token")!.data.token, "base64").toString();
  const byToken = await kubeletGet("/pods", { token });
  assert.is(byToken.status, 403);
  assert.is(byToken.body, `Forbidden (user=system:serviceaccount:${ns}:default, verb=get, resource=nodes, subresource=proxy)`);
  assert.is((await kubeletGet("/pods", { token: "not-a-token" })).status, 401);
});

test("kube-apiserver's kubelet client certificate (system:masters) is authorized", async () => {
  const res = await kubeletGet("/pods", { cert: readFileSync(`${PKI}/apiserver-kubelet-client.crt`), key: readFileSync(`${PKI}/apiserver-kubelet-client.key`) });
  assert.is(res.status, 200);
  assert.ok((JSON.parse(res.body).items as Array<{ metadata: { name: string } }>).some((p) => p.metadata.name === "printer"));
});

test.run();
