/*
 * core-embed: proves core.wasm runs outside JavaScript. wasm2c turns dist/core.wasm into C
 * (generated into a build directory, see build.sh); this program instantiates it, provides the
 * one import (env.abort), and prints restart backoff, pod QoS/cgroup values and quantity parses
 * for fixed inputs. tests/unit/core-embed-c.test.ts compares the output with the JS bindings.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

/* The env module: only abort. AssemblyScript passes UTF-16 string pointers; print them as ASCII. */
struct Z_env_instance_t { Z_core_instance_t* core; };

static void print_as_string(Z_core_instance_t* core, u32 ptr) {
  if (ptr == 0) return;
  wasm_rt_memory_t* mem = Z_coreZ_memory(core);
  u32 bytes;
  memcpy(&bytes, mem->data + ptr - 4, 4);
  for (u32 i = 0; i < bytes; i += 2) fputc(mem->data[ptr + i], stderr);
}

void Z_envZ_abort(struct Z_env_instance_t* env, u32 msg, u32 file, u32 line, u32 column) {
  fprintf(stderr, "core.wasm aborted: ");
  print_as_string(env->core, msg);
  fprintf(stderr, " at ");
  print_as_string(env->core, file);
  fprintf(stderr, ":%u:%u\n", line, column);
  exit(70);
}

static u8* mem(Z_core_instance_t* core) { return Z_coreZ_memory(core)->data; }
static void put_i32(Z_core_instance_t* c, u32 at, s32 v) { memcpy(mem(c) + at, &v, 4); }
static void put_i64(Z_core_instance_t* c, u32 at, s64 v) { memcpy(mem(c) + at, &v, 8); }
static void put_f64(Z_core_instance_t* c, u32 at, double v) { memcpy(mem(c) + at, &v, 8); }
static s32 get_i32(Z_core_instance_t* c, u32 at) { s32 v; memcpy(&v, mem(c) + at, 4); return v; }
static s64 get_i64(Z_core_instance_t* c, u32 at) { s64 v; memcpy(&v, mem(c) + at, 8); return v; }
static double get_f64(Z_core_instance_t* c, u32 at) { double v; memcpy(&v, mem(c) + at, 8); return v; }

/* One backoff call for key 0 at eventTime; prints the result like the JS side does. */
static void backoff(Z_core_instance_t* c, const char* op, double event_time, double now) {
  u32 buf = Z_coreZ_backoffBuffer(c);
  put_i32(c, buf, 0);
  put_f64(c, buf + 8, event_time);
  if (strcmp(op, "next") == 0) Z_coreZ_backoffNext(c, 0, 1, now);
  else Z_coreZ_backoffInBackoffSince(c, 0, 1, now);
  printf("backoff %s event=%.0f now=%.0f -> %d %.0f\n", op, event_time, now, get_i32(c, buf), get_f64(c, buf + 8));
}

static void run_backoff(Z_core_instance_t* c) {
  Z_coreZ_backoffConfigure(c, 0, 10000, 300000);
  for (int i = 0; i < 7; i++) backoff(c, "next", i * 15000.0, i * 15000.0);
  backoff(c, "since", 90000, 150000);
  backoff(c, "since", 90000, 400000);
  backoff(c, "next", 2000000, 2000000);
}

enum { NRES = 4, APP = 0, INIT = 1, SIDECAR = 2 };
#define MiB (1024LL * 1024)
#define GiB (1024LL * MiB)
/* kind, request cpu/mem, limit cpu/mem (-1 = unset) */
static const s64 containers[][5] = {
  {APP, 500, GiB, 500, GiB},                 /* pod 0: Guaranteed */
  {APP, 250, 512 * MiB, 1000, GiB},          /* pod 1: Burstable with sidecar and init */
  {SIDECAR, 100, 64 * MiB, -1, -1},
  {INIT, 2000, -1, -1, -1},
  {APP, -1, -1, -1, -1},                     /* pod 2: BestEffort */
  {APP, 100, -1, -1, -1},                    /* pod 3: node-critical Burstable */
};
static const s32 pods[][3] = {{0, 1, 0}, {1, 3, 0}, {4, 1, 0}, {5, 1, 1}}; /* first, count, flags */

