import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Container, Pod, PodSpec } from "../../bindings/kube/types.ts";
import {
  containerSecurityContext, DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, effectiveSecurityContext, namespacesForPod,
  sandboxSecurityContext, seccompProfileFromPath, seccompProfilePath, verifyRunAsNonRoot,
} from "../../kubelet/kuberuntime/securityContext.ts";

function pod(spec: Partial<PodSpec> = {}, annotations: Record<string, string> = {}): Pod {
  return { metadata: { name: "web", namespace: "prod", uid: "u-1", annotations }, spec: { containers: [{ name: "app" }], ...spec } };
}
const app = (sc: Container["securityContext"] = undefined): Container => ({ name: "app", securityContext: sc });
const where = '(pod: "web_prod(u-1)", container: app)';

test("namespaces: network/IPC shared in the pod unless host, PID per container unless shared or host", () => {
  assert.equal(namespacesForPod(pod()), { network: "POD", pid: "CONTAINER", ipc: "POD" });
  assert.equal(namespacesForPod(pod({ hostNetwork: true, hostPID: true, hostIPC: true })), { network: "NODE", pid: "NODE", ipc: "NODE" });
  assert.equal(namespacesForPod(pod({ shareProcessNamespace: true })).pid, "POD");
  assert.equal(namespacesForPod(pod({ shareProcessNamespace: true, hostPID: true })).pid, "NODE");
});

test("the container's security context overrides the pod's user, group and non-root settings", () => {
  const p = pod({ securityContext: { runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true, fsGroup: 2000 } });
  assert.equal(effectiveSecurityContext(p, app({ runAsUser: 1001 })), { runAsUser: 1001, runAsGroup: 1000, runAsNonRoot: true });
  assert.equal(effectiveSecurityContext(p, app()), { runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true });
});

test("runAsNonRoot refuses an explicit runAsUser 0", () => {
  assert.is(verifyRunAsNonRoot(pod({ securityContext: { runAsNonRoot: true } }), app({ runAsUser: 0 }), { uid: 1000 }), `container's runAsUser breaks non-root policy ${where}`);
  assert.is(verifyRunAsNonRoot(pod({ securityContext: { runAsNonRoot: true } }), app({ runAsUser: 5 }), { uid: 0 }), undefined);
});

test("runAsNonRoot without a uid refuses an image that runs as root or declares no user", () => {
  const p = pod({ securityContext: { runAsNonRoot: true } });
  assert.is(verifyRunAsNonRoot(p, app(), { uid: 0 }), `container has runAsNonRoot and image will run as root ${where}`);
  assert.is(verifyRunAsNonRoot(p, app(), undefined), `container has runAsNonRoot and image will run as root ${where}`);
  assert.is(verifyRunAsNonRoot(p, app(), { uid: 65532 }), undefined);
});

test("runAsNonRoot refuses an image user given by name, which cannot be verified", () => {
  const r = verifyRunAsNonRoot(pod(), app({ runAsNonRoot: true }), { username: "nginx" });
  assert.is(r, `container has runAsNonRoot and image has non-numeric user (nginx), cannot verify user is non-root ${where}`);
});

test("without runAsNonRoot any user is allowed, and the container's false beats the pod's true", () => {
  assert.is(verifyRunAsNonRoot(pod(), app(), { uid: 0 }), undefined);
  assert.is(verifyRunAsNonRoot(pod({ securityContext: { runAsNonRoot: true } }), app({ runAsNonRoot: false }), { uid: 0 }), undefined);
});

test("seccomp: container field, then container annotation, then pod field, then pod annotation", () => {
  const ann = { "container.seccomp.security.alpha.kubernetes.io/app": "unconfined", "seccomp.security.alpha.kubernetes.io/pod": "docker/default" };
  const withPodField = pod({ securityContext: { seccompProfile: { type: "RuntimeDefault" } } }, ann);
  assert.is(seccompProfilePath(withPodField, "app", { seccompProfile: { type: "Localhost", localhostProfile: "p.json" } }), "localhost//var/lib/kubelet/seccomp/p.json");
  assert.is(seccompProfilePath(withPodField, "app", undefined), "unconfined");
  assert.is(seccompProfilePath(withPodField, "other", undefined), "runtime/default");
  assert.is(seccompProfilePath(pod({}, ann), "other", undefined), "docker/default");
  assert.is(seccompProfilePath(pod(), "app", undefined), "");
});

test("seccomp: Localhost profiles resolve under the seccomp root, from field or annotation", () => {
  const p = pod({}, { "seccomp.security.alpha.kubernetes.io/pod": "localhost/profiles/../audit.json" });
  assert.is(seccompProfilePath(p, "", undefined, "/etc/seccomp/"), "localhost//etc/seccomp/audit.json");
  assert.is(seccompProfilePath(pod({ securityContext: { seccompProfile: { type: "Localhost", localhostProfile: "a/b.json" } } }), "", undefined, "/r"), "localhost//r/a/b.json");
});

