/**
 * The volume plugins the kubelet runs: where each volume lives on the host and how it is set up
 * (upstream pkg/volume/{emptydir,hostpath,configmap,secret,downwardapi,projected}). Data volumes
 * (configMap, secret, downwardAPI, projected) collect their payload first, so a missing object
 * leaves nothing behind, then write it through the AtomicWriter; secret, downwardAPI and projected
 * data sits on a tmpfs (never on disk), configMap data on disk, as upstream wraps them.
 */
import type { Pod, QuantityString, Volume, VolumeProjection } from "../../bindings/kube/types.ts";
import type { Fs } from "../ports/fs.ts";
import type { HostFileType, Mounter } from "../ports/mounter.ts";
import { AtomicWriter, type FileProjection } from "./atomicWriter.ts";
import { downwardApiPayload, type ResourceValueFn } from "./downwardApi.ts";
import type { ObjectSource } from "./objectSource.ts";
import { aggregateErrors, configMapPayload, DEFAULT_FILE_MODE, secretPayload, type PayloadResult } from "./payloads.ts";
import type { TokenManager } from "./tokenManager.ts";

/** The volume sources this kubelet implements. */
export type VolumeKind = "emptyDir" | "hostPath" | "configMap" | "secret" | "downwardAPI" | "projected";

/** Plugin directory names under `<podDir>/volumes/`, escaped as upstream does (`/` -> `~`). */
export const PLUGIN_DIRS: Readonly<Record<Exclude<VolumeKind, "hostPath">, string>> = {
  emptyDir: "kubernetes.io~empty-dir",
  configMap: "kubernetes.io~configmap",
  secret: "kubernetes.io~secret",
  downwardAPI: "kubernetes.io~downward-api",
  projected: "kubernetes.io~projected",
};

const KINDS: readonly VolumeKind[] = ["emptyDir", "hostPath", "configMap", "secret", "downwardAPI", "projected"];

/** The kind of `volume`, or undefined for a source this kubelet does not implement. */
export function volumeKind(volume: Volume): VolumeKind | undefined {
  return KINDS.find((k) => volume[k] !== undefined && volume[k] !== null);
}

/** Data volumes are rewritten on every re-sync (upstream RequiresRemount) and mounted read-only. */
export function isDataVolume(kind: VolumeKind): boolean {
  return kind === "configMap" || kind === "secret" || kind === "downwardAPI" || kind === "projected";
}

/** The host path a volume is set up at and mounted from. */
export function volumeHostPath(podDir: string, volume: Volume): string {
  const kind = volumeKind(volume);
  if (kind === "hostPath") return volume.hostPath!.path;
  return `${podDir}/volumes/${PLUGIN_DIRS[kind ?? "emptyDir"]}/${volume.name}`;
}

