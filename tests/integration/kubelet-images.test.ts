/**
 * Image handling of kubelet-ts on a real containerd and the local registry: pull policies,
 * pull failures with their back-off, and invalid references — as /pods and CRI show them.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { BUSYBOX_IMAGE, closeTestCri, testCri } from "./support/cri.ts";
import { KubeletProcess } from "./support/kubeletProcess.ts";
import { criContainers, eventMessages, podManifest, shContainer, statusOf, trapped, waitPod, waitRunning, withPod, keepLog } from "./support/podKit.ts";
import type { Pod } from "../../bindings/kube/types.ts";

const test = suite("kubelet images");
let k: KubeletProcess;

test.before(async () => {
  k = await KubeletProcess.create("kts-img");
  await k.start();
});
test.after(async () => {
  keepLog(k, "images");
  await k?.dispose();
  await closeTestCri();
});

const waitingReason = (p: Pod) => statusOf(p, "main")?.state.waiting?.reason;

test("imagePullPolicy Never with an image that is not present: waiting ErrImageNeverPull, nothing created", async () => {
  const image = "127.0.0.1:5000/absent:never";
  const pod = podManifest("never-pull", { containers: [shContainer("main", trapped(), { image, imagePullPolicy: "Never" })] });
  await withPod(k, pod, async () => {
    const p = await waitPod(k, "never-pull", "waiting ErrImageNeverPull", (x) => waitingReason(x) === "ErrImageNeverPull");
    assert.is(statusOf(p, "main")!.state.waiting!.message, `Container image "${image}" is not present with pull policy of Never`);
    assert.is(p.status!.phase, "Pending");
    assert.is((await criContainers(p.metadata.uid!)).length, 0, "no container created");
    assert.ok(eventMessages(k, "ErrImageNeverPull", `default/${p.metadata.name}`).length > 0, "ErrImageNeverPull event logged");
  });
});

test("an image missing from the registry: ErrImagePull first, then ImagePullBackOff", async () => {
  const image = "127.0.0.1:5000/nope:1";
  const pod = podManifest("no-such-image", { containers: [shContainer("main", trapped(), { image })] });
  await withPod(k, pod, async () => {
    const seen: string[] = [];
    const p = await waitPod(k, "no-such-image", "waiting ImagePullBackOff", (x) => {
      const r = waitingReason(x);
      if (r && seen[seen.length - 1] !== r) seen.push(r);
      return r === "ImagePullBackOff";
    }, 45_000);
    assert.is(seen.filter((r) => r !== "ContainerCreating")[0], "ErrImagePull", `reasons in order: ${seen.join(", ")}`);
    assert.is(statusOf(p, "main")!.state.waiting!.message, `Back-off pulling image "${image}"`);
    const pullFailures = eventMessages(k, "Failed", `default/${p.metadata.name}`).filter((m) => m.startsWith("Failed to pull image"));
    assert.ok(pullFailures.length > 0, "Failed to pull image event logged");
    assert.match(pullFailures[0]!, `Failed to pull image "${image}": rpc error: code = NotFound desc = `);
    assert.is((await criContainers(p.metadata.uid!)).length, 0, "no container created");
  });
});

test("ErrImagePull carries the runtime's error as message", async () => {
  const image = "127.0.0.1:5000/nope:2";
  const pod = podManifest("pull-error-msg", { containers: [shContainer("main", trapped(), { image })] });
  await withPod(k, pod, async () => {
    const p = await waitPod(k, "pull-error-msg", "waiting ErrImagePull", (x) => waitingReason(x) === "ErrImagePull");
    const message = statusOf(p, "main")!.state.waiting!.message ?? "";
    assert.match(message, /^rpc error: code = NotFound desc = failed to pull and unpack image "127\.0\.0\.1:5000\/nope:2"/);
  });
});

test("IfNotPresent with an image already present does not pull", async () => {
  const pod = podManifest("present", { containers: [shContainer("main", trapped(), { imagePullPolicy: "IfNotPresent" })] });
  await withPod(k, pod, async () => {
    const p = await waitRunning(k, "present");
    const object = `default/${p.metadata.name}`;
    assert.equal(eventMessages(k, "Pulled", object), [`Container image "${BUSYBOX_IMAGE}" already present on machine`]);
    assert.equal(eventMessages(k, "Pulling", object), [], "no Pulling event");
    const cri = await testCri();
    const img = (await cri.imageStatus({ image: BUSYBOX_IMAGE })).image!;
    const s = statusOf(p, "main")!;
    assert.is(s.image, BUSYBOX_IMAGE);
    assert.ok(s.imageID !== "" && (s.imageID === img.id || img.repoDigests.includes(s.imageID)), `imageID ${s.imageID} names the present image`);
  });
});

test("imagePullPolicy Always pulls even when the image is present", async () => {
  const pod = podManifest("always-pull", { containers: [shContainer("main", trapped(), { imagePullPolicy: "Always" })] });
  await withPod(k, pod, async () => {
    const p = await waitRunning(k, "always-pull");
    const object = `default/${p.metadata.name}`;
    assert.equal(eventMessages(k, "Pulling", object), [`Pulling image "${BUSYBOX_IMAGE}"`]);
    assert.match(eventMessages(k, "Pulled", object)[0] ?? "", /^Successfully pulled image "127\.0\.0\.1:5000\/busybox:latest" in [\d.]+m?s$/);
  });
});

test("an invalid image reference: waiting InvalidImageName", async () => {
  const pod = podManifest("bad-ref", { containers: [shContainer("main", trapped(), { image: "127.0.0.1:5000/Bad_Name:x" })] });
  await withPod(k, pod, async () => {
    const p = await waitPod(k, "bad-ref", "waiting InvalidImageName", (x) => waitingReason(x) === "InvalidImageName");
    assert.match(statusOf(p, "main")!.state.waiting!.message ?? "", "couldn't parse image reference");
    assert.is((await criContainers(p.metadata.uid!)).length, 0);
  });
});

test.run();
