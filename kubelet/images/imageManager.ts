/**
 * Image manager: makes sure a container's image is present before the container is created,
 * honouring imagePullPolicy and the image pull back-off, with upstream's events and reasons
 * (pkg/kubelet/images/image_manager.go, v1.20).
 */
import type { Container } from "../../bindings/kube/types.ts";
import type { AuthConfig, Image, Outgoing, PodSandboxConfig } from "../../bindings/cri/types.ts";
import type { EventRecorder, EventSubject } from "../events/recorder.ts";
import type { Cri } from "../ports/cri.ts";
import type { Backoff } from "../backoff.ts";
import { runtimeErrorText } from "../kuberuntime/runtimeErrorText.ts";
import type { ImageUser } from "../kuberuntime/securityContext.ts";

/** A container could not get its image; `reason` becomes the container's waiting reason. */
export interface ImageError { reason: "ErrImagePull" | "ImagePullBackOff" | "ErrImageNeverPull" | "InvalidImageName"; message: string }

/** Outcome of ensureImage: the runtime's image reference and the image's USER, or why there is none. */
export type EnsureImageResult = { imageRef: string; user: ImageUser } | { error: ImageError };

/** The image's configured user as ImageStatus reports it (upstream getImageUser). */
function imageUser(image: Image | null | undefined): ImageUser {
  if (image?.uid) return { uid: image.uid.value };
  return image?.username ? { username: image.username } : {};
}

/** Adds ":latest" when a reference has neither tag nor digest (upstream applyDefaultImageTag). */
export function withDefaultTag(image: string): string {
  if (image.includes("@")) return image;
  const lastSlash = image.lastIndexOf("/");
  return image.indexOf(":", lastSlash + 1) >= 0 ? image : `${image}:latest`;
}

/** The pull policy the API server defaults to: Always for ":latest" or no tag, else IfNotPresent. */
export function defaultPullPolicy(image: string): "Always" | "IfNotPresent" {
  if (image.includes("@")) return "IfNotPresent";
  return withDefaultTag(image).endsWith(":latest") ? "Always" : "IfNotPresent";
}

