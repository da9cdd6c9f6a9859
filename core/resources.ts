// Pod resource accounting on integers: effective pod requests/limits (init containers, sidecars,
// overhead), QoS class, pod cgroup values and per-container oom_score_adj. Batched over pods;
// node-side accounting (allocatable, admission fit, eviction ranking) is in resNode.ts.
// Buffer layouts and codes: bindings/core/ABI.md "Resource accounting".

export * from "./resNode";
import { resPodRequestsPtr } from "./resNode";

/** Most resource slots per call: 0 cpu (milli), 1 memory, 2 ephemeral-storage, 3 pods, 4.. extended. */
export const RES_MAX_SLOTS: i32 = 24;
/** Most pods per call. */
export const RES_MAX_PODS: i32 = 1024;
/** Most containers (all kinds, all pods) per call. */
export const RES_MAX_CONTAINERS: i32 = 8192;
/** Fields per pod in the cgroup output: shares, quota, period, memory limit, cpu.weight. */
export const RES_CGROUP_FIELDS: i32 = 5;

/** Call-level error: pod (or candidate) count outside [0, RES_MAX_PODS]. */
export const RES_ERR_COUNT: i32 = -1;
/** Call-level error: nres outside the accepted slot range. */
export const RES_ERR_SLOTS: i32 = -2;
/** Call-level error: a pod's container range or a container kind is invalid. */
export const RES_ERR_CONTAINERS: i32 = -3;
/** Call-level error: memoryCapacity is not positive. */
export const RES_ERR_CAPACITY: i32 = -4;
/** Call-level error: the CFS period is not positive. */
export const RES_ERR_PERIOD: i32 = -5;
/** Call-level error: an amount below -1 (or an eviction fraction outside [0, 1]). */
export const RES_ERR_AMOUNT: i32 = -6;

/** QoS class BestEffort as numbered in resPodQosPtr. */
export const QOS_BEST_EFFORT: i32 = 0;
/** QoS class Burstable. */
export const QOS_BURSTABLE: i32 = 1;
/** QoS class Guaranteed. */
export const QOS_GUARANTEED: i32 = 2;

/** oom_score_adj of the kubelet itself (pkg/kubelet/qos/policy.go). */
export const OOM_SCORE_ADJ_KUBELET: i32 = -999;
/** oom_score_adj of Guaranteed and node-critical pods. */
export const OOM_SCORE_ADJ_GUARANTEED: i32 = -997;
/** oom_score_adj of BestEffort pods. */
export const OOM_SCORE_ADJ_BEST_EFFORT: i32 = 1000;

const KIND_APP: i32 = 0;
const KIND_SIDECAR: i32 = 2;

const podsBuf: usize = heap.alloc(<usize>RES_MAX_PODS * 16);
const kindsBuf: usize = heap.alloc(<usize>RES_MAX_CONTAINERS * 4);
const requestsBuf: usize = heap.alloc(<usize>RES_MAX_CONTAINERS * <usize>RES_MAX_SLOTS * 8);
const limitsBuf: usize = heap.alloc(<usize>RES_MAX_CONTAINERS * <usize>RES_MAX_SLOTS * 8);
const overheadBuf: usize = heap.alloc(<usize>RES_MAX_PODS * <usize>RES_MAX_SLOTS * 8);
const podLimitsBuf: usize = heap.alloc(<usize>RES_MAX_PODS * <usize>RES_MAX_SLOTS * 8);
const qosBuf: usize = heap.alloc(<usize>RES_MAX_PODS * 4);
const cgroupBuf: usize = heap.alloc(<usize>RES_MAX_PODS * <usize>RES_CGROUP_FIELDS * 8);
const oomBuf: usize = heap.alloc(<usize>RES_MAX_CONTAINERS * 4);

