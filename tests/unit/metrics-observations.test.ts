/**
 * Where the kubelet's metrics are observed: PLEG relist duration, interval and last seen, pod
 * worker sync durations by type (create, update, sync), all on the fake clock; /proc parsing for
 * the process_* metrics; GET /metrics on the kubelet API.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createLogger } from "../../kubelet/log.ts";
import { createKubeletMetrics } from "../../kubelet/metrics/kubeletMetrics.ts";
import { parseMaxFds, parseProcStat, registerProcessMetrics } from "../../kubelet/metrics/processMetrics.ts";
import { MetricsRegistry } from "../../kubelet/metrics/registry.ts";
import { GenericPleg } from "../../kubelet/pleg/genericPleg.ts";
import { PodWorkers, type PodSyncType } from "../../kubelet/podWorkers.ts";
import { createKubeletApiHandler } from "../../kubelet/server/kubeletApi.ts";
import { fakeClock } from "./support/fakeTime.ts";

const quiet = createLogger(0, () => {});

test("PLEG: each relist reports its start, duration, the interval since the previous successful relist, and failures", async () => {
  const now = { t: 1_000_000 };
  const { clock } = fakeClock(now.t);
  const seen: [number, number, number | undefined, boolean][] = [];
  let fail = false;
  const read = async () => {
    now.t += 30; // each read takes 30 ms
    if (fail) throw new Error("runtime down");
    return [];
  };
  const pleg = new GenericPleg(read, () => {}, { ...clock, now: () => now.t }, quiet, 1000, { relisted: (...a) => seen.push(a) });
  await pleg.relist();
  now.t += 970;
  fail = true;
  await pleg.relist();
  fail = false;
  now.t += 1000;
  await pleg.relist();
  pleg.stop();
  assert.equal(seen, [
    [1_000_000, 30, undefined, true],
    [1_001_000, 30, 1000, false],
    [1_002_030, 30, 2030, true],
  ]);
});

test("PLEG wiring: relist duration and interval histograms, last seen in Unix seconds", async () => {
  const m = createKubeletMetrics();
  const now = { t: 1_700_000_000_500 };
  const { clock } = fakeClock(now.t);
  const pleg = new GenericPleg(async () => { now.t += 20; return []; }, () => {}, { ...clock, now: () => now.t }, quiet, 1000, {
    relisted: (startedMs, durationMs, sinceMs, ok) => {
      m.plegRelistDuration.observe(durationMs / 1000);
      if (sinceMs !== undefined) m.plegRelistInterval.observe(sinceMs / 1000);
      if (ok) m.plegLastSeen.set(Math.floor(startedMs / 1000));
    },
  });
  await pleg.relist();
  now.t += 980;
  await pleg.relist();
  pleg.stop();
  const text = m.registry.render();
  assert.match(text, 'kubelet_pleg_relist_duration_seconds_bucket{le="0.025"} 2\n');
  assert.match(text, "kubelet_pleg_relist_duration_seconds_count 2\n");
  assert.match(text, 'kubelet_pleg_relist_interval_seconds_bucket{le="0.5"} 0\n');
  assert.match(text, 'kubelet_pleg_relist_interval_seconds_bucket{le="1"} 1\n');
  assert.match(text, "kubelet_pleg_relist_interval_seconds_count 1\n");
  assert.match(text, "kubelet_pleg_last_seen_seconds 1.700000001e+09\n");
});

test("pod workers: the first sync is create, a spec change is update, the rest are sync; durations on the fake clock", async () => {
  const { clock, advance } = fakeClock();
  const observed: [PodSyncType, number][] = [];
  const workers = new PodWorkers(() => clock.sleep(250), clock, quiet, (type, ms) => observed.push([type, ms]));
  workers.update("a");
  await advance(300);
  workers.update("a", "update");
  await advance(300);
  workers.update("a");
  await advance(300);
  // Coalesced: an update arriving while a sync runs makes the follow-up an update.
  workers.update("a");
  workers.update("a", "update");
  await advance(600);
  assert.equal(observed, [["create", 250], ["update", 250], ["sync", 250], ["sync", 250], ["update", 250]]);
});

test("pod workers: a failing sync is still timed", async () => {
  const { clock, advance } = fakeClock();
  const observed: [PodSyncType, number][] = [];
  const workers = new PodWorkers(async () => { await clock.sleep(100); throw new Error("boom"); }, clock, quiet, (type, ms) => observed.push([type, ms]));
  workers.update("a");
  await advance(200);
  assert.equal(observed, [["create", 100]]);
});

test("process facts parse from /proc/self/stat (a command name with spaces and parentheses) and /proc/stat's btime", () => {
  const stat = "4242 (node (main) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 150 50 0 0 20 0 11 0 12345 34159783936 20122 18446744073709551615";
  const facts = parseProcStat(stat, "cpu  1 2 3\nbtime 1700000000\nprocesses 5\n");
  assert.equal(facts, { cpuSeconds: 2, startTimeSeconds: 1700000123.45, virtualBytes: 34159783936, residentBytes: 20122 * 4096 });
  assert.is(parseMaxFds("Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n"), 1024);
  assert.is(parseMaxFds("Max open files            unlimited            unlimited            files\n"), undefined);
  assert.throws(() => parseProcStat(stat, "cpu 1\n"), /btime/);
});

test("process_* families render without a stability prefix, refreshed at scrape", async () => {
  const r = new MetricsRegistry();
  let cpu = 1.5;
  registerProcessMetrics(r, async () => ({ cpuSeconds: cpu, residentBytes: 8e7, virtualBytes: 3e10, startTimeSeconds: 1700000123.45, openFds: 29, maxFds: 1024 }));
  let text = await r.scrape();
  assert.match(text, "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 1.5\n");
  assert.match(text, "process_resident_memory_bytes 8e+07\n");
  assert.match(text, "process_start_time_seconds 1.70000012345e+09\n");
  assert.match(text, "process_open_fds 29\n");
  assert.match(text, "process_max_fds 1024\n");
  cpu = 2.25;
  text = await r.scrape();
  assert.match(text, "process_cpu_seconds_total 2.25\n");
});

test("GET /metrics serves the registry as Prometheus text 0.0.4; without metrics it is 404", async () => {
  const m = createKubeletMetrics();
  m.nodeName.labels("node-1").set(1);
  const handler = createKubeletApiHandler({ pods: () => [], metrics: m.registry });
  const res = await handler(new Request("http://x/metrics"));
  assert.is(res.status, 200);
  assert.is(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  assert.match(await res.text(), '# HELP kubelet_node_name [ALPHA] The node\'s name. The count is always 1.\n# TYPE kubelet_node_name gauge\nkubelet_node_name{node="node-1"} 1\n');
  assert.is((await handler(new Request("http://x/metrics", { method: "POST" }))).status, 405);
  assert.is((await createKubeletApiHandler({ pods: () => [] })(new Request("http://x/metrics"))).status, 404);
});

test.run();
