/**
 * Probes with the grpc handler on a real containerd (grpc.health.v1 server image built by
 * scripts/env/probe-images.sh): the common suite (support/probeSuite.ts) plus service names.
 */
import * as assert from "uvu/assert";
import { eventually } from "./support/eventually.ts";
import { waitPod } from "./support/podKit.ts";
import { condition, probeOf, probeTarget, setFailing, unhealthy } from "./support/probeKit.ts";
import { probeSuite, webPod } from "./support/probeSuite.ts";

const servicePod = (name: string, service: string) =>
  webPod(name, { ...probeTarget("grpc", "web", { env: { SERVICES: "a" } }), readinessProbe: probeOf("grpc", { grpc: { port: 9090, service } }) });

const { test, ctx } = probeSuite("grpc", [servicePod("grpc-svc", "a"), servicePod("grpc-unknown", "nope")]);

test("grpc: the probe's service name is checked: that service going NOT_SERVING makes the pod unready", async () => {
  const k = ctx.k;
  const up = await waitPod(k, "grpc-svc", "Ready", (p) => condition(p, "Ready") === "True");
  await setFailing(up, "web", true, "/tmp/fail-a");
  await waitPod(k, "grpc-svc", "Ready False", (p) => condition(p, "Ready") === "False");
  assert.ok(unhealthy(k, "grpc-svc", "Readiness").includes('Readiness probe failed: service unhealthy (responded with "NOT_SERVING")'));
  await setFailing(up, "web", false, "/tmp/fail-a");
  await waitPod(k, "grpc-svc", "Ready again", (p) => condition(p, "Ready") === "True");
});

test("grpc: an unknown service fails with the server's NotFound", async () => {
  const k = ctx.k;
  const want = "Readiness probe failed: error: health rpc probe failed: rpc error: code = NotFound desc = unknown service";
  await eventually("NotFound failure event", () => (unhealthy(k, "grpc-unknown", "Readiness").includes(want) ? true : undefined), {
    timeoutMs: 20_000, describe: () => JSON.stringify(unhealthy(k, "grpc-unknown", "Readiness")),
  });
  assert.is(condition((await k.pod("grpc-unknown"))!, "Ready"), "False");
});

test.run();
