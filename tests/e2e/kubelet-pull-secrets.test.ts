/**
 * Private registries in cluster mode against kube-apiserver 1.20.2 and containerd: a pod's
 * `imagePullSecrets` (a kubernetes.io/dockerconfigjson Secret read through the API, as the Node
 * authorizer allows for secrets a bound pod references) let the kubelet pull from the testbed's
 * authenticated registry (127.0.0.1:5001, user kts); no secret or a wrong password gives
 * ErrImagePull with the registry's refusal, and no credential shows in statuses or events.
 */
import { execFileSync } from "node:child_process";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Pod } from "../../bindings/kube/types.ts";
import { createNamespace, deleteNamespace, eventsAbout, mustRequest, recordWatch, waitPod } from "./support/apiObjects.ts";
import { ClusterKubelet, CRI_ENDPOINT } from "./support/clusterKubelet.ts";
import { podObject, TRAPPING_SLEEPER } from "./support/testPods.ts";

const AUTH_REGISTRY = "127.0.0.1:5001";
const IMAGE = `${AUTH_REGISTRY}/busybox:latest`;
const PASSWORD = "kts-secret";
const WRONG = "not-the-password";

let k: ClusterKubelet;
let ns: string;

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

test.before(async () => {
  forgetImage();
  k = await ClusterKubelet.create({ prefix: "kts-pullsecret" });
  ns = await createNamespace("pullsecret");
  await k.start();
});

test.after(async () => {
  await k.cleanup();
  await deleteNamespace(ns);
  forgetImage();
});

async function createPullSecret(name: string, password: string): Promise<void> {
  const config = { auths: { [AUTH_REGISTRY]: { username: "kts", password, auth: btoa(`kts:${password}`) } } };
  await mustRequest("POST", `/api/v1/namespaces/${ns}/secrets`, {
    apiVersion: "v1", kind: "Secret", metadata: { name, namespace: ns }, type: "kubernetes.io/dockerconfigjson",
    data: { ".dockerconfigjson": btoa(JSON.stringify(config)) },
  });
}

async function createPod(name: string, secret?: string): Promise<void> {
  const containers = [{ name: "main", image: IMAGE, imagePullPolicy: "Always" as const, command: ["sh", "-c", TRAPPING_SLEEPER] }];
  const extra: Partial<Pod["spec"]> = { automountServiceAccountToken: false, ...(secret ? { imagePullSecrets: [{ name: secret }] } : {}) };
  await mustRequest<Pod>("POST", `/api/v1/namespaces/${ns}/pods`, podObject(ns, name, k.placement(), containers, extra));
}

const waiting = (p: Pod) => p.status?.containerStatuses?.[0]?.state.waiting;

/** Waits for ImagePullBackOff and returns the ErrImagePull message written before it. */
async function pullRefused(name: string): Promise<string> {
  const watch = recordWatch<Pod>(`/api/v1/namespaces/${ns}/pods?fieldSelector=metadata.name%3D${name}`);
  try {
    await waitPod(ns, name, "ImagePullBackOff after ErrImagePull", (p) => waiting(p)?.reason === "ImagePullBackOff"
      && watch.events.some((e) => waiting(e.object)?.reason === "ErrImagePull"), 60_000, () => k.output());
    return waiting(watch.events.find((e) => waiting(e.object)?.reason === "ErrImagePull")!.object)!.message ?? "";
  } finally {
    watch.stop();
  }
}

function noCredentialsIn(texts: string[]): void {
  for (const t of texts) {
    for (const s of [PASSWORD, WRONG, btoa(`kts:${PASSWORD}`), btoa(`kts:${WRONG}`)]) assert.not.ok(t.includes(s), `credential leaked: ${t}`);
  }
}

test("a dockerconfigjson pull secret for 127.0.0.1:5001: the pod pulls with imagePullPolicy Always and runs", async () => {
  await createPullSecret("regcred", PASSWORD);
  await createPod("with-secret", "regcred");
  const p = await waitPod(ns, "with-secret", "Running", (x) => x.status?.phase === "Running" && !!x.status.containerStatuses?.[0]?.state.running, 60_000, () => k.output());
  assert.match(p.status!.containerStatuses![0]!.imageID!, /sha256:/);
  const evs = await eventsAbout(ns, "Pod", "with-secret");
  assert.ok(evs.some((e) => e.reason === "Pulled" && e.message.startsWith(`Successfully pulled image "${IMAGE}"`)), evs.map((e) => `${e.reason}: ${e.message}`).join("\n"));
  noCredentialsIn([k.output()]);
});

test("the same pod without the secret: ErrImagePull with the registry's authorization refusal, then ImagePullBackOff", async () => {
  await createPod("no-secret");
  const message = await pullRefused("no-secret");
  assert.match(message, /^rpc error: code = Unknown desc = failed to pull and unpack image "127\.0\.0\.1:5001\/busybox:latest": .*(401 Unauthorized|unauthorized|authoriz)/i);
  const evs = await eventsAbout(ns, "Pod", "no-secret");
  assert.ok(evs.some((e) => e.reason === "Failed" && e.message.startsWith(`Failed to pull image "${IMAGE}": rpc error:`)), evs.map((e) => `${e.reason}: ${e.message}`).join("\n"));
});

test("a pull secret with a wrong password: ErrImagePull (the credential was tried and refused), nothing leaked", async () => {
  await createPullSecret("wrongcred", WRONG);
  await createPod("wrong-secret", "wrongcred");
  const message = await pullRefused("wrong-secret");
  assert.match(message, /failed to pull and unpack image "127\.0\.0\.1:5001\/busybox:latest": .*(401 Unauthorized|unauthorized|authoriz)/i);
  const evs = await eventsAbout(ns, "Pod", "wrong-secret");
  noCredentialsIn([message, ...evs.map((e) => e.message), k.output()]);
});

test("a pull secret that does not exist is skipped with a warning, as upstream: the pull goes on anonymously and is refused", async () => {
  await createPod("missing-secret", "no-such-secret");
  const message = await pullRefused("missing-secret");
  assert.match(message, /401 Unauthorized|unauthorized|authoriz/i);
  assert.match(k.output(), /Unable to retrieve pull secret.*no-such-secret/);
});

test.run();
