// Node-side resource accounting: capacity -> allocatable, admission fit of pods against what is
// left, and the eviction order of pods under memory or disk pressure. Integers only, batched.

/** Most slots (same numbering as resources.ts) and most pods per call. */
const MAX_SLOTS: i32 = 24;
const MAX_PODS: i32 = 1024;
const SLOT_PODS: i32 = 3;

/** Call-level errors (same values as resources.ts). */
const ERR_COUNT: i32 = -1;
const ERR_SLOTS: i32 = -2;
const ERR_AMOUNT: i32 = -6;

const capacityBuf: usize = heap.alloc(<usize>MAX_SLOTS * 8);
const kubeReservedBuf: usize = heap.alloc(<usize>MAX_SLOTS * 8);
const systemReservedBuf: usize = heap.alloc(<usize>MAX_SLOTS * 8);
const evictionBuf: usize = heap.alloc(<usize>MAX_SLOTS * 8);
const evictionPctBuf: usize = heap.alloc(<usize>MAX_SLOTS * 4);
const podRequestsBuf: usize = heap.alloc(<usize>MAX_PODS * <usize>MAX_SLOTS * 8);
const allocatableBuf: usize = heap.alloc(<usize>MAX_SLOTS * 8);
const requestedBuf: usize = heap.alloc(<usize>MAX_SLOTS * 8);
const admitBuf: usize = heap.alloc(<usize>MAX_PODS * 4);
const usageBuf: usize = heap.alloc(<usize>MAX_PODS * 8);
const evictRequestBuf: usize = heap.alloc(<usize>MAX_PODS * 8);
const priorityBuf: usize = heap.alloc(<usize>MAX_PODS * 4);
const evictFlagsBuf: usize = heap.alloc(<usize>MAX_PODS * 4);
const orderBuf: usize = heap.alloc(<usize>MAX_PODS * 4);

/** Per pod nres x i64 effective requests: output of computePods, input of admitPods (0 = none). */
export function resPodRequestsPtr(): usize { return podRequestsBuf; }
/** Per slot i64 node capacity; -1 = the node does not have the resource. */
export function resNodeCapacityPtr(): usize { return capacityBuf; }
/** Per slot i64 kube-reserved; -1 or 0 = none. */
export function resNodeKubeReservedPtr(): usize { return kubeReservedBuf; }
/** Per slot i64 system-reserved; -1 or 0 = none. */
export function resNodeSystemReservedPtr(): usize { return systemReservedBuf; }
/** Per slot i64 hard eviction threshold as an amount; -1 = none. */
export function resNodeEvictionPtr(): usize { return evictionBuf; }
/** Per slot f32 hard eviction threshold as a fraction of capacity (0.1 = 10%); 0 = use the amount. */
export function resNodeEvictionFractionPtr(): usize { return evictionPctBuf; }
/** Per slot i64 allocatable: output of nodeAllocatable, input of admitPods. */
export function resNodeAllocatablePtr(): usize { return allocatableBuf; }
/** Per slot i64 already requested by admitted pods (slot 3: number of pods); updated by admitPods. */
export function resNodeRequestedPtr(): usize { return requestedBuf; }
/** Out, per candidate pod i32 bitmask of insufficient slots (bit r = slot r); 0 = fits. */
export function resAdmitPtr(): usize { return admitBuf; }
/** Per pod i64 usage of the pressured resource (bytes). */
export function resEvictUsagePtr(): usize { return usageBuf; }
/** Per pod i64 request of the pressured resource (bytes). */
export function resEvictRequestPtr(): usize { return evictRequestBuf; }
/** Per pod i32 priority (spec.priority). */
export function resEvictPriorityPtr(): usize { return priorityBuf; }
/** Per pod i32 flags: bit 0 = usage stats are known. */
export function resEvictFlagsPtr(): usize { return evictFlagsBuf; }
/** Out, pod indices in eviction order (first = evict first). */
export function resEvictOrderPtr(): usize { return orderBuf; }

@inline function slot(buf: usize, r: i32): i64 { return load<i64>(buf + <usize>r * 8); }

/** a - b floored at 0, with b <= 0 meaning nothing to subtract. */
@inline function less(a: i64, b: i64): i64 { return b <= 0 ? a : b >= a ? 0 : a - b; }

/** The hard eviction threshold for slot r in absolute units (GetThresholdQuantity). */
function threshold(r: i32, capacity: i64): i64 {
  const fraction = load<f32>(evictionPctBuf + <usize>r * 4);
  if (fraction > 0) {
    const t = <f64>capacity * <f64>fraction; // Go: int64(float64(capacity) * float64(percentage))
    return t >= 9.223372036854775e18 ? capacity : <i64>t;
  }
  const amount = slot(evictionBuf, r);
  return amount > 0 ? amount : 0;
}

