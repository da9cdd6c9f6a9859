/**
 * Probes with the httpGet handler on a real containerd: the common suite (support/probeSuite.ts)
 * plus redirects as upstream handles them (same host followed, another host is a success with a
 * ProbeWarning, 10 requests at most) and httpHeaders.
 */
import * as assert from "uvu/assert";
import { eventually } from "./support/eventually.ts";
import { eventMessages, statusOf, waitPod } from "./support/podKit.ts";
import { condition, probeOf, probeTarget, setFailing, unhealthy } from "./support/probeKit.ts";
import { probeSuite, webPod } from "./support/probeSuite.ts";

const readyPod = (name: string, path: string, extra: object = {}) =>
  webPod(name, { ...probeTarget("http", "web"), readinessProbe: { ...probeOf("http", {}, path), ...extra } });

const { test, ctx } = probeSuite("http", [
  readyPod("http-redirect", "/cgi-bin/redirect"),
  readyPod("http-offsite", "/cgi-bin/offsite"),
  readyPod("http-loop", "/cgi-bin/loop"),
  webPod("http-header", { ...probeTarget("http", "web"), readinessProbe: { ...probeOf("http"), httpGet: { path: "/cgi-bin/header", port: "http", httpHeaders: [{ name: "X-Probe", value: "yes" }] } } }),
]);

const isReady = (p: { status?: unknown }) => condition(p as never, "Ready") === "True";

test("http: a redirect to the same host is followed: the target's answer decides", async () => {
  const k = ctx.k;
  const up = await waitPod(k, "http-redirect", "Ready through the redirect", isReady);
  await setFailing(up, "web", true);
  await waitPod(k, "http-redirect", "Ready False once the target fails", (p) => condition(p, "Ready") === "False");
  assert.ok(unhealthy(k, "http-redirect", "Readiness").includes("Readiness probe failed: HTTP probe failed with statuscode: 500"));
  await setFailing(up, "web", false);
  await waitPod(k, "http-redirect", "Ready again", isReady);
});

test("http: a redirect to another host is not followed: success with a ProbeWarning carrying the body", async () => {
  const k = ctx.k;
  const p = await waitPod(k, "http-offsite", "Ready", isReady);
  assert.is(statusOf(p, "web")!.ready, true);
  const warnings = eventMessages(k, "ProbeWarning", `default/${k.podName("http-offsite")}`);
  assert.ok(warnings.length > 0 && warnings.every((m) => m === "Readiness probe warning: moved elsewhere\n"), `warnings: ${JSON.stringify(warnings)}`);
  assert.equal(unhealthy(k, "http-offsite", "Readiness").filter((m) => !m.includes("connection refused")), []);
});

test("http: a redirect loop fails after 10 requests", async () => {
  const k = ctx.k;
  const p = await waitPod(k, "http-loop", "running", (x) => statusOf(x, "web")?.state.running !== undefined);
  const want = `Readiness probe failed: Get "http://${p.status!.podIP}:8080/cgi-bin/loop": stopped after 10 redirects`;
  await eventually("the loop's failure event", () => (unhealthy(k, "http-loop", "Readiness").includes(want) ? true : undefined), { timeoutMs: 15_000 });
  assert.is(condition((await k.pod("http-loop"))!, "Ready"), "False");
});

test("http: httpHeaders are sent with the probe", async () => {
  await waitPod(ctx.k, "http-header", "Ready (the CGI answers 403 without X-Probe: yes)", isReady);
});

test.run();
