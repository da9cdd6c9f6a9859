/**
 * Security settings the kubelet asks the runtime for (upstream kuberuntime security_context.go,
 * helpers.go, pkg/securitycontext and the 1.20 seccomp rules): namespaces, the effective container
 * security context (container fields override the pod's), seccomp and AppArmor profiles, masked
 * /proc paths, and the runAsNonRoot check made before a container is created.
 */
import type {
  LinuxContainerSecurityContext, LinuxSandboxSecurityContext, NamespaceOption, Outgoing, SecurityProfile,
} from "../../bindings/cri/types.ts";
import type { Container, Pod, SeccompProfile, SecurityContext } from "../../bindings/kube/types.ts";

/** Where Localhost seccomp profiles live by default (`<root-dir>/seccomp`). */
export const DEFAULT_SECCOMP_PROFILE_ROOT = "/var/lib/kubelet/seccomp";

/** The 1.20 seccomp annotations, still honoured when the field is unset. */
export const SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod";
export const SECCOMP_CONTAINER_ANNOTATION_PREFIX = "container.seccomp.security.alpha.kubernetes.io/";
export const APPARMOR_CONTAINER_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/";

/** /proc and /sys paths hidden from a container unless its procMount is Unmasked (moby's list, as in 1.20). */
export const DEFAULT_MASKED_PATHS: readonly string[] = [
  "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
  "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
];
/** /proc paths made read-only in a container unless its procMount is Unmasked. */
export const DEFAULT_READONLY_PATHS: readonly string[] = [
  "/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
];

/** Which namespaces the pod's sandbox and containers share with the node or each other. */
export function namespacesForPod(pod: Pod): Outgoing<NamespaceOption> {
  return {
    network: pod.spec.hostNetwork ? "NODE" : "POD",
    // PID is private to each container unless the pod shares it or uses the node's.
    pid: pod.spec.hostPID ? "NODE" : pod.spec.shareProcessNamespace ? "POD" : "CONTAINER",
    ipc: pod.spec.hostIPC ? "NODE" : "POD",
  };
}

/** True when any init or app container asks to be privileged (the sandbox then is too). */
export function hasPrivilegedContainer(pod: Pod): boolean {
  return [...(pod.spec.initContainers ?? []), ...pod.spec.containers].some((c) => c.securityContext?.privileged === true);
}