/** Per pod 4 x i32: first container index, container count, flags (bit 0 node-critical), 0. */
export function resPodsPtr(): usize { return podsBuf; }
/** Per container i32 kind: 0 app, 1 init, 2 sidecar (init container with restartPolicy Always). */
export function resContainerKindsPtr(): usize { return kindsBuf; }
/** Per container nres x i64 requests; -1 = not set. */
export function resRequestsPtr(): usize { return requestsBuf; }
/** Per container nres x i64 limits; -1 = not set. */
export function resLimitsPtr(): usize { return limitsBuf; }
/** Per pod nres x i64 overhead; -1 = not set. */
export function resOverheadPtr(): usize { return overheadBuf; }
/** Out, per pod nres x i64: effective limits, -1 when no container declares one. */
export function resPodLimitsPtr(): usize { return podLimitsBuf; }
/** Out, per pod i32 QoS class. */
export function resPodQosPtr(): usize { return qosBuf; }
/** Out, per pod RES_CGROUP_FIELDS x i64: cpu.shares, cfs quota (-1 none), period (-1 none), memory limit (-1 none), cpu.weight. */
export function resPodCgroupPtr(): usize { return cgroupBuf; }
/** Out, per container i32 oom_score_adj. */
export function resContainerOomPtr(): usize { return oomBuf; }

@inline function amount(buf: usize, row: i32, nres: i32, r: i32): i64 {
  return load<i64>(buf + (<usize>row * <usize>nres + <usize>r) * 8);
}

/** The request a container asks for: its request, else its limit (API defaulting), else -1. */
@inline function request(c: i32, nres: i32, r: i32): i64 {
  const q = amount(requestsBuf, c, nres, r);
  return q >= 0 ? q : amount(limitsBuf, c, nres, r);
}

@inline function max64(a: i64, b: i64): i64 { return a > b ? a : b; }

/**
 * Aggregates one resource over a pod's containers by the KEP-753 rule: app containers and
 * sidecars run together; init container i runs beside the sidecars started before it.
 * Returns the aggregate, or -1 when no container sets it. `limits` selects the table.
 */
function aggregate(first: i32, count: i32, nres: i32, r: i32, limits: bool): i64 {
  let running: i64 = 0; // app containers + sidecars
  let sidecars: i64 = 0; // sidecars started so far
  let initPeak: i64 = 0;
  let present = false;
  for (let c = first; c < first + count; c++) {
    const kind = load<i32>(kindsBuf + <usize>c * 4);
    let q = limits ? amount(limitsBuf, c, nres, r) : request(c, nres, r);
    if (q >= 0) present = true; else q = 0;
    if (kind == KIND_APP) running += q;
    else if (kind == KIND_SIDECAR) { running += q; sidecars += q; initPeak = max64(initPeak, sidecars); }
    else initPeak = max64(initPeak, q + sidecars);
  }
  return present ? max64(running, initPeak) : -1;
}

/** v1 cpu.shares from milli-CPU (MilliCPUToShares). */
export function milliCpuToShares(milli: i64): i64 {
  if (milli == 0) return 2;
  const shares = milli * 1024 / 1000;
  return shares < 2 ? 2 : shares > 262144 ? 262144 : shares;
}

/** CFS quota in µs from milli-CPU and period (MilliCPUToQuota); 0 when milli is 0. */
export function milliCpuToQuota(milli: i64, period: i64): i64 {
  if (milli == 0) return 0;
  const quota = milli * period / 1000;
  return quota < 1000 ? 1000 : quota;
}

/** cgroup v2 cpu.weight from v1 shares (runc's conversion); 0 for 0 shares. */
export function sharesToCpuWeight(shares: i64): i64 {
  if (shares == 0) return 0;
  return 1 + (shares - 2) * 9999 / 262142;
}

