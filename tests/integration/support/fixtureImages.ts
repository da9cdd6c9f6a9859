/**
 * Test images derived from the pre-pulled busybox: same layers, a different image config (e.g. a
 * USER), pushed to the local registry with skopeo and umoci (both installed by
 * scripts/env/runtime-up.sh). Built once per registry: an image already there is reused.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUSYBOX_IMAGE } from "./cri.ts";

const inRegistry = (ref: string) => {
  try {
    execFileSync("skopeo", ["inspect", "--tls-verify=false", `docker://${ref}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};

/** `127.0.0.1:5000/busybox-user:<tag>`: busybox whose image config sets USER `user`. Resolves to the reference. */
export function busyboxWithUser(user: string, tag: string): string {
  const ref = BUSYBOX_IMAGE.replace(/busybox:latest$/, `busybox-user:${tag}`);
  if (inRegistry(ref)) return ref;
  const dir = mkdtempSync(join(tmpdir(), "kts-fixture-image-"));
  try {
    const layout = `oci:${join(dir, "oci")}:img`;
    execFileSync("skopeo", ["copy", "-q", "--src-tls-verify=false", `docker://${BUSYBOX_IMAGE}`, layout]);
    execFileSync("umoci", ["config", "--image", `${join(dir, "oci")}:img`, "--config.user", user]);
    execFileSync("skopeo", ["copy", "-q", "--dest-tls-verify=false", layout, `docker://${ref}`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return ref;
}