/** The container's security context with the pod's settings filled in where the container sets none. */
export function effectiveSecurityContext(pod: Pod, container: Container): SecurityContext {
  const p = pod.spec.securityContext;
  const fromPod: SecurityContext = {};
  if (p?.seLinuxOptions) fromPod.seLinuxOptions = p.seLinuxOptions;
  if (p?.runAsUser !== undefined) fromPod.runAsUser = p.runAsUser;
  if (p?.runAsGroup !== undefined) fromPod.runAsGroup = p.runAsGroup;
  if (p?.runAsNonRoot !== undefined) fromPod.runAsNonRoot = p.runAsNonRoot;
  const out: SecurityContext = { ...fromPod };
  for (const [k, v] of Object.entries(container.securityContext ?? {})) {
    if (v !== undefined && v !== null) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

/** The image's configured user, as ImageStatus reports it. */
export interface ImageUser { uid?: number; username?: string }

/** upstream format.Pod: `name_namespace(uid)`. */
function podDesc(pod: Pod): string {
  return `${pod.metadata.name ?? ""}_${pod.metadata.namespace ?? ""}(${pod.metadata.uid ?? ""})`;
}

/**
 * The uid the container will run as when it sets none: the image's numeric user, nothing when the
 * image names a user, root when the image declares no user at all.
 */
export function imageRunAsUser(imageUser: ImageUser | undefined): { uid?: number; username: string } {
  if (imageUser?.uid !== undefined) return { uid: imageUser.uid, username: "" };
  if (imageUser?.username) return { username: imageUser.username };
  return { uid: 0, username: "" };
}

/**
 * upstream verifyRunAsNonRoot: with runAsNonRoot, refuse an effective uid 0, and an image user that
 * is a name (it cannot be checked). Returns the error message, or undefined when the container may run.
 */
export function verifyRunAsNonRoot(pod: Pod, container: Container, imageUser: ImageUser | undefined): string | undefined {
  const sc = effectiveSecurityContext(pod, container);
  if (sc.runAsNonRoot !== true) return undefined;
  const where = `(pod: ${JSON.stringify(podDesc(pod))}, container: ${container.name})`;
  if (sc.runAsUser !== undefined) {
    return sc.runAsUser === 0 ? `container's runAsUser breaks non-root policy ${where}` : undefined;
  }
  const { uid, username } = imageRunAsUser(imageUser);
  if (uid === 0) return `container has runAsNonRoot and image will run as root ${where}`;
  if (uid === undefined && username !== "") {
    return `container has runAsNonRoot and image has non-numeric user (${username}), cannot verify user is non-root ${where}`;
  }
  return undefined;
}

/** Go's path.Join + Clean for slash paths: `..` and `.` resolved, repeated slashes collapsed. */
function joinPath(root: string, rel: string): string {
  const abs = root.startsWith("/");
  const parts: string[] = [];
  for (const seg of `${root}/${rel}`.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (parts.length > 0 && parts[parts.length - 1] !== "..") parts.pop();
      else if (!abs) parts.push("..");
    } else {
      parts.push(seg);
    }
  }
  const joined = parts.join("/");
  return abs ? `/${joined}` : joined || ".";
}

function fieldProfilePath(p: SeccompProfile, root: string): string {
  if (p.type === "RuntimeDefault") return "runtime/default";
  if (p.type === "Localhost" && p.localhostProfile) return `localhost/${joinPath(root, p.localhostProfile)}`;
  if (p.type === "Unconfined") return "unconfined";
  return "";
}

function annotationProfilePath(value: string, root: string): string {
  return value.startsWith("localhost/") ? `localhost/${joinPath(root, value.slice("localhost/".length))}` : value;
}

/**
 * The 1.20 seccomp profile path ("runtime/default", "unconfined", "localhost/<file>" or "" for none):
 * container field, then container annotation, then pod field, then pod annotation.
 * `containerName` "" asks for the sandbox's profile.
 */
export function seccompProfilePath(pod: Pod, containerName: string, containerSc: SecurityContext | undefined, root = DEFAULT_SECCOMP_PROFILE_ROOT): string {
  const annotations = pod.metadata.annotations ?? {};
  if (containerSc?.seccompProfile) return fieldProfilePath(containerSc.seccompProfile, root);
  const containerAnnotation = containerName === "" ? undefined : annotations[SECCOMP_CONTAINER_ANNOTATION_PREFIX + containerName];
  if (containerAnnotation !== undefined) return annotationProfilePath(containerAnnotation, root);
  if (pod.spec.securityContext?.seccompProfile) return fieldProfilePath(pod.spec.securityContext.seccompProfile, root);
  const podAnnotation = annotations[SECCOMP_POD_ANNOTATION];
  if (podAnnotation !== undefined) return annotationProfilePath(podAnnotation, root);
  return "";
}

/**
 * The CRI `seccomp` field for a 1.20 profile path, so runtimes that prefer it over the deprecated
 * path see the same choice. Unknown paths give null, leaving the runtime to judge the path.
 */
export function seccompProfileFromPath(path: string): Outgoing<SecurityProfile> | null {
  if (path === "" || path === "unconfined") return { profileType: "Unconfined" };
  if (path === "runtime/default" || path === "docker/default") return { profileType: "RuntimeDefault" };
  if (path.startsWith("localhost/")) return { profileType: "Localhost", localhostRef: path.slice("localhost/".length) };
  return null;
}

/** Options for security contexts that depend on the node, not the pod. */
export interface SecurityOptions {
  /** Directory of Localhost seccomp profiles (default /var/lib/kubelet/seccomp). */
  seccompProfileRoot?: string;
  /** Extra groups for the pod (e.g. GIDs that persistent volumes require). */
  extraSupplementalGroups?: readonly number[];
}

/** The sandbox's Linux security context (upstream generatePodSandboxLinuxConfig). */
export function sandboxSecurityContext(pod: Pod, opts: SecurityOptions = {}): Outgoing<LinuxSandboxSecurityContext> {
  const path = seccompProfilePath(pod, "", undefined, opts.seccompProfileRoot);
  const out: Outgoing<LinuxSandboxSecurityContext> = {
    namespaceOptions: namespacesForPod(pod),
    privileged: hasPrivilegedContainer(pod),
    seccompProfilePath: path,
  };
  const seccomp = seccompProfileFromPath(path);
  if (seccomp) out.seccomp = seccomp;
  const sc = pod.spec.securityContext;
  if (sc?.runAsUser !== undefined) out.runAsUser = { value: sc.runAsUser };
  if (sc?.runAsGroup !== undefined) out.runAsGroup = { value: sc.runAsGroup };
  const groups = [...(sc?.fsGroup !== undefined ? [sc.fsGroup] : []), ...(opts.extraSupplementalGroups ?? []), ...(sc?.supplementalGroups ?? [])];
  if (groups.length > 0) out.supplementalGroups = groups;
  if (sc?.seLinuxOptions) out.selinuxOptions = { ...sc.seLinuxOptions };
  return out;
}

/**
 * A container's Linux security context (upstream determineEffectiveSecurityContext): the effective
 * settings, the image's user when the spec sets none, pod-wide groups, no_new_privs when privilege
 * escalation is disallowed, seccomp/AppArmor, and the masked paths of its procMount.
 */
export function containerSecurityContext(
  pod: Pod, container: Container, imageUser: ImageUser | undefined, opts: SecurityOptions = {},
): Outgoing<LinuxContainerSecurityContext> {
  const sc = effectiveSecurityContext(pod, container);
  const out: Outgoing<LinuxContainerSecurityContext> = {};
  if (sc.capabilities) {
    // Names go as written ("NET_ADMIN"); containerd adds the CAP_ prefix itself.
    out.capabilities = { addCapabilities: [...(sc.capabilities.add ?? [])], dropCapabilities: [...(sc.capabilities.drop ?? [])] };
  }
  if (sc.seLinuxOptions) out.selinuxOptions = { ...sc.seLinuxOptions };
  out.privileged = sc.privileged === true;
  out.readonlyRootfs = sc.readOnlyRootFilesystem === true;
  if (sc.runAsUser !== undefined) {
    out.runAsUser = { value: sc.runAsUser };
  } else {
    const img = imageRunAsUser(imageUser);
    if (img.uid !== undefined) out.runAsUser = { value: img.uid };
    out.runAsUsername = img.username;
  }
  if (sc.runAsGroup !== undefined) out.runAsGroup = { value: sc.runAsGroup };

  const path = seccompProfilePath(pod, container.name, container.securityContext, opts.seccompProfileRoot);
  out.seccompProfilePath = path;
  const seccomp = seccompProfileFromPath(path);
  if (seccomp) out.seccomp = seccomp;
  const apparmor = pod.metadata.annotations?.[APPARMOR_CONTAINER_ANNOTATION_PREFIX + container.name];
  if (apparmor !== undefined) out.apparmorProfile = apparmor;

  out.namespaceOptions = namespacesForPod(pod);
  const psc = pod.spec.securityContext;
  const groups = [...(psc?.fsGroup !== undefined ? [psc.fsGroup] : []), ...(psc?.supplementalGroups ?? []), ...(opts.extraSupplementalGroups ?? [])];
  if (groups.length > 0) out.supplementalGroups = groups;
  out.noNewPrivs = sc.allowPrivilegeEscalation === false;

  // Privileged containers see /proc unmasked anyway (the runtime skips masks); send none.
  const unmasked = sc.procMount === "Unmasked" || out.privileged;
  out.maskedPaths = unmasked ? [] : [...DEFAULT_MASKED_PATHS];
  out.readonlyPaths = unmasked ? [] : [...DEFAULT_READONLY_PATHS];
  return out;
}