/** QoS class of pod p (qos.GetPodQOS over cpu and memory, amounts > 0 only). */
function podQos(first: i32, count: i32, nres: i32): i32 {
  let guaranteed = true;
  let reqCpu: i64 = 0, reqMem: i64 = 0, limCpu: i64 = 0, limMem: i64 = 0;
  let hasReqCpu = false, hasReqMem = false, hasLimCpu = false, hasLimMem = false;
  for (let c = first; c < first + count; c++) {
    const rc = request(c, nres, 0), rm = request(c, nres, 1);
    const lc = amount(limitsBuf, c, nres, 0), lm = amount(limitsBuf, c, nres, 1);
    if (rc > 0) { reqCpu += rc; hasReqCpu = true; }
    if (rm > 0) { reqMem += rm; hasReqMem = true; }
    if (lc > 0) { limCpu += lc; hasLimCpu = true; }
    if (lm > 0) { limMem += lm; hasLimMem = true; }
    if (lc <= 0 || lm <= 0) guaranteed = false;
  }
  if (!hasReqCpu && !hasReqMem && !hasLimCpu && !hasLimMem) return QOS_BEST_EFFORT;
  if (guaranteed && hasReqCpu == hasLimCpu && hasReqMem == hasLimMem &&
    (!hasReqCpu || reqCpu == limCpu) && (!hasReqMem || reqMem == limMem)) return QOS_GUARANTEED;
  return QOS_BURSTABLE;
}

/** Burstable oom_score_adj before clamping: 1000 - 1000*request/capacity (Go int64 math). */
@inline function linearOom(memRequest: i64, capacity: i64): i64 {
  return 1000 - (1000 * memRequest) / capacity;
}

function containerOom(p: i32, c: i32, first: i32, count: i32, nres: i32, qos: i32, capacity: i64): i32 {
  if ((load<i32>(podsBuf + <usize>p * 16 + 8) & 1) != 0) return OOM_SCORE_ADJ_GUARANTEED;
  if (qos == QOS_GUARANTEED) return OOM_SCORE_ADJ_GUARANTEED;
  if (qos == QOS_BEST_EFFORT) return OOM_SCORE_ADJ_BEST_EFFORT;
  const mem = request(c, nres, 1);
  let adj = linearOom(mem < 0 ? 0 : mem, capacity);
  if (load<i32>(kindsBuf + <usize>c * 4) == KIND_SIDECAR) {
    // a sidecar is never killed before the pod's smallest regular container
    let minRegular: i64 = -1;
    for (let k = first; k < first + count; k++) {
      if (load<i32>(kindsBuf + <usize>k * 4) != KIND_APP) continue;
      let m = request(k, nres, 1);
      if (m < 0) m = 0;
      if (minRegular < 0 || m < minRegular) minRegular = m;
    }
    const floor = linearOom(minRegular < 0 ? 0 : minRegular, capacity);
    if (adj > floor) adj = floor;
  }
  if (adj < 1000 + OOM_SCORE_ADJ_GUARANTEED) return 1000 + OOM_SCORE_ADJ_GUARANTEED;
  if (adj == OOM_SCORE_ADJ_BEST_EFFORT) return OOM_SCORE_ADJ_BEST_EFFORT - 1;
  return <i32>adj;
}

/** Every container of the pod sets a non-zero limit for resource r. */
function limitsDeclared(first: i32, count: i32, nres: i32, r: i32): bool {
  for (let c = first; c < first + count; c++) if (amount(limitsBuf, c, nres, r) <= 0) return false;
  return true;
}

