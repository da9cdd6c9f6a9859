/**
 * The probe behaviour every handler must show, as one uvu suite per handler (tests/integration/
 * probes-<handler>.test.ts): success of all three kinds, readiness flapping in the pod conditions,
 * liveness failure past the threshold -> Killing + restart -> recovery, startup gating readiness
 * and liveness, startup failure -> restart. All pods start together in `before` so the suite's
 * waits overlap; handler-specific pods and tests are added by the file.
 */
import { writeFileSync } from "node:fs";
import { suite, type Test } from "uvu";
import * as assert from "uvu/assert";
import type { Container, Pod } from "../../../bindings/kube/types.ts";
import { closeTestCri } from "./cri.ts";
import { eventually } from "./eventually.ts";
import { KubeletProcess } from "./kubeletProcess.ts";
import { eventMessages, podManifest, removeAndWait, statusOf, waitPod } from "./podKit.ts";
import { condition, failureText, FAST, startingText, PodTimeline, probeOf, probeTarget, setFailing, unhealthy, type Handler } from "./probeKit.ts";

/** The running suite's kubelet and pod timeline (set in `before`). */
export interface ProbeSuiteContext { k: KubeletProcess; timeline: PodTimeline }

/** A probe pod with one container "web". */
export function webPod(name: string, web: Container): Pod {
  return podManifest(name, { terminationGracePeriodSeconds: 2, containers: [web] });
}

