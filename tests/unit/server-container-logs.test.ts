import { test } from "uvu";
import * as assert from "uvu/assert";
import type { ContainerStatus, Pod } from "../../bindings/kube/types.ts";
import { nodeCertificateTools } from "../../hosts/node/csr.ts";
import { containerIdForLogs, parsePodLogOptions, type ContainerLogSource } from "../../kubelet/server/containerLogs.ts";
import { createKubeletApiHandler } from "../../kubelet/server/kubeletApi.ts";
import { ensureServingCertificate } from "../../kubelet/server/kubeletServer.ts";
import { fakeClock } from "./support/fakeTime.ts";
import { memoryFs } from "./support/memoryFs.ts";

const LOGDIR = "/var/log/pods/ns1_web_u1/main";
const running = (id: string, restartCount = 0, last?: string): ContainerStatus => ({
  name: "main", ready: true, restartCount, image: "busybox", imageID: "", containerID: `containerd://${id}`,
  state: { running: { startedAt: "2026-11-22T12:00:00Z" } },
  lastState: last ? { terminated: { exitCode: 1, containerID: `containerd://${last}` } } : {},
} as ContainerStatus);
const pod = (statuses: ContainerStatus[]): Pod => ({
  metadata: { name: "web", namespace: "ns1", uid: "u1" },
  spec: { containers: [{ name: "main", image: "busybox" }], initContainers: [{ name: "init", image: "busybox" }] },
  status: { phase: "Running", containerStatuses: statuses },
});

/** A fake kubelet view: one pod, containers c0 (exited, attempt 0) and c1 (running, attempt 1). */
function fakeSource(p: Pod | undefined): ContainerLogSource & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    pod: (ns, name) => (p && p.metadata.namespace === ns && p.metadata.name === name ? p : undefined),
    async containerStatus(id) {
      asked.push(id);
      if (id === "c0") return { logPath: `${LOGDIR}/0.log`, running: false };
      if (id === "c1") return { logPath: `${LOGDIR}/1.log`, running: true };
      throw new Error(`rpc error: code = NotFound desc = container "${id}" not found`);
    },
  };
}

function handler(p: Pod | undefined) {
  const { fs } = memoryFs({
    [`${LOGDIR}/0.log`]: "2026-11-22T11:59:00Z stdout F attempt-0\n",
    [`${LOGDIR}/1.log`]: "2026-11-22T12:00:00Z stdout F one\n2026-11-22T12:00:01Z stderr F two\n2026-11-22T12:00:02Z stdout F three\n",
  });
  const { clock } = fakeClock(Date.UTC(2026, 10, 22, 12, 0, 3));
  const source = fakeSource(p);
  const h = createKubeletApiHandler({ pods: () => [], logs: { source, fs, clock } });
  return { source, call: async (path: string, method = "GET") => {
    const res = await h(new Request(`https://10.0.0.1:10250${path}`, { method }));
    return { status: res.status, body: await res.text() };
  } };
}

test("GET /containerLogs/{ns}/{pod}/{container}: the running instance's log as text", async () => {
  const { call, source } = handler(pod([running("c1", 1, "c0")]));
  assert.equal(await call("/containerLogs/ns1/web/main"), { status: 200, body: "one\ntwo\nthree\n" });
  assert.equal(source.asked, ["c1"]);
  assert.equal(await call("/containerLogs/ns1/web/main?tailLines=1&timestamps=true"), { status: 200, body: "2026-11-22T12:00:02Z three\n" });
  assert.equal(await call("/containerLogs/ns1/web/main?tail=2"), { status: 200, body: "two\nthree\n" });
  assert.equal(await call("/containerLogs/ns1/web/main?tail=all"), { status: 200, body: "one\ntwo\nthree\n" });
  assert.equal(await call("/containerLogs/ns1/web/main?sinceSeconds=2"), { status: 200, body: "two\nthree\n" });
  assert.equal(await call("/containerLogs/ns1/web/main?sinceTime=2026-11-22T12:00:02Z"), { status: 200, body: "three\n" });
  assert.equal(await call("/containerLogs/ns1/web/main?limitBytes=6"), { status: 200, body: "one\ntw" });
  assert.equal(await call("/containerLogs/ns1/web/main?previous=true"), { status: 200, body: "attempt-0\n" });
});

test("query errors: undecodable values 400, invalid combinations 422, with upstream's messages", async () => {
  const { call } = handler(pod([running("c1")]));
  assert.equal(await call("/containerLogs/ns1/web/main?tailLines=x"), { status: 400, body: `{"message": "Unable to decode query."}` });
  assert.equal(await call("/containerLogs/ns1/web/main?follow=maybe"), { status: 400, body: `{"message": "Unable to decode query."}` });
  assert.equal(await call("/containerLogs/ns1/web/main?sinceTime=yesterday"), { status: 400, body: `{"message": "Unable to decode query."}` });
  for (const q of ["tailLines=-1", "limitBytes=0", "sinceSeconds=0", "sinceSeconds=5&sinceTime=2026-11-22T12:00:02Z"]) {
    assert.equal(await call(`/containerLogs/ns1/web/main?${q}`), { status: 422, body: `{"message": "Invalid request."}` }, q);
  }
  assert.equal(parsePodLogOptions(new URLSearchParams("follow=1&previous=false&timestamps=True")),
    { follow: true, previous: false, timestamps: true, tailLines: undefined, limitBytes: undefined, sinceSeconds: undefined, sinceTime: undefined });
});