function podCgroup(p: i32, first: i32, count: i32, nres: i32, qos: i32, period: i64, enforceCpu: bool): void {
  const out = cgroupBuf + <usize>p * <usize>RES_CGROUP_FIELDS * 8;
  const cpuReq = amount(resPodRequestsPtr(), p, nres, 0);
  const cpuLim = max64(amount(podLimitsBuf, p, nres, 0), 0);
  const memLim = max64(amount(podLimitsBuf, p, nres, 1), 0);
  let shares = milliCpuToShares(cpuReq);
  let quota: i64 = enforceCpu ? milliCpuToQuota(cpuLim, period) : -1;
  let per: i64 = period;
  let memory: i64 = memLim;
  if (qos == QOS_BEST_EFFORT) {
    shares = 2; quota = -1; per = -1; memory = -1;
  } else if (qos == QOS_BURSTABLE) {
    if (!limitsDeclared(first, count, nres, 0)) { quota = -1; per = -1; }
    if (!limitsDeclared(first, count, nres, 1)) memory = -1;
  }
  store<i64>(out, shares);
  store<i64>(out + 8, quota);
  store<i64>(out + 16, per);
  store<i64>(out + 24, memory);
  store<i64>(out + 32, sharesToCpuWeight(shares));
}

/** Validates the pod table and the amounts it points at; returns 0 or a RES_ERR_*. */
function validate(podCount: i32, nres: i32): i32 {
  if (podCount < 0 || podCount > RES_MAX_PODS) return RES_ERR_COUNT;
  if (nres < 3 || nres > RES_MAX_SLOTS) return RES_ERR_SLOTS;
  for (let p = 0; p < podCount; p++) {
    const first = load<i32>(podsBuf + <usize>p * 16);
    const count = load<i32>(podsBuf + <usize>p * 16 + 4);
    if (first < 0 || count < 0 || first > RES_MAX_CONTAINERS - count) return RES_ERR_CONTAINERS;
    for (let r = 0; r < nres; r++) if (amount(overheadBuf, p, nres, r) < -1) return RES_ERR_AMOUNT;
    for (let c = first; c < first + count; c++) {
      const kind = load<i32>(kindsBuf + <usize>c * 4);
      if (kind < 0 || kind > 2) return RES_ERR_CONTAINERS;
      for (let r = 0; r < nres; r++) {
        if (amount(requestsBuf, c, nres, r) < -1 || amount(limitsBuf, c, nres, r) < -1) return RES_ERR_AMOUNT;
      }
    }
  }
  return 0;
}

/**
 * Accounts `podCount` pods: effective requests and limits, QoS, pod cgroup values and each
 * container's oom_score_adj. `memoryCapacity` is the node's memory in bytes, `cpuPeriod` the CFS
 * period in µs; `enforceCpuLimits` 0 leaves quotas unset. Returns 0 or a RES_ERR_*.
 */
export function computePods(podCount: i32, nres: i32, memoryCapacity: i64, cpuPeriod: i64, enforceCpuLimits: i32): i32 {
  const bad = validate(podCount, nres);
  if (bad != 0) return bad;
  if (memoryCapacity <= 0) return RES_ERR_CAPACITY;
  if (cpuPeriod <= 0) return RES_ERR_PERIOD;
  for (let p = 0; p < podCount; p++) {
    const first = load<i32>(podsBuf + <usize>p * 16);
    const count = load<i32>(podsBuf + <usize>p * 16 + 4);
    for (let r = 0; r < nres; r++) {
      const at = (<usize>p * <usize>nres + <usize>r) * 8;
      const overhead = load<i64>(overheadBuf + at);
      let req = aggregate(first, count, nres, r, false);
      if (req < 0) req = 0;
      if (overhead > 0) req += overhead;
      let lim = aggregate(first, count, nres, r, true);
      if (lim > 0 && overhead > 0) lim += overhead;
      store<i64>(resPodRequestsPtr() + at, r == 3 ? 0 : req);
      store<i64>(podLimitsBuf + at, lim);
    }
    const qos = podQos(first, count, nres);
    store<i32>(qosBuf + <usize>p * 4, qos);
    podCgroup(p, first, count, nres, qos, cpuPeriod, enforceCpuLimits != 0);
    for (let c = first; c < first + count; c++) {
      store<i32>(oomBuf + <usize>c * 4, containerOom(p, c, first, count, nres, qos, memoryCapacity));
    }
  }
  return 0;
}
