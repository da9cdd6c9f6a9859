/**
 * The files of configMap and secret volumes (and of their projected sources), as upstream's
 * configmap.MakePayload and secret.MakePayload: every key when no items are given, else each item
 * at its path; file modes from the item or the volume's defaultMode.
 */
import type { KeyToPath } from "../../bindings/kube/types.ts";
import type { FileProjection } from "./atomicWriter.ts";
import { decodeBase64, type ConfigMap, type Secret } from "./objectSource.ts";

/** The API default of `defaultMode` for configMap, secret, downwardAPI and projected volumes. */
export const DEFAULT_FILE_MODE = 0o644;

/** A payload, or the error that fails the volume's set-up. */
export type PayloadResult = { payload: Map<string, FileProjection> } | { error: string };

function keyedPayload(
  keys: ReadonlyMap<string, Uint8Array | string>, items: readonly KeyToPath[] | undefined, defaultMode: number,
  optional: boolean, missingKey: (key: string) => string,
): PayloadResult {
  const payload = new Map<string, FileProjection>();
  if (!items || items.length === 0) {
    for (const [key, data] of keys) payload.set(key, { data, mode: defaultMode });
    return { payload };
  }
  for (const item of items) {
    const data = keys.get(item.key);
    if (data === undefined) {
      if (optional) continue;
      return { error: missingKey(item.key) };
    }
    payload.set(item.path, { data, mode: item.mode ?? defaultMode });
  }
  return { payload };
}

/**
 * The files of a configMap (or a configMap projection): `data` as text and `binaryData` decoded.
 * `configMap` is undefined for a missing optional one (an empty volume).
 */
export function configMapPayload(configMap: ConfigMap | undefined, items: readonly KeyToPath[] | undefined, defaultMode: number | undefined, optional: boolean): PayloadResult {
  const keys = new Map<string, Uint8Array | string>();
  for (const [k, v] of Object.entries(configMap?.data ?? {})) keys.set(k, v);
  for (const [k, v] of Object.entries(configMap?.binaryData ?? {})) keys.set(k, decodeBase64(v));
  return keyedPayload(keys, items, defaultMode ?? DEFAULT_FILE_MODE, optional, (key) => `configmap references non-existent config key: ${key}`);
}

/** The files of a secret (or a secret projection), values decoded from base64. */
export function secretPayload(secret: Secret | undefined, items: readonly KeyToPath[] | undefined, defaultMode: number | undefined, optional: boolean): PayloadResult {
  const keys = new Map<string, Uint8Array | string>();
  for (const [k, v] of Object.entries(secret?.data ?? {})) keys.set(k, decodeBase64(v));
  return keyedPayload(keys, items, defaultMode ?? DEFAULT_FILE_MODE, optional, (key) => `references non-existent secret key: ${key}`);
}

/** The decoded data of a secret as text, for the environment (upstream uses the bytes as a string). */
export function secretStrings(secret: Secret): Record<string, string> {
  const out: Record<string, string> = {};
  const dec = new TextDecoder();
  for (const [k, v] of Object.entries(secret.data ?? {})) out[k] = dec.decode(decodeBase64(v));
  return out;
}

/** Go's errors.NewAggregate formatting: duplicates dropped, one error as is, several as `[a, b]`. */
export function aggregateErrors(errors: readonly string[]): string | undefined {
  const unique = [...new Set(errors)];
  if (unique.length === 0) return undefined;
  if (unique.length === 1) return unique[0];
  return `[${unique.join(", ")}]`;
}