/** What the plugins reach the world through. */
export interface PluginContext {
  fs: Fs;
  mounter: Mounter;
  objects: ObjectSource;
  tokens: TokenManager;
  now: () => number;
  resourceValue?: ResourceValueFn;
  /** Bytes of a quantity (emptyDir sizeLimit), or undefined when it does not parse. */
  quantityBytes?: (q: QuantityString) => number | undefined;
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** True when `dir` itself is a mount point. */
export async function isMountPoint(mounter: Mounter, dir: string): Promise<boolean> {
  const real = await mounter.realpath(dir).catch(() => dir);
  return (await mounter.listMounts(dir)).some((m) => m.mountPoint === real);
}

/** Upstream emptyDir setupDir/setupTmpfs: a 0777 directory, with a tmpfs over it for medium Memory. */
async function setUpEmptyDir(ctx: PluginContext, dir: string, memory: boolean, sizeLimit?: QuantityString): Promise<void> {
  if (memory && (await isMountPoint(ctx.mounter, dir))) return;
  await ctx.fs.mkdirp(dir, 0o750);
  await ctx.fs.chmod(dir, 0o777);
  if (!memory) return;
  const sizeBytes = sizeLimit === undefined ? undefined : ctx.quantityBytes?.(sizeLimit);
  await ctx.mounter.mountTmpfs(dir, sizeBytes && sizeBytes > 0 ? { sizeBytes } : {});
}

const TYPE_MESSAGES: Record<string, [HostFileType, string]> = {
  Directory: ["Directory", "is not a directory"],
  File: ["File", "is not a file"],
  Socket: ["Socket", "is not a socket file"],
  CharDevice: ["CharDevice", "is not a character device"],
  BlockDevice: ["BlockDevice", "is not a block device"],
};

/** Upstream hostPath checkType: creates DirectoryOrCreate/FileOrCreate paths, checks the others. */
export async function checkHostPathType(ctx: Pick<PluginContext, "fs" | "mounter">, path: string, type: string | undefined): Promise<string | undefined> {
  if (!type) return undefined;
  let actual = await ctx.mounter.fileType(path);
  let want = type;
  if (type === "DirectoryOrCreate") {
    if (actual === undefined) return void (await ctx.fs.mkdirp(path, 0o755));
    want = "Directory";
  } else if (type === "FileOrCreate") {
    if (actual === undefined) {
      await ctx.fs.writeFileAtomic(path, "", 0o644);
      actual = "File";
    }
    want = "File";
  }
  const check = TYPE_MESSAGES[want];
  if (!check) return `${type} is an invalid volume type`;
  return actual === check[0] ? undefined : `hostPath type check failed: ${path} ${check[1]}`;
}

/** Collects the files of a data volume; errors are upstream's messages. */
export async function collectPayload(ctx: PluginContext, pod: Pod, volume: Volume): Promise<PayloadResult> {
  const ns = pod.metadata.namespace ?? "default";
  try {
    if (volume.configMap) {
      const s = volume.configMap;
      const cm = await ctx.objects.getConfigMap(ns, s.name ?? "");
      if (!cm && !s.optional) return { error: `configmap "${s.name ?? ""}" not found` };
      return configMapPayload(cm, s.items, s.defaultMode, s.optional === true);
    }
    if (volume.secret) {
      const s = volume.secret;
      const secret = await ctx.objects.getSecret(ns, s.secretName ?? "");
      if (!secret && !s.optional) return { error: `secret "${s.secretName ?? ""}" not found` };
      return secretPayload(secret, s.items, s.defaultMode, s.optional === true);
    }
    if (volume.downwardAPI) return downwardApiPayload(volume.downwardAPI.items, pod, volume.downwardAPI.defaultMode, ctx.resourceValue);
    if (volume.projected) return await projectedPayload(ctx, pod, volume.projected.sources ?? [], volume.projected.defaultMode ?? DEFAULT_FILE_MODE);
  } catch (err) {
    return { error: errorText(err) };
  }
  return { payload: new Map() };
}

/** Upstream projected collectData: every source's files merged, errors aggregated. */
async function projectedPayload(ctx: PluginContext, pod: Pod, sources: readonly VolumeProjection[], defaultMode: number): Promise<PayloadResult> {
  const ns = pod.metadata.namespace ?? "default";
  const payload = new Map<string, FileProjection>();
  const errors: string[] = [];
  const add = (r: PayloadResult) => ("error" in r ? errors.push(r.error) : r.payload.forEach((v, k) => payload.set(k, v)));
  for (const src of sources) {
    try {
      if (src.secret) {
        const secret = await ctx.objects.getSecret(ns, src.secret.name ?? "");
        if (!secret && !src.secret.optional) errors.push(`secret "${src.secret.name ?? ""}" not found`);
        else add(secretPayload(secret, src.secret.items, defaultMode, src.secret.optional === true));
      } else if (src.configMap) {
        const cm = await ctx.objects.getConfigMap(ns, src.configMap.name ?? "");
        if (!cm && !src.configMap.optional) errors.push(`configmap "${src.configMap.name ?? ""}" not found`);
        else add(configMapPayload(cm, src.configMap.items, defaultMode, src.configMap.optional === true));
      } else if (src.downwardAPI) {
        add(downwardApiPayload(src.downwardAPI.items, pod, defaultMode, ctx.resourceValue));
      } else if (src.serviceAccountToken) {
        const t = src.serviceAccountToken;
        const expirationSeconds = t.expirationSeconds ?? 3600;
        if (expirationSeconds < 600) {
          errors.push(`serviceAccountToken.expirationSeconds: Invalid value: ${expirationSeconds}: may not specify a duration less than 10 minutes`);
          continue;
        }
        const status = await ctx.tokens.getToken(ns, pod.spec.serviceAccountName || "default", {
          audiences: t.audience ? [t.audience] : [],
          expirationSeconds,
          boundObjectRef: { apiVersion: "v1", kind: "Pod", name: pod.metadata.name ?? "", uid: pod.metadata.uid ?? "" },
        });
        payload.set(t.path, { data: status.token, mode: defaultMode });
      }
    } catch (err) {
      errors.push(errorText(err));
    }
  }
  const error = aggregateErrors(errors);
  return error ? { error } : { payload };
}

/**
 * Sets up one volume of `pod` at its host path, or (with `refresh`) rewrites a data volume's
 * content in place. Resolves to an error message (upstream's wording) or undefined.
 */
export async function setUpVolume(ctx: PluginContext, pod: Pod, volume: Volume, podDir: string, refresh = false): Promise<string | undefined> {
  const kind = volumeKind(volume);
  const dir = volumeHostPath(podDir, volume);
  try {
    switch (kind) {
      case undefined:
        return `unsupported volume source (this kubelet supports ${KINDS.join(", ")})`;
      case "emptyDir":
        await setUpEmptyDir(ctx, dir, volume.emptyDir!.medium === "Memory", volume.emptyDir!.sizeLimit);
        return undefined;
      case "hostPath":
        return await checkHostPathType(ctx, dir, volume.hostPath!.type);
    }
    const collected = await collectPayload(ctx, pod, volume);
    if ("error" in collected) return collected.error;
    const fresh = !refresh && (await ctx.fs.stat(`${dir}/..data`)) === undefined;
    if (!refresh) await setUpEmptyDir(ctx, dir, kind !== "configMap");
    try {
      await new AtomicWriter(ctx.fs, dir, ctx.now).write(collected.payload);
    } catch (err) {
      // A first set-up that failed half way leaves nothing mounted behind (upstream setupSuccess).
      if (fresh) await tearDownVolumeDir(ctx, dir);
      throw err;
    }
    return undefined;
  } catch (err) {
    return errorText(err);
  }
}

/** Unmounts whatever is mounted at `dir` and removes it (a volume under the pod directory only). */
export async function tearDownVolumeDir(ctx: Pick<PluginContext, "fs" | "mounter">, dir: string): Promise<void> {
  await ctx.mounter.unmount(dir);
  if (await isMountPoint(ctx.mounter, dir)) throw new Error(`volume directory ${dir} is still mounted`);
  await ctx.fs.removeAll(dir);
}