test("seccomp: the CRI profile mirrors the path (nothing set is Unconfined, docker/default is RuntimeDefault)", () => {
  assert.equal(seccompProfileFromPath(""), { profileType: "Unconfined" });
  assert.equal(seccompProfileFromPath("unconfined"), { profileType: "Unconfined" });
  assert.equal(seccompProfileFromPath("runtime/default"), { profileType: "RuntimeDefault" });
  assert.equal(seccompProfileFromPath("docker/default"), { profileType: "RuntimeDefault" });
  assert.equal(seccompProfileFromPath("localhost//r/a.json"), { profileType: "Localhost", localhostRef: "/r/a.json" });
  assert.is(seccompProfileFromPath("bogus"), null);
});

test("sandbox security context: namespaces, privileged if any container is, pod user/groups, seccomp", () => {
  const p = pod({
    hostNetwork: true,
    initContainers: [{ name: "init", securityContext: { privileged: true } }],
    securityContext: { runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000, supplementalGroups: [4000], seccompProfile: { type: "RuntimeDefault" }, seLinuxOptions: { level: "s0:c1" } },
  });
  assert.equal(sandboxSecurityContext(p), {
    namespaceOptions: { network: "NODE", pid: "CONTAINER", ipc: "POD" },
    privileged: true,
    seccompProfilePath: "runtime/default",
    seccomp: { profileType: "RuntimeDefault" },
    runAsUser: { value: 1000 },
    runAsGroup: { value: 3000 },
    supplementalGroups: [2000, 4000],
    selinuxOptions: { level: "s0:c1" },
  });
  assert.is(sandboxSecurityContext(pod()).privileged, false);
});

test("container security context: capabilities as written, flags, groups, no_new_privs, default masks", () => {
  const p = pod({ securityContext: { fsGroup: 2000, supplementalGroups: [4000] } });
  const sc = containerSecurityContext(p, app({ capabilities: { add: ["NET_ADMIN"], drop: ["ALL"] }, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, runAsUser: 1001, runAsGroup: 1002 }), { uid: 0 });
  assert.equal(sc.capabilities, { addCapabilities: ["NET_ADMIN"], dropCapabilities: ["ALL"] });
  assert.equal([sc.privileged, sc.readonlyRootfs, sc.noNewPrivs], [false, true, true]);
  assert.equal([sc.runAsUser, sc.runAsGroup], [{ value: 1001 }, { value: 1002 }]);
  assert.equal(sc.supplementalGroups, [2000, 4000]);
  assert.equal(sc.namespaceOptions, { network: "POD", pid: "CONTAINER", ipc: "POD" });
  assert.equal(sc.maskedPaths, [...DEFAULT_MASKED_PATHS]);
  assert.equal(sc.readonlyPaths, [...DEFAULT_READONLY_PATHS]);
  assert.equal(sc.seccomp, { profileType: "Unconfined" });
});

test("no_new_privs is set only when allowPrivilegeEscalation is explicitly false", () => {
  assert.is(containerSecurityContext(pod(), app(), undefined).noNewPrivs, false);
  assert.is(containerSecurityContext(pod(), app({ allowPrivilegeEscalation: true }), undefined).noNewPrivs, false);
});

test("without runAsUser the container runs as the image's uid, or its user name", () => {
  assert.equal(containerSecurityContext(pod(), app(), { uid: 101 }).runAsUser, { value: 101 });
  const named = containerSecurityContext(pod(), app(), { username: "nginx" });
  assert.equal([named.runAsUser, named.runAsUsername], [undefined, "nginx"]);
  assert.equal(containerSecurityContext(pod(), app(), undefined).runAsUser, { value: 0 });
  assert.equal(containerSecurityContext(pod({ securityContext: { runAsUser: 7 } }), app(), { uid: 101 }).runAsUser, { value: 7 });
});

test("Unmasked procMount and privileged containers get no masked or read-only paths", () => {
  for (const sc of [{ procMount: "Unmasked" as const }, { privileged: true }]) {
    const out = containerSecurityContext(pod(), app(sc), undefined);
    assert.equal([out.maskedPaths, out.readonlyPaths], [[], []]);
  }
});

test("AppArmor comes from the container's 1.20 annotation", () => {
  const sc = containerSecurityContext(pod({}, { "container.apparmor.security.beta.kubernetes.io/app": "localhost/k8s-deny" }), app(), undefined);
  assert.is(sc.apparmorProfile, "localhost/k8s-deny");
});

test.run();