/** Checks `pred` every 200 ms for `ms`; throws naming `what` the first time it does not hold. */
async function holdsFor(ms: number, pred: () => Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!(await pred())) throw new Error(`${what}: stopped holding`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const running = (p: Pod) => statusOf(p, "web")?.state.running !== undefined;
const ready = (p: Pod) => condition(p, "Ready") === "True" && condition(p, "ContainersReady") === "True" && statusOf(p, "web")?.ready === true;

/** Registers the common probe tests for `handler`; `extra` pods start with the others. */
export function probeSuite(handler: Handler, extra: Pod[] = []): { test: Test; ctx: ProbeSuiteContext } {
  const h = handler;
  const test = suite(`probes: ${h}`);
  const ctx = {} as ProbeSuiteContext;
  const pods: Pod[] = [
    webPod(`${h}-ok`, { ...probeTarget(h, "web"), startupProbe: probeOf(h, { failureThreshold: 10 }), livenessProbe: probeOf(h), readinessProbe: probeOf(h) }),
    webPod(`${h}-ready`, { ...probeTarget(h, "web"), readinessProbe: probeOf(h) }),
    webPod(`${h}-live`, { ...probeTarget(h, "web"), livenessProbe: probeOf(h) }),
    webPod(`${h}-startup`, { ...probeTarget(h, "web", { failFor: 3 }), startupProbe: probeOf(h, { failureThreshold: 30 }), readinessProbe: probeOf(h) }),
    webPod(`${h}-startfail`, { ...probeTarget(h, "web", { failAlways: true }), startupProbe: probeOf(h, { failureThreshold: 2 }), livenessProbe: probeOf(h, { failureThreshold: 1 }) }),
    ...extra,
  ];

  test.before(async () => {
    ctx.k = await KubeletProcess.create(`kts-pr-${h}`);
    await ctx.k.start();
    ctx.timeline = new PodTimeline(ctx.k).start();
    for (const p of pods) ctx.k.writeManifest(`${p.metadata.name}.json`, p);
  });
  test.after(async () => {
    ctx.timeline?.stop();
    if (ctx.k) await Promise.all(pods.map((p) => removeAndWait(ctx.k, `${p.metadata.name}.json`, p.metadata.name!).catch(() => undefined)));
    // KTS_TEST_LOGS=dir keeps the kubelet's log for a failed run's post-mortem.
    if (ctx.k && process.env.KTS_TEST_LOGS) writeFileSync(`${process.env.KTS_TEST_LOGS}/probes-${h}.kubelet.log`, ctx.k.log);
    await ctx.k?.dispose();
    await closeTestCri();
  });

  test(`${h}: startup, liveness and readiness probes that pass make the container started and ready, the pod Ready`, async () => {
    const p = await waitPod(ctx.k, `${h}-ok`, "Ready", (x) => running(x) && ready(x) && statusOf(x, "web")?.started === true);
    assert.is(statusOf(p, "web")!.restartCount, 0);
  });

  test(`${h}: readiness failing past the threshold turns Ready and ContainersReady False, then True again; no restart`, async () => {
    const k = ctx.k;
    const up = await waitPod(k, `${h}-ready`, "Ready", ready);
    const before = unhealthy(k, `${h}-ready`, "Readiness").length;
    await setFailing(up, "web", true);
    const down = await waitPod(k, `${h}-ready`, "Ready False", (x) => condition(x, "Ready") === "False" && condition(x, "ContainersReady") === "False" && statusOf(x, "web")?.ready === false);
    assert.ok(running(down), "the container keeps running while unready");
    const msgs = unhealthy(k, `${h}-ready`, "Readiness").slice(before);
    assert.ok(msgs.length >= FAST.failureThreshold, `at least ${FAST.failureThreshold} readiness failures before Ready False: ${JSON.stringify(msgs)}`);
    assert.ok(msgs.every((m) => m.includes(failureText(h, up.status!.podIP!))), `readiness failure message: ${JSON.stringify(msgs)}`);
    await setFailing(down, "web", false);
    const again = await waitPod(k, `${h}-ready`, "Ready again", ready);
    assert.is(statusOf(again, "web")!.restartCount, 0);
    const seq = () => ctx.timeline.of(`${h}-ready`).map((s) => condition(s.pod, "Ready")).filter((c, i, a) => c !== a[i - 1]).join(",");
    await eventually("the timeline shows Ready True -> False -> True", () => (seq().includes("True,False,True") ? true : undefined), { timeoutMs: 3000, describe: seq });
  });

  test(`${h}: liveness failing past the threshold kills (Killing) and restarts the container, which then stays up`, async () => {
    const k = ctx.k;
    const up = await waitPod(k, `${h}-live`, "running", running);
    const firstId = statusOf(up, "web")!.containerID;
    const before = unhealthy(k, `${h}-live`, "Liveness").length;
    await setFailing(up, "web", true);
    const after = await waitPod(k, `${h}-live`, "restarted", (x) => running(x) && statusOf(x, "web")!.restartCount === 1 && statusOf(x, "web")!.containerID !== firstId);
    assert.is(statusOf(after, "web")!.lastState?.terminated?.exitCode, 0, "the trapped TERM ended the old container");
    const killing = eventMessages(k, "Killing", `default/${k.podName(`${h}-live`)}`);
    assert.ok(killing.includes("Container web failed liveness probe, will be restarted"), `Killing events: ${JSON.stringify(killing)}`);
    const msgs = unhealthy(k, `${h}-live`, "Liveness").slice(before);
    const ip = up.status!.podIP!;
    // The failures that killed it say why; a restarted server may be refused once while it starts.
    assert.equal(msgs.slice(0, FAST.failureThreshold), Array(FAST.failureThreshold).fill(`Liveness probe failed: ${failureText(h, ip)}`), `liveness failures: ${JSON.stringify(msgs)}`);
    assert.ok(msgs.every((m) => [failureText(h, ip), startingText(h, ip)].map((t) => `Liveness probe failed: ${t}`).includes(m)), `liveness failure messages: ${JSON.stringify(msgs)}`);
    // The new container starts healthy (fresh /tmp): Ready, and still restartCount 1 at the end.
    await waitPod(k, `${h}-live`, "Ready after restart", ready);
  });

  test(`${h}: a startup probe gates readiness: not started and not ready until it succeeds, then both, no restart`, async () => {
    const k = ctx.k;
    const p = await waitPod(k, `${h}-startup`, "started and Ready", (x) => running(x) && statusOf(x, "web")?.started === true && ready(x));
    assert.is(statusOf(p, "web")!.restartCount, 0);
    const snaps = ctx.timeline.of(`${h}-startup`).map((s) => statusOf(s.pod, "web")).filter((s) => s?.state.running);
    assert.ok(snaps.some((s) => s!.started === false), "seen running but not started");
    assert.ok(snaps.every((s) => s!.started === true || s!.ready === false), "never ready before started");
    assert.ok(unhealthy(k, `${h}-startup`, "Startup").length >= 1, "the startup probe failed at least once");
    assert.equal(unhealthy(k, `${h}-startup`, "Readiness"), [], "readiness did not run while startup was failing");
  });

  test(`${h}: a startup probe failing past the threshold restarts the container; liveness never runs before startup succeeds`, async () => {
    const k = ctx.k;
    const name = `${h}-startfail`;
    const p = await waitPod(k, name, "restarted by the startup probe", (x) => (statusOf(x, "web")?.restartCount ?? 0) >= 1);
    const killing = eventMessages(k, "Killing", `default/${k.podName(name)}`);
    assert.ok(killing.includes("Container web failed startup probe, will be restarted"), `Killing events: ${JSON.stringify(killing)}`);
    const msgs = unhealthy(k, name, "Startup");
    const ip = p.status!.podIP!;
    const failing = msgs.filter((m) => m === `Startup probe failed: ${failureText(h, ip)}`);
    assert.ok(failing.length >= 2, `startup failures name the failing check: ${JSON.stringify(msgs)}`);
    assert.ok(msgs.every((m) => [failureText(h, ip), startingText(h, ip)].map((t) => `Startup probe failed: ${t}`).includes(m)), `startup failure messages: ${JSON.stringify(msgs)}`);
    assert.equal(unhealthy(k, name, "Liveness"), [], "no liveness probe ran");
    assert.ok(!killing.some((m) => m.includes("liveness")), "no liveness kill");
    assert.ok(ctx.timeline.of(name).every((s) => statusOf(s.pod, "web")?.started !== true), "never started");
  });

  test(`${h}: the healthy pods stay healthy: no probe failures but a starting server's, no further restarts`, async () => {
    const k = ctx.k;
    // Stability needs time to show: both pods must hold for 3 probe periods.
    await holdsFor(3000, async () => {
      const [ok, live] = [await k.pod(`${h}-ok`), await k.pod(`${h}-live`)];
      return !!ok && !!live && ready(ok) && statusOf(ok, "web")!.restartCount === 0 && ready(live) && statusOf(live, "web")!.restartCount === 1;
    }, "the -ok pod Ready with 0 restarts, the -live pod Ready with 1");
    // Only the startup probe may have failed, while the server was still starting (what it is for).
    const ip = (await k.pod(`${h}-ok`))!.status!.podIP!;
    const okEvents = eventMessages(k, "Unhealthy", `default/${k.podName(`${h}-ok`)}`);
    assert.ok(okEvents.every((m) => m === `Startup probe failed: ${startingText(h, ip)}`), `Unhealthy events of ${h}-ok: ${JSON.stringify(okEvents)}`);
  });

  return { test, ctx };
}
