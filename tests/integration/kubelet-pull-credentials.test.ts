/**
 * Node-level registry credentials on a real containerd: a standalone kubelet-ts with
 * `<rootDir>/config.json` holding the authenticated testbed registry's auth (127.0.0.1:5001, user
 * kts) pulls a static pod's image from it; without that file the pull is anonymous and refused.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CRI_ENDPOINT } from "./support/cri.ts";
import { KubeletProcess } from "./support/kubeletProcess.ts";
import { keepLog, podManifest, shContainer, statusOf, trapped, waitPod, waitRunning, withPod } from "./support/podKit.ts";

const test = suite("kubelet pull credentials (node config.json)");
const AUTH_REGISTRY = "127.0.0.1:5001";
const IMAGE = `${AUTH_REGISTRY}/busybox:latest`;
const PASSWORD = "kts-secret";

let withConfig: KubeletProcess | undefined;
let without: KubeletProcess | undefined;

/**
 * Drops the 5001 name of the image so a rerun pulls again. Not CRI RemoveImage: that removes every
 * name of the image ID, and the 5000 busybox other tests rely on is the same image.
 */
function forgetImage(): void {
  try {
    execFileSync("ctr", ["--address", CRI_ENDPOINT.replace(/^unix:\/\//, ""), "-n", "k8s.io", "images", "rm", IMAGE], { stdio: "ignore" });
  } catch {
    // not pulled, or ctr missing: nothing to forget
  }
}

test.after(async () => {
  keepLog(withConfig, "pull-credentials");
  keepLog(without, "pull-credentials-anonymous");
  await withConfig?.dispose();
  await without?.dispose();
  forgetImage();
});

const container = () => shContainer("main", trapped(), { image: IMAGE, imagePullPolicy: "Always" });

test("<rootDir>/config.json with the registry's auth: a static pod pulls from the authenticated registry and runs", async () => {
  withConfig = await KubeletProcess.create("kts-creds");
  mkdirSync(withConfig.rootDir, { recursive: true });
  writeFileSync(join(withConfig.rootDir, "config.json"), JSON.stringify({ auths: { [`http://${AUTH_REGISTRY}`]: { auth: btoa(`kts:${PASSWORD}`) } } }));
  await withConfig.start();
  const k = withConfig;
  await withPod(k, podManifest("private-pull", { containers: [container()] }), async () => {
    const p = await waitRunning(k, "private-pull", 60_000);
    assert.ok(statusOf(p, "main")?.state.running, "main running");
    assert.ok(statusOf(p, "main")?.imageID, "imageID reported");
    assert.match(k.log, /Successfully pulled image \\?"127\.0\.0\.1:5001\/busybox:latest\\?"/);
  });
  assert.not.ok(k.log.includes(PASSWORD) || k.log.includes(btoa(`kts:${PASSWORD}`)), "no password in the log");
});

test("no node credentials: the pull is anonymous and the registry refuses it (ErrImagePull, then back-off)", async () => {
  forgetImage();
  without = await KubeletProcess.create("kts-nocreds");
  await without.start();
  const k = without;
  await withPod(k, podManifest("anonymous-pull", { containers: [container()] }), async () => {
    let message = "";
    await waitPod(k, "anonymous-pull", "waiting ErrImagePull or ImagePullBackOff", (x) => {
      const w = statusOf(x, "main")?.state.waiting;
      if (w?.reason === "ErrImagePull") message = w.message ?? "";
      return w?.reason === "ImagePullBackOff" && message !== "";
    }, 60_000);
    assert.match(message, /401 Unauthorized|unauthorized|authorization/i);
  });
});

test.run();
