/**
 * Container log rotation on a real containerd: with containerLogMaxSize 2Ki and containerLogMaxFiles
 * 3, a chatty container's log is rotated (containerd reopens it), older copies are gzip-compressed,
 * at most 3 files stay, and the container runs on untouched. An invalid containerLogMaxSize stops
 * the kubelet at start with a clear error.
 */
import { appendFileSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { closeTestCri } from "./support/cri.ts";
import { eventually } from "./support/eventually.ts";
import { KubeletProcess } from "./support/kubeletProcess.ts";
import { keepLog, podManifest, shContainer, statusOf, trapped, waitRunning, withPod } from "./support/podKit.ts";

const test = suite("kubelet container log rotation");
let k: KubeletProcess;

test.before(async () => {
  k = await KubeletProcess.create("kts-logrot");
  appendFileSync(join(k.dir, "config.yaml"), "containerLogMaxSize: 2Ki\ncontainerLogMaxFiles: 3\n");
  await k.start();
});
test.after(async () => {
  keepLog(k, "log-rotation");
  await k?.dispose();
  await closeTestCri();
});

test("a log past containerLogMaxSize is rotated and compressed; at most containerLogMaxFiles files stay; the container keeps running", async () => {
  const line = "y".repeat(200);
  const pod = podManifest("chatty", { containers: [shContainer("main", trapped(`i=0; while true; do i=$((i+1)); echo "$i ${line}"; sleep 0.05; done`))] });
  await withPod(k, pod, async () => {
    const p = await waitRunning(k, "chatty");
    const dir = `/var/log/pods/default_${p.metadata.name}_${p.metadata.uid}/main`;
    const files = () => readdirSync(dir).sort();
    // Two rotations at least (10 s apart): the older rotated copy is compressed by then.
    const seen = await eventually("a compressed rotated log", () => (files().some((f) => /^0\.log\.\d{8}-\d{6}\.gz$/.test(f)) ? files() : undefined),
      { timeoutMs: 60_000, intervalMs: 500, describe: () => files().join(" ") });
    assert.ok(seen.length <= 3, `at most 3 files: ${seen.join(" ")}`);
    assert.ok(seen.includes("0.log"));
    assert.ok(seen.some((f) => /^0\.log\.\d{8}-\d{6}$/.test(f)), `the newest rotated copy stays uncompressed: ${seen.join(" ")}`);
    const gz = seen.find((f) => f.endsWith(".gz"))!;
    const text = gunzipSync(readFileSync(join(dir, gz))).toString();
    assert.match(text, /^\S+ stdout F \d+ y{200}$/m, "a compressed copy holds CRI log lines");
    // containerd writes to the reopened live log.
    const size = statSync(join(dir, "0.log")).size;
    await eventually("the live log grows", () => (statSync(join(dir, "0.log")).size > size ? true : undefined), { timeoutMs: 5_000 });
    const now = await waitRunning(k, "chatty");
    assert.is(statusOf(now, "main")!.restartCount, 0);
    assert.is(statusOf(now, "main")!.containerID, statusOf(p, "main")!.containerID);
  });
});

test("an invalid containerLogMaxSize stops the kubelet at start with a clear error", async () => {
  const bad = await KubeletProcess.create("kts-logrot-bad");
  appendFileSync(join(bad.dir, "config.yaml"), "containerLogMaxSize: lots\n");
  let err: Error | undefined;
  await bad.start().catch((e) => (err = e as Error));
  await bad.dispose();
  assert.ok(err, "start failed");
  assert.match(err!.message, /containerLogMaxSize "lots": expected a positive quantity/);
});

test.run();
