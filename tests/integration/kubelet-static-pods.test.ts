import { suite } from "uvu";
import * as assert from "uvu/assert";
import { existsSync } from "node:fs";
import { BUSYBOX_IMAGE, testCri } from "./support/cri.ts";
import { eventually } from "./support/eventually.ts";
import { KubeletProcess } from "./support/kubeletProcess.ts";

const test = suite<{ k: KubeletProcess }>("kubelet static pods");
let k: KubeletProcess;

test.before(async () => {
  k = await KubeletProcess.create("kts-static");
  await k.start();
});
test.after(async () => {
  await k?.dispose();
});

const sleeper = (name: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 2
  containers:
    - name: main
      image: ${BUSYBOX_IMAGE}
      imagePullPolicy: IfNotPresent
      command: ["sh", "-c", "trap 'exit 0' TERM; echo started; while true; do sleep 1; done"]
`;

test("a manifest written to staticPodPath runs as a pod named after the node, Running and Ready", async () => {
  k.writeManifest("sleeper.yaml", sleeper("sleeper"));
  const pod = await eventually("pod Running and Ready", async () => {
    const p = await k.pod("sleeper");
    return p?.status?.phase === "Running" && p.status.conditions?.find((c) => c.type === "Ready")?.status === "True" ? p : undefined;
  });
  assert.is(pod.metadata.name, `sleeper-${k.nodeName}`);
  assert.is(pod.metadata.annotations?.["kubernetes.io/config.source"], "file");
  assert.ok(pod.status!.podIP, "pod has an IP");
  const cri = await testCri();
  const containers = await cri.listContainers({ labelSelector: { "io.kubernetes.pod.uid": pod.metadata.uid! } });
  assert.is(containers.length, 1);
  assert.is(containers[0]!.state, "CONTAINER_RUNNING");
});

test("removing the manifest stops the pod and leaves no sandbox, container or pod dir behind", async () => {
  const pod = (await k.pod("sleeper"))!;
  const uid = pod.metadata.uid!;
  k.removeManifest("sleeper.yaml");
  const cri = await testCri();
  await eventually("runtime holds nothing of the pod", async () => {
    const [sb, ct] = await Promise.all([
      cri.listPodSandbox({ labelSelector: { "io.kubernetes.pod.uid": uid } }),
      cri.listContainers({ labelSelector: { "io.kubernetes.pod.uid": uid } }),
    ]);
    return sb.length === 0 && ct.length === 0 ? true : undefined;
  });
  assert.is(await k.pod("sleeper"), undefined);
  await eventually("pod dir removed", () => (existsSync(`${k.rootDir}/pods/${uid}`) ? undefined : true));
});

test.run();