// docker/distribution v2.7.1 reference grammar (vendored by Kubernetes 1.20).
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?`;
const NAME_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*";
const NAME = `(?:${DOMAIN}/)?${NAME_COMPONENT}(?:/${NAME_COMPONENT})*`;
const REFERENCE = new RegExp(`^(${NAME})(?::[\\w][\\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$`);
const NAME_TOTAL_LENGTH_MAX = 255;
const UPPERCASE = "invalid reference format: repository name must be lowercase";

/** Upstream splitDockerDomain: the registry part, or docker.io (with library/ for one-word names). */
function splitDockerDomain(name: string): [string, string] {
  const i = name.indexOf("/");
  let domain: string;
  let remainder: string;
  if (i === -1 || (!/[.:]/.test(name.slice(0, i)) && name.slice(0, i) !== "localhost")) [domain, remainder] = ["docker.io", name];
  else [domain, remainder] = [name.slice(0, i), name.slice(i + 1)];
  if (domain === "index.docker.io") domain = "docker.io";
  if (domain === "docker.io" && !remainder.includes("/")) remainder = `library/${remainder}`;
  return [domain, remainder];
}

/** The repository an image is pulled from, normalized and without tag or digest (upstream ParseImageName's repoToPull). */
export function repositoryToPull(image: string): string {
  const [domain, remainder] = splitDockerDomain(image);
  const at = remainder.indexOf("@");
  const name = at >= 0 ? remainder.slice(0, at) : remainder;
  const colon = name.lastIndexOf(":");
  return `${domain}/${colon >= 0 ? name.slice(0, colon) : name}`;
}

/** Go's utilerrors aggregate text: one message alone, several (duplicates dropped) as "[a, b]". */
function aggregateText(messages: string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? unique[0]! : `[${unique.join(", ")}]`;
}

/**
 * Checks an image reference as upstream's applyDefaultImageTag does (docker reference
 * ParseNormalizedNamed); returns the parser's error text, or undefined for a valid reference.
 */
export function invalidImageReason(image: string): string | undefined {
  if (/^[a-f0-9]{64}$/.test(image)) return `invalid repository name (${image}), cannot specify 64-byte hexadecimal strings`;
  const [domain, remainder] = splitDockerDomain(image);
  const tagSep = remainder.indexOf(":");
  const remoteName = tagSep > -1 ? remainder.slice(0, tagSep) : remainder;
  if (remoteName.toLowerCase() !== remoteName) return UPPERCASE;
  const ref = `${domain}/${remainder}`;
  const m = REFERENCE.exec(ref);
  if (!m) return REFERENCE.test(ref.toLowerCase()) ? UPPERCASE : "invalid reference format";
  if (m[1]!.length > NAME_TOTAL_LENGTH_MAX) return `repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`;
  return undefined;
}

/** The pull credentials for a pod's image: AuthConfig candidates for a repository, in the order to try them. */
export type CredentialsLookup = (podUID: string, repo: string) => Promise<AuthConfig[]>;

/** Pulls images for containers, with back-off per (pod, image). */
export class ImageManager {
  constructor(
    private readonly cri: Cri,
    private readonly events: EventRecorder,
    private readonly backoff: Backoff,
    private readonly now: () => number,
    /** Registry credentials (pull secrets, node docker config); without it every pull is anonymous. */
    private readonly credentials?: CredentialsLookup,
  ) {}

  /**
   * Upstream kuberuntime PullImage: anonymous when no credential matches, else each matching
   * credential in order until one succeeds; all failing gives the aggregate of their errors.
   */
  private async pull(podUID: string, image: string, sandboxConfig: Outgoing<PodSandboxConfig>): Promise<string> {
    const candidates = this.credentials ? await this.credentials(podUID, repositoryToPull(image)) : [];
    if (candidates.length === 0) return await this.cri.pullImage({ image, annotations: {} }, undefined, sandboxConfig);
    const failures: string[] = [];
    for (const auth of candidates) {
      try {
        return await this.cri.pullImage({ image, annotations: {} }, auth, sandboxConfig);
      } catch (err) {
        failures.push(runtimeErrorText(err));
      }
    }
    throw new Error(aggregateText(failures));
  }

  /** Ensures `container.image` is present according to its pull policy. */
  async ensureImage(podUID: string, subject: EventSubject, container: Container, sandboxConfig: Outgoing<PodSandboxConfig>): Promise<EnsureImageResult> {
    const spec = container.image ?? "";
    const invalid = invalidImageReason(spec);
    if (invalid) {
      const message = `Failed to apply default image tag "${spec}": couldn't parse image reference "${spec}": ${invalid}`;
      this.events.event(subject, "Warning", "InspectFailed", message);
      return { error: { reason: "InvalidImageName", message } };
    }
    const image = withDefaultTag(spec);
    const policy = container.imagePullPolicy ?? defaultPullPolicy(spec);
    const present = policy === "Always" ? undefined : (await this.cri.imageStatus({ image, annotations: {} })).image;
    if (present) {
      this.events.event(subject, "Normal", "Pulled", `Container image "${spec}" already present on machine`);
      return { imageRef: present.id, user: imageUser(present) };
    }
    if (policy === "Never") {
      const message = `Container image "${spec}" is not present with pull policy of Never`;
      this.events.event(subject, "Warning", "ErrImageNeverPull", message);
      return { error: { reason: "ErrImageNeverPull", message } };
    }
    const key = `${podUID}_${spec}`;
    if (this.backoff.inBackoffSinceUpdate(key, this.now())) {
      const message = `Back-off pulling image "${spec}"`;
      this.events.event(subject, "Normal", "BackOff", message);
      return { error: { reason: "ImagePullBackOff", message } };
    }
    this.events.event(subject, "Normal", "Pulling", `Pulling image "${spec}"`);
    const t0 = this.now();
    try {
      const ref = await this.pull(podUID, image, sandboxConfig);
      this.events.event(subject, "Normal", "Pulled", `Successfully pulled image "${spec}" in ${((this.now() - t0) / 1000).toFixed(3)}s`);
      return { imageRef: ref, user: imageUser((await this.cri.imageStatus({ image: ref, annotations: {} })).image) };
    } catch (err) {
      this.backoff.next(key, this.now(), this.now());
      const detail = runtimeErrorText(err);
      this.events.event(subject, "Warning", "Failed", `Failed to pull image "${spec}": ${detail}`);
      return { error: { reason: "ErrImagePull", message: detail } };
    }
  }
}