/**
 * Allocatable = capacity - kube-reserved - system-reserved - hard eviction threshold, floored at
 * 0, per slot; -1 where the node lacks the resource. Returns 0 or a negative error.
 */
export function nodeAllocatable(nres: i32): i32 {
  if (nres < 4 || nres > MAX_SLOTS) return ERR_SLOTS;
  for (let r = 0; r < nres; r++) {
    const fraction = load<f32>(evictionPctBuf + <usize>r * 4);
    if (!(fraction >= 0 && fraction <= 1)) return ERR_AMOUNT;
    if (slot(capacityBuf, r) < -1 || slot(kubeReservedBuf, r) < -1 || slot(systemReservedBuf, r) < -1 || slot(evictionBuf, r) < -1) return ERR_AMOUNT;
  }
  for (let r = 0; r < nres; r++) {
    const capacity = slot(capacityBuf, r);
    let value: i64 = -1;
    if (capacity >= 0) {
      const kube = slot(kubeReservedBuf, r), system = slot(systemReservedBuf, r);
      value = less(less(less(capacity, kube), system), threshold(r, capacity));
    }
    store<i64>(allocatableBuf + <usize>r * 8, value);
  }
  return 0;
}

/**
 * Admission fit (noderesources.Fits as the kubelet's admit handler uses it) of `podCount`
 * candidates whose effective requests are in resPodRequestsPtr (nres per pod). Writes a bitmask
 * of insufficient slots per pod. With `sequential` non-zero a pod that fits is added to the
 * requested totals before the next is checked. Returns the number of pods that do not fit.
 */
export function admitPods(podCount: i32, nres: i32, sequential: i32): i32 {
  if (podCount < 0 || podCount > MAX_PODS) return ERR_COUNT;
  if (nres < 4 || nres > MAX_SLOTS) return ERR_SLOTS;
  let rejected = 0;
  for (let p = 0; p < podCount; p++) {
    const row = podRequestsBuf + <usize>p * <usize>nres * 8;
    let mask = 0;
    const allowedPods = slot(allocatableBuf, SLOT_PODS);
    if (slot(requestedBuf, SLOT_PODS) + 1 > (allowedPods < 0 ? 0 : allowedPods)) mask |= 1 << SLOT_PODS;
    for (let r = 0; r < nres; r++) {
      if (r == SLOT_PODS) continue;
      const want = load<i64>(row + <usize>r * 8);
      if (want <= 0) continue;
      let free = slot(allocatableBuf, r);
      if (free < 0) free = 0;
      if (want > free - slot(requestedBuf, r)) mask |= 1 << r;
    }
    store<i32>(admitBuf + <usize>p * 4, mask);
    if (mask != 0) { rejected++; continue; }
    if (sequential != 0) {
      for (let r = 0; r < nres; r++) {
        const want = load<i64>(row + <usize>r * 8);
        const add: i64 = r == SLOT_PODS ? 1 : want > 0 ? want : 0;
        store<i64>(requestedBuf + <usize>r * 8, slot(requestedBuf, r) + add);
      }
    }
  }
  return rejected;
}

/** Negative when pod a is evicted before pod b (rankMemoryPressure / rankDiskPressure order). */
function compareForEviction(a: i32, b: i32): i32 {
  const statsA = (load<i32>(evictFlagsBuf + <usize>a * 4) & 1) != 0;
  const statsB = (load<i32>(evictFlagsBuf + <usize>b * 4) & 1) != 0;
  if (statsA != statsB) return statsA ? 1 : -1; // pods without stats first
  const overA = load<i64>(usageBuf + <usize>a * 8) - load<i64>(evictRequestBuf + <usize>a * 8);
  const overB = load<i64>(usageBuf + <usize>b * 8) - load<i64>(evictRequestBuf + <usize>b * 8);
  if (statsA) {
    const exceedsA = overA > 0, exceedsB = overB > 0;
    if (exceedsA != exceedsB) return exceedsA ? -1 : 1; // usage above request first
  }
  const prioA = load<i32>(priorityBuf + <usize>a * 4), prioB = load<i32>(priorityBuf + <usize>b * 4);
  if (prioA != prioB) return prioA < prioB ? -1 : 1; // lower priority first
  if (statsA && overA != overB) return overA > overB ? -1 : 1; // more above request first
  return a - b; // stable
}

/** Orders `count` pods for eviction into resEvictOrderPtr; returns count or ERR_COUNT. */
export function rankEviction(count: i32): i32 {
  if (count < 0 || count > MAX_PODS) return ERR_COUNT;
  for (let i = 0; i < count; i++) {
    let j = i;
    while (j > 0 && compareForEviction(i, load<i32>(orderBuf + <usize>(j - 1) * 4)) < 0) {
      store<i32>(orderBuf + <usize>j * 4, load<i32>(orderBuf + <usize>(j - 1) * 4));
      j--;
    }
    store<i32>(orderBuf + <usize>j * 4, i);
  }
  return count;
}