test("missing pod 404, unknown container 404, missing path parts 400, other methods 405", async () => {
  const { call } = handler(pod([running("c1")]));
  assert.equal(await call("/containerLogs/ns1/nope/main"), { status: 404, body: `pod "nope" does not exist` });
  assert.equal(await call("/containerLogs/other/web/main"), { status: 404, body: `pod "web" does not exist` });
  assert.equal(await call("/containerLogs/ns1/web/sidecar"), { status: 404, body: `container "sidecar" not found in pod "web"` });
  assert.equal(await call("/containerLogs/ns1/web"), { status: 400, body: `{"message": "Missing container name."}` });
  assert.is((await call("/containerLogs/ns1/web/main", "POST")).status, 405);
  assert.is((await call("/containerLogs/ns1/web/main/extra")).status, 404);
});

test("previous without a terminated instance, a container without status, a runtime error: 400 with upstream's messages", async () => {
  const { call } = handler(pod([running("c1")]));
  assert.equal(await call("/containerLogs/ns1/web/main?previous=true"), { status: 400, body: `previous terminated container "main" in pod "web" not found` });
  assert.equal(await call("/containerLogs/ns1/web/init"), { status: 400, body: `container "init" in pod "web" is not available` });
  const gone = handler(pod([running("c9")]));
  assert.equal(await gone.call("/containerLogs/ns1/web/main"), {
    status: 400, body: `failed to get container status "c9": rpc error: code = NotFound desc = container "c9" not found`,
  });
});

test("which instance: running, else terminated, else the last terminated; waiting reasons explained", () => {
  const withState = (state: ContainerStatus["state"], lastState: ContainerStatus["lastState"] = {}, containerID?: string) =>
    pod([{ ...running("x"), state, lastState, containerID }]);
  assert.is(containerIdForLogs(pod([running("c1", 1, "c0")]), "main", false), "c1");
  assert.is(containerIdForLogs(pod([running("c1", 1, "c0")]), "main", true), "c0");
  assert.is(containerIdForLogs(withState({ terminated: { exitCode: 0, containerID: "containerd://t1" } }), "main", false), "t1");
  assert.is(containerIdForLogs(withState({ terminated: { exitCode: 0 } }, { terminated: { exitCode: 1, containerID: "containerd://t0" } }), "main", false), "t0");
  assert.is(containerIdForLogs(withState({ waiting: { reason: "CrashLoopBackOff" } }, { terminated: { exitCode: 1, containerID: "containerd://t0" } }), "main", false), "t0");
  const fails = (p: Pod) => { try { containerIdForLogs(p, "main", false); return ""; } catch (e) { return (e as Error).message; } };
  assert.is(fails(withState({ waiting: { reason: "ErrImagePull" } })), `container "main" in pod "web" is waiting to start: image can't be pulled`);
  assert.is(fails(withState({ waiting: { reason: "ImagePullBackOff" } })), `container "main" in pod "web" is waiting to start: trying and failing to pull image`);
  assert.is(fails(withState({ waiting: { reason: "ContainerCreating" } })), `container "main" in pod "web" is waiting to start: ContainerCreating`);
  assert.is(fails(withState({ terminated: { exitCode: 0 } })), `container "main" in pod "web" is terminated`);
  assert.is(fails(withState({})), `container "main" in pod "web" is waiting to start - no logs yet`);
});

test("streaming endpoints answer 501; other unknown paths stay 404", async () => {
  const { call } = handler(undefined);
  assert.is((await call("/exec/ns1/web/main", "POST")).status, 501);
  assert.is((await call("/portForward/ns1/web")).status, 501);
  assert.is((await call("/attach/ns1/web/main")).status, 501);
  assert.is((await call("/logs/")).status, 404);
});

test("serving certificate: generated once at <certDir>/kubelet.crt and .key, reused when present", async () => {
  const { fs, entries } = memoryFs();
  const o = { fs, tools: nodeCertificateTools, certDir: "/var/lib/kubelet/pki", hostname: "node-1", nodeIPs: ["192.0.2.2"], nowMs: Date.UTC(2026, 10, 22, 12) };
  const first = await ensureServingCertificate(o);
  assert.equal(first, { certFile: "/var/lib/kubelet/pki/kubelet.crt", keyFile: "/var/lib/kubelet/pki/kubelet.key", generated: true });
  const cert = await fs.readText(first.certFile);
  assert.is(cert.match(/BEGIN CERTIFICATE/g)?.length, 2);
  const { X509Certificate } = await import("node:crypto");
  const leaf = new X509Certificate(cert);
  assert.is(leaf.subject, `CN=node-1@${o.nowMs / 1000}`);
  assert.is(leaf.subjectAltName, "DNS:node-1, IP Address:192.0.2.2");
  assert.ok(leaf.checkPrivateKey((await import("node:crypto")).createPrivateKey(await fs.readText(first.keyFile))));
  const keyEntry = entries.get(first.keyFile);
  assert.is(keyEntry?.kind === "file" ? keyEntry.mode : 0, 0o600);
  const again = await ensureServingCertificate({ ...o, nowMs: o.nowMs + 1000 });
  assert.is(again.generated, false);
  assert.is(await fs.readText(first.certFile), cert);
});

test.run();
