/**
 * Pod sandboxes for integration tests: unique names, logs in a temp dir, a cgroup parent of their
 * own (cgroupfs: /kts-integration/pod<uid>, away from /kubepods, which a kubelet on the same node
 * would garbage-collect), and cleanup that removes everything even after a failed test.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, rmdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ContainerConfig, ContainerId, Outgoing, PodSandboxConfig, PodSandboxId } from "../../../bindings/cri/types.ts";
import type { Cri } from "../../../kubelet/ports/cri.ts";
import { BUSYBOX_IMAGE, TEST_LABEL } from "./cri.ts";

/** Parent of every test sandbox's cgroup (cgroupfs syntax). */
export const TEST_CGROUP_ROOT = "/kts-integration";
/** Where a test sandbox records its log dir, so a later sweep can delete it. */
const LOG_DIR_ANNOTATION = "kubelet-ts.test/log-directory";

/** A running sandbox created by `openTestSandbox`. */
export interface TestSandbox {
  id: PodSandboxId;
  uid: string;
  name: string;
  /** The config it was created with (CreateContainer needs it again). */
  config: Outgoing<PodSandboxConfig>;
  /** Host directory of its container logs (a fresh temp dir). */
  logDirectory: string;
  /** Creates a busybox container running `command` (not started); `extra` replaces fields, merges labels. */
  createContainer(name: string, command: string[], extra?: Outgoing<ContainerConfig>): Promise<ContainerId>;
  /** Stops and removes its containers and itself, its log dir and its cgroup. Never throws. */
  remove(): Promise<void>;
}

/**
 * Runs a new sandbox named `<prefix>-<random>`. `extra` replaces top-level config fields, except
 * labels and annotations, which are merged with the fixture's own.
 */
export async function openTestSandbox(cri: Cri, prefix: string, extra: Outgoing<PodSandboxConfig> = {}): Promise<TestSandbox> {
  const uid = randomUUID();
  const name = `${prefix}-${uid.slice(0, 8)}`;
  const logDirectory = mkdtempSync(join(tmpdir(), "kts-cri-logs-"));
  const namespaceOptions = { network: "POD", pid: "CONTAINER", ipc: "POD" } as const;
  const config: Outgoing<PodSandboxConfig> = {
    metadata: { name, uid, namespace: "kts-integration", attempt: 0 },
    hostname: name,
    logDirectory,
    linux: { cgroupParent: `${TEST_CGROUP_ROOT}/pod${uid}`, securityContext: { namespaceOptions } },
    ...extra,
    labels: { ...extra.labels, [TEST_LABEL]: String(process.pid) },
    annotations: { ...extra.annotations, [LOG_DIR_ANNOTATION]: logDirectory },
  };
  let id: PodSandboxId;
  try {
    id = await cri.runPodSandbox(config);
  } catch (err) {
    removeHostLeftovers(logDirectory, uid);
    throw err;
  }
  return {
    id, uid, name, config, logDirectory,
    createContainer: (containerName, command, more = {}) =>
      cri.createContainer(id, {
        metadata: { name: containerName, attempt: 0 },
        image: { image: BUSYBOX_IMAGE },
        command,
        logPath: `${containerName}/0.log`,
        linux: { securityContext: { namespaceOptions } },
        ...more,
        labels: { ...more.labels, [TEST_LABEL]: String(process.pid) },
      }, config),
    remove: () => removeTestSandbox(cri, id, logDirectory, uid),
  };
}

async function removeTestSandbox(cri: Cri, id: PodSandboxId, logDirectory: string, uid: string): Promise<void> {
  try {
    for (const c of await cri.listContainers({ podSandboxId: id })) {
      await cri.stopContainer(c.id, 0).catch(() => undefined);
      await cri.removeContainer(c.id).catch(() => undefined);
    }
    await cri.stopPodSandbox(id);
    await cri.removePodSandbox(id);
  } catch {
    // best effort: the sweep of the next run removes what is left
  }
  removeHostLeftovers(logDirectory, uid);
}

/** Removes the temp log dir and the pod cgroup runc created under every hierarchy. */
function removeHostLeftovers(logDirectory: string, uid: string): void {
  rmSync(logDirectory, { recursive: true, force: true });
  let hierarchies: string[] = [];
  try {
    hierarchies = readdirSync("/sys/fs/cgroup");
  } catch {
    return;
  }
  for (const h of hierarchies) {
    for (const dir of [`pod${uid}`, ""]) {
      try {
        rmdirSync(join("/sys/fs/cgroup", h, TEST_CGROUP_ROOT, dir));
      } catch {
        // absent, or still in use by another test sandbox: leave it
      }
    }
  }
}

/**
 * Removes sandboxes that earlier test processes left behind (their creator pid is gone), so a
 * crashed run does not leak into the next. Sandboxes of live processes are left alone.
 */
export async function sweepTestLeftovers(cri: Cri): Promise<number> {
  let removed = 0;
  for (const s of await cri.listPodSandbox()) {
    const pid = Number(s.labels[TEST_LABEL]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || processAlive(pid)) continue;
    await cri.stopPodSandbox(s.id).catch(() => undefined);
    await cri.removePodSandbox(s.id).catch(() => undefined);
    const logDirectory = s.annotations[LOG_DIR_ANNOTATION];
    if (logDirectory?.startsWith(tmpdir()) && s.metadata) removeHostLeftovers(logDirectory, s.metadata.uid);
    removed++;
  }
  return removed;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
