import { createHash } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Pod } from "../../bindings/kube/types.ts";
import { md5Hex } from "../../kubelet/config/md5.ts";
import { applyPodDefaults, defaultPullPolicy } from "../../kubelet/config/podDefaults.ts";
import {
  CONFIG_HASH_ANNOTATION, CONFIG_SOURCE_ANNOTATION, formatSeenTime, staticPodUID, withFirstSeen, withStaticPodIdentity,
} from "../../kubelet/config/podIdentity.ts";
import { decodePodManifest } from "../../kubelet/config/podManifest.ts";

const WEB = `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: nginx
    image: nginx:1.19
    ports: [{containerPort: 80}]
    readinessProbe: {httpGet: {port: 80}}
`;

test("md5 matches the RFC 1321 test vectors", () => {
  assert.is(md5Hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  assert.is(md5Hex("a"), "0cc175b9c0f1b6a831c399e269772661");
  assert.is(md5Hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
  assert.is(md5Hex("message digest"), "f96b697d7cb7938d525a2f31aaf161d0");
  assert.is(md5Hex("abcdefghijklmnopqrstuvwxyz"), "c3fcd3d76192e4007dfb496cca67e13b");
  assert.is(md5Hex("12345678901234567890123456789012345678901234567890123456789012345678901234567890"), "57edf4a22be3c955ac49da2e2107b67a");
  assert.is(md5Hex(new Uint8Array(1000).fill(0x61)), md5Hex("a".repeat(1000)));
});

test("md5 agrees with node:crypto at every padding boundary and for UTF-8 text", () => {
  for (let n = 0; n < 200; n++) {
    const bytes = new Uint8Array(n).map((_, i) => (i * 31 + n) & 0xff);
    assert.is(md5Hex(bytes), createHash("md5").update(bytes).digest("hex"), `length ${n}`);
  }
  assert.is(md5Hex("pöd-ünïcode ✓"), createHash("md5").update("pöd-ünïcode ✓", "utf8").digest("hex"));
});

test("a static pod's name gets the lower-cased node name as suffix and the namespace defaults to default", () => {
  const r = decodePodManifest(WEB, "/etc/kubernetes/manifests/web.yaml", "Node-1");
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.is(r.pod.metadata.name, "web-node-1");
  assert.is(r.pod.metadata.namespace, "default");
  assert.is(r.pod.spec.nodeName, "Node-1");
  assert.is(r.pod.status?.phase, "Pending");
});

test("the UID is a stable hex hash of node, file path and content; the hash annotation equals it", () => {
  const a = decodePodManifest(WEB, "/m/web.yaml", "node1");
  const b = decodePodManifest(WEB, "/m/web.yaml", "node1");
  assert.ok(a.ok && b.ok);
  if (!a.ok || !b.ok) return;
  assert.match(a.pod.metadata.uid!, /^[0-9a-f]{32}$/);
  assert.is(a.pod.metadata.uid, b.pod.metadata.uid);
  assert.is(a.pod.metadata.annotations?.[CONFIG_HASH_ANNOTATION], a.pod.metadata.uid);
  assert.is(a.pod.metadata.annotations?.[CONFIG_SOURCE_ANNOTATION], "file");
});

test("the UID changes with the content, the file path or the node", () => {
  const uid = (text: string, file = "/m/web.yaml", node = "node1") => {
    const r = decodePodManifest(text, file, node);
    return r.ok ? r.pod.metadata.uid : undefined;
  };
  const base = uid(WEB);
  assert.is.not(uid(WEB.replace("nginx:1.19", "nginx:1.20")), base);
  assert.is.not(uid(WEB, "/m/other.yaml"), base);
  assert.is.not(uid(WEB, "/m/web.yaml", "node2"), base);
  // Formatting and key order do not matter, only content.
  assert.is(uid(JSON.stringify({ kind: "Pod", apiVersion: "v1", spec: { containers: [{ readinessProbe: { httpGet: { port: 80 } }, ports: [{ containerPort: 80 }], image: "nginx:1.19", name: "nginx" }] }, metadata: { name: "web" } })), base);
});

test("a UID written in the manifest is kept", () => {
  const r = decodePodManifest(WEB.replace("  name: web", "  name: web\n  uid: fixed-uid"), "/m/web.yaml", "n");
  assert.ok(r.ok && r.pod.metadata.uid === "fixed-uid" && r.pod.metadata.annotations?.[CONFIG_HASH_ANNOTATION] === "fixed-uid");
});

test("static pods tolerate NoExecute taints and get a first-seen annotation in RFC 3339", () => {
  const pod = withStaticPodIdentity({ metadata: { name: "x" }, spec: { containers: [] } }, "n", "/f");
  assert.equal(pod.spec.tolerations, [{ operator: "Exists", effect: "NoExecute" }]);
  assert.is(withFirstSeen(pod, Date.UTC(2021, 0, 2, 3, 4, 5, 120)).metadata.annotations?.["kubernetes.io/config.seen"], "2021-01-02T03:04:05.12Z");
  assert.is(formatSeenTime(Date.UTC(2021, 0, 2, 3, 4, 5)), "2021-01-02T03:04:05Z");
  assert.is(staticPodUID(pod, "n", "/f"), staticPodUID(structuredClone(pod), "n", "/f"));
});

test("API server defaults are applied to pods from files", () => {
  const pod = applyPodDefaults({
    metadata: { name: "p" },
    spec: {
      hostNetwork: true,
      containers: [{
        name: "c", image: "busybox", ports: [{ containerPort: 8080 }], resources: { limits: { cpu: "1" } },
        livenessProbe: { httpGet: { port: 8080 } }, env: [{ name: "N", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
      }],
      volumes: [{ name: "v" }, { name: "s", secret: { secretName: "x" } }],
    },
  } as Pod);
  const c = pod.spec.containers[0]!;
  assert.is(pod.spec.restartPolicy, "Always");
  assert.is(pod.spec.dnsPolicy, "ClusterFirst");
  assert.is(pod.spec.terminationGracePeriodSeconds, 30);
  assert.is(pod.spec.schedulerName, "default-scheduler");
  assert.is(pod.spec.enableServiceLinks, true);
  assert.equal(pod.spec.securityContext, {});
  assert.is(c.imagePullPolicy, "Always");
  assert.is(c.terminationMessagePath, "/dev/termination-log");
  assert.is(c.terminationMessagePolicy, "File");
  assert.equal(c.ports, [{ containerPort: 8080, protocol: "TCP", hostPort: 8080 }]);
  assert.equal(c.livenessProbe, { httpGet: { port: 8080, path: "/", scheme: "HTTP" }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
  assert.equal(c.resources?.requests, { cpu: "1" });
  assert.is(c.env?.[0]?.valueFrom?.fieldRef?.apiVersion, "v1");
  assert.equal(pod.spec.volumes?.[0], { name: "v", emptyDir: {} });
  assert.is(pod.spec.volumes?.[1]?.secret?.defaultMode, 0o644);
});

test("explicit values are not overwritten by defaults", () => {
  const pod = applyPodDefaults({ metadata: { name: "p" }, spec: { restartPolicy: "Never", terminationGracePeriodSeconds: 0, containers: [{ name: "c", image: "x", imagePullPolicy: "Never" }] } });
  assert.is(pod.spec.restartPolicy, "Never");
  assert.is(pod.spec.terminationGracePeriodSeconds, 0);
  assert.is(pod.spec.containers[0]!.imagePullPolicy, "Never");
});

test("the pull policy follows the image tag: Always for latest or no tag, else IfNotPresent", () => {
  assert.is(defaultPullPolicy("nginx"), "Always");
  assert.is(defaultPullPolicy("nginx:latest"), "Always");
  assert.is(defaultPullPolicy("registry:5000/nginx"), "Always");
  assert.is(defaultPullPolicy("registry:5000/nginx:1.19"), "IfNotPresent");
  assert.is(defaultPullPolicy("nginx@sha256:" + "a".repeat(64)), "IfNotPresent");
});

test("YAML 1.1 octal file modes in manifests mean what kubectl users expect", () => {
  const r = decodePodManifest(`apiVersion: v1
kind: Pod
metadata: {name: m}
spec:
  containers: [{name: c, image: x}]
  volumes: [{name: s, secret: {secretName: s, defaultMode: 0400}}]
`, "/m.yaml", "n");
  assert.ok(r.ok && r.pod.spec.volumes?.[0]?.secret?.defaultMode === 0o400);
});

test("manifests that are not a runnable v1 Pod are rejected with the field and what was expected", () => {
  const problems = (text: string) => {
    const r = decodePodManifest(text, "/m.yaml", "n");
    return r.ok ? [] : r.problems;
  };
  assert.match(problems("kind: Pod\napiVersion: v1\nmetadata: {name: [}")[0]!, /^not valid YAML or JSON/);
  assert.equal(problems(""), ["empty manifest: expected a v1 Pod"]);
  assert.equal(problems("apiVersion: v1\nkind: Service\nmetadata: {name: s}"), ['kind: expected "Pod", got "Service"']);
  assert.equal(problems("apiVersion: apps/v1\nkind: Pod\nmetadata: {name: s}"), ['apiVersion: expected "v1", got "apps/v1"']);
  assert.equal(problems("apiVersion: v1\nkind: Pod\nmetadata: {name: s}\nspec: {containers: []}"), ["spec.containers: Required value"]);
  assert.equal(problems("apiVersion: v1\nkind: Pod\nmetadata: {namespace: x}\nspec: {}"), ["metadata.name: Required value: a static pod needs a name"]);
  assert.match(problems("apiVersion: v1\nkind: Pod\nmetadata: {name: Bad_Name}\nspec: {containers: [{name: c, image: x}]}")[0]!, /^metadata\.name: Invalid value: "Bad_Name-n": a DNS-1123 subdomain/);
  assert.equal(problems("apiVersion: v1\nkind: Pod\nmetadata: {name: s}\nspec: 5"), ["spec: Required value"]);
});

test("a second YAML document in a manifest is ignored with a warning", () => {
  const r = decodePodManifest(WEB + "---\n" + WEB, "/m.yaml", "n");
  assert.ok(r.ok);
  if (r.ok) assert.match(r.warnings[0]!, /1 more YAML document\(s\) after the first ignored/);
});

test.run();