static void run_pods(Z_core_instance_t* c) {
  const int npods = 4, nctr = 6;
  u32 podsp = Z_coreZ_resPodsPtr(c), kinds = Z_coreZ_resContainerKindsPtr(c);
  u32 reqs = Z_coreZ_resRequestsPtr(c), lims = Z_coreZ_resLimitsPtr(c), ovh = Z_coreZ_resOverheadPtr(c);
  for (int p = 0; p < npods; p++) {
    for (int k = 0; k < 3; k++) put_i32(c, podsp + (p * 4 + k) * 4, pods[p][k]);
    put_i32(c, podsp + (p * 4 + 3) * 4, 0);
    for (int r = 0; r < NRES; r++) put_i64(c, ovh + (p * NRES + r) * 8, -1);
  }
  for (int i = 0; i < nctr; i++) {
    put_i32(c, kinds + i * 4, (s32)containers[i][0]);
    for (int r = 0; r < NRES; r++) {
      put_i64(c, reqs + (i * NRES + r) * 8, r < 2 ? containers[i][1 + r] : -1);
      put_i64(c, lims + (i * NRES + r) * 8, r < 2 ? containers[i][3 + r] : -1);
    }
  }
  s32 rc = (s32)Z_coreZ_computePods(c, npods, NRES, 8 * GiB, 100000, 1);
  printf("computePods -> %d\n", rc);
  static const char* qos[] = {"BestEffort", "Burstable", "Guaranteed"};
  u32 preq = Z_coreZ_resPodRequestsPtr(c), cg = Z_coreZ_resPodCgroupPtr(c), oom = Z_coreZ_resContainerOomPtr(c);
  for (int p = 0; p < npods; p++) {
    printf("pod %d qos=%s cpu=%" PRId64 " memory=%" PRId64, p, qos[get_i32(c, Z_coreZ_resPodQosPtr(c) + p * 4)],
           get_i64(c, preq + (p * NRES) * 8), get_i64(c, preq + (p * NRES + 1) * 8));
    printf(" shares=%" PRId64 " quota=%" PRId64 " period=%" PRId64 " memoryLimit=%" PRId64 " weight=%" PRId64 " oom=",
           get_i64(c, cg + p * 40), get_i64(c, cg + p * 40 + 8), get_i64(c, cg + p * 40 + 16),
           get_i64(c, cg + p * 40 + 24), get_i64(c, cg + p * 40 + 32));
    for (int k = 0; k < pods[p][1]; k++) printf("%s%d", k ? "," : "", get_i32(c, oom + (pods[p][0] + k) * 4));
    printf("\n");
  }
}

static void run_quantities(Z_core_instance_t* c) {
  static const char* inputs[] = {"500m", "1.5Gi", "2e3", "0.1", "100Mi", "1.1.M", "8Ei"};
  const int n = sizeof inputs / sizeof inputs[0];
  u32 in = Z_coreZ_quantityInputPtr(c), items = Z_coreZ_quantityItemsPtr(c);
  u32 used = 0;
  for (int i = 0; i < n; i++) {
    u32 len = (u32)strlen(inputs[i]);
    memcpy(mem(c) + in + used, inputs[i], len);
    put_i32(c, items + i * 8, (s32)used);
    put_i32(c, items + i * 8 + 4, (s32)len);
    used += len;
  }
  Z_coreZ_parseQuantities(c, n, 1);
  u32 out = Z_coreZ_quantityOutputPtr(c), outItems = Z_coreZ_quantityOutItemsPtr(c);
  for (int i = 0; i < n; i++) {
    s32 code = get_i32(c, Z_coreZ_quantityCodesPtr(c) + i * 4);
    printf("quantity %s code=%d value=%" PRId64 " milli=%" PRId64 " canonical=%.*s\n", inputs[i], code,
           get_i64(c, Z_coreZ_quantityValuesPtr(c) + i * 8), get_i64(c, Z_coreZ_quantityMillisPtr(c) + i * 8),
           get_i32(c, outItems + i * 8 + 4), (const char*)mem(c) + out + get_i32(c, outItems + i * 8));
  }
}

int main(void) {
  wasm_rt_init();
  Z_core_init_module();
  static Z_core_instance_t core;
  struct Z_env_instance_t env = {&core};
  Z_core_instantiate(&core, &env);
  printf("abiVersion %u\n", Z_coreZ_abiVersion(&core));
  run_backoff(&core);
  run_pods(&core);
  run_quantities(&core);
  Z_core_free(&core);
  wasm_rt_free();
  return 0;
}
