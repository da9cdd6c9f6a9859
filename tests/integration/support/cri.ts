/**
 * Reaching the real containerd from integration tests. The endpoint is `KTS_CRI_ENDPOINT`
 * (default: the socket scripts/env/runtime-up.sh starts). A test that cannot reach it fails with a
 * message saying how to start it: tests never skip because the runtime is missing.
 */
import { connectCri } from "../../../hosts/node/cri.ts";
import type { Cri } from "../../../kubelet/ports/cri.ts";

/** The CRI endpoint integration tests use. */
export const CRI_ENDPOINT = process.env.KTS_CRI_ENDPOINT ?? "unix:///tmp/kts/rt/containerd.sock";
/** A small image the testbed registry serves and containerd has pre-pulled. */
export const BUSYBOX_IMAGE = "127.0.0.1:5000/busybox:latest";
/** The sandbox (pause) image containerd is configured with. */
export const PAUSE_IMAGE = "127.0.0.1:5000/pause:latest";
/** Label put on every sandbox and container the integration tests create, for leftover sweeps. */
export const TEST_LABEL = "kubelet-ts.test/integration";

let shared: Promise<Cri> | undefined;

/**
 * The shared CRI connection of this test process (connected on first use). Rejects, in every test
 * that asks, when containerd is not reachable; call `closeTestCri` in the suite's `after` hook.
 */
export function testCri(): Promise<Cri> {
  shared ??= connectCri(CRI_ENDPOINT).catch((err: Error) => {
    throw new Error(`integration tests need containerd with CRI at ${CRI_ENDPOINT} (set KTS_CRI_ENDPOINT; start it with ` +
      `scripts/env/runtime-up.sh): ${err.message}`);
  });
  return shared;
}

/** Closes the shared connection, if one was made, so the test process can exit. Never throws. */
export async function closeTestCri(): Promise<void> {
  const pending = shared;
  shared = undefined;
  if (!pending) return;
  try {
    (await pending).close();
  } catch {
    // the connection never came up: nothing to close
  }
}
