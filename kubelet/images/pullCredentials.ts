/**
 * The credentials a pull may use, as upstream 1.20's kubelet gathers them: the pod's
 * `imagePullSecrets` (read from its namespace; a missing or unreadable secret is skipped with a
 * warning) ahead of the node's docker config (`config.json` in the kubelet root dir, the working
 * dir, `$HOME/.docker`, `/.docker`, else the legacy `.dockercfg` in the root dir, working dir,
 * `$HOME`, `/`), re-read at most every 5 minutes as upstream's caching provider does.
 */
import type { AuthConfig } from "../../bindings/cri/types.ts";
import type { Pod } from "../../bindings/kube/types.ts";
import type { Fs } from "../ports/fs.ts";
import type { Logger } from "../log.ts";
import type { ObjectSource } from "../volumemanager/objectSource.ts";
import { dockerConfigFromSecret, DockerKeyring, parseDockercfg, parseDockerConfigJson, type DockerConfig } from "./credentials.ts";

/** Looks up pull credentials for one repository on behalf of a pod (undefined: node credentials only). */
export interface PodPullCredentials {
  /** AuthConfig candidates for `repo` (normalized, no tag), in the order to try them; never rejects. */
  lookup(repo: string, pod: Pod | undefined): Promise<AuthConfig[]>;
}

/** What PullCredentials reads from. */
export interface PullCredentialsDeps {
  objects: Pick<ObjectSource, "getSecret">;
  fs: Pick<Fs, "readText">;
  log: Logger;
  now: () => number;
  /** The kubelet root dir: upstream's preferred docker config path. */
  rootDir: string;
  /** The kubelet's working directory. */
  cwd?: string;
  /** $HOME, when set. */
  home?: string;
}

/** Upstream's CachingDockerConfigProvider lifetime for the node's docker config. */
export const NODE_CONFIG_LIFETIME_MS = 5 * 60_000;

const join = (dir: string, file: string) => (dir.endsWith("/") ? `${dir}${file}` : `${dir}/${file}`);

/** Pod pull secrets and node docker config, merged into CRI AuthConfig candidates. */
export class PullCredentials implements PodPullCredentials {
  private node?: { keyring: DockerKeyring; expires: number };

  constructor(private readonly deps: PullCredentialsDeps) {}

  async lookup(repo: string, pod: Pod | undefined): Promise<AuthConfig[]> {
    const podKeyring = pod ? await this.podKeyring(pod) : undefined;
    return [...(podKeyring?.lookup(repo) ?? []), ...(await this.nodeKeyring()).lookup(repo)];
  }

  /** The keyring of the pod's pull secrets, or undefined when it has none usable. */
  private async podKeyring(pod: Pod): Promise<DockerKeyring | undefined> {
    const refs = pod.spec?.imagePullSecrets ?? [];
    if (refs.length === 0) return undefined;
    const ns = pod.metadata.namespace ?? "default";
    const podName = `${ns}/${pod.metadata.name ?? ""}`;
    const configs: DockerConfig[] = [];
    for (const ref of refs) {
      if (!ref?.name) continue;
      try {
        const secret = await this.deps.objects.getSecret(ns, ref.name);
        if (!secret) {
          this.deps.log.warn("Unable to retrieve pull secret; the image pull may not succeed", { secret: `${ns}/${ref.name}`, pod: podName, err: "not found" });
          continue;
        }
        const cfg = dockerConfigFromSecret(secret);
        if (cfg) configs.push(cfg);
      } catch (err) {
        // Error texts name the secret and the field, never the credentials themselves.
        this.deps.log.warn("Unable to use pull secret; the image pull may not succeed", { secret: `${ns}/${ref.name}`, pod: podName, err: (err as Error).message });
      }
    }
    if (configs.length === 0) return undefined;
    const keyring = new DockerKeyring();
    for (const cfg of configs) this.addTo(keyring, cfg, "pull secret");
    return keyring;
  }

  private addTo(keyring: DockerKeyring, cfg: DockerConfig, what: string): void {
    for (const location of keyring.add(cfg)) this.deps.log.warn("Entry in docker config is invalid, ignoring", { source: what, location });
  }

  private async nodeKeyring(): Promise<DockerKeyring> {
    const now = this.deps.now();
    if (this.node && now < this.node.expires) return this.node.keyring;
    const keyring = new DockerKeyring();
    const cfg = await this.readNodeConfig();
    if (cfg) this.addTo(keyring, cfg.config, cfg.path);
    this.node = { keyring, expires: now + NODE_CONFIG_LIFETIME_MS };
    return keyring;
  }

  /** The first readable, valid docker config of the upstream search paths. */
  private async readNodeConfig(): Promise<{ path: string; config: DockerConfig } | undefined> {
    const { rootDir, cwd, home } = this.deps;
    const jsonDirs = [rootDir, cwd, home && join(home, ".docker"), "/.docker"];
    const cfgDirs = [rootDir, cwd, home, "/"];
    const candidates = [
      ...jsonDirs.filter((d): d is string => !!d).map((d) => ({ path: join(d, "config.json"), parse: parseDockerConfigJson })),
      ...cfgDirs.filter((d): d is string => !!d).map((d) => ({ path: join(d, ".dockercfg"), parse: parseDockercfg })),
    ];
    for (const { path, parse } of candidates) {
      let text: string;
      try {
        text = await this.deps.fs.readText(path);
      } catch {
        continue;
      }
      try {
        const config = parse(text, path);
        this.deps.log.info(4, "found valid docker config", { path });
        return { path, config };
      } catch (err) {
        this.deps.log.warn("Unable to parse docker config, trying the next one", { path, err: (err as Error).message });
      }
    }
    return undefined;
  }
}
