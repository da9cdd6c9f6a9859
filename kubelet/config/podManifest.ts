/**
 * One static pod manifest file -> one runnable pod, or the reasons it cannot run. Decoding follows
 * upstream's file source: YAML or JSON, a single v1 Pod per file (later YAML documents are ignored),
 * API-server defaults, the static pod identity, then API-server validation.
 */
import { parseAllDocuments } from "yaml";
import type { Pod } from "../../bindings/kube/types.ts";
import { applyPodDefaults } from "./podDefaults.ts";
import { withStaticPodIdentity } from "./podIdentity.ts";
import { validatePod } from "./validatePod.ts";

/** A manifest that decoded into a pod, with any warnings (e.g. ignored extra documents). */
export interface DecodedManifest { ok: true; pod: Pod; warnings: string[] }
/** A manifest that cannot run; each problem names the field and what was expected. */
export interface RejectedManifest { ok: false; problems: string[] }

function describe(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  return JSON.stringify(value);
}

/**
 * Decodes the text of manifest `file` into the pod `nodeName` runs. Never throws: malformed input
 * yields `{ ok: false, problems }`.
 */
export function decodePodManifest(text: string, file: string, nodeName: string): DecodedManifest | RejectedManifest {
  const reject = (...problems: string[]): RejectedManifest => ({ ok: false, problems });
  const docs = parseAllDocuments(text, { version: "1.1" });
  const list = Array.isArray(docs) ? docs : [];
  const first = list[0];
  if (first && first.errors.length > 0) return reject(`not valid YAML or JSON: ${first.errors[0]!.message.split("\n")[0]}`);
  const raw: unknown = first?.toJS();
  if (raw === null || raw === undefined) return reject("empty manifest: expected a v1 Pod");
  if (typeof raw !== "object" || Array.isArray(raw)) return reject(`expected a v1 Pod object, got ${describe(raw)}`);
  const obj = raw as Record<string, unknown>;
  if (obj.kind !== "Pod") return reject(`kind: expected "Pod", got ${JSON.stringify(obj.kind ?? "")}`);
  if (obj.apiVersion !== "v1") return reject(`apiVersion: expected "v1", got ${JSON.stringify(obj.apiVersion ?? "")}`);
  if (typeof obj.metadata !== "object" || obj.metadata === null || Array.isArray(obj.metadata)) {
    return reject(`metadata: expected an object with at least a name, got ${describe(obj.metadata)}`);
  }
  const warnings = list.length > 1 ? [`${list.length - 1} more YAML document(s) after the first ignored: a manifest file holds one pod`] : [];

  const original = obj as unknown as Pod;
  // Check the name as written before it gets the node suffix, so "missing name" reads as such.
  const name = original.metadata.name;
  if (typeof name !== "string" || name === "") return reject("metadata.name: Required value: a static pod needs a name");

  let pod: Pod;
  try {
    pod = withStaticPodIdentity(applyPodDefaults(original), nodeName, file);
  } catch (err) {
    // Only reachable with a spec too malformed to copy; validation explains it better.
    const errors = validatePod(original);
    return reject(...(errors.length > 0 ? errors.map((e) => e.message) : [`cannot decode pod: ${err instanceof Error ? err.message : String(err)}`]));
  }
  const errors = validatePod(pod);
  if (errors.length > 0) return reject(...errors.map((e) => e.message));
  return { ok: true, pod, warnings };
}
