/** Finds the core.wasm bytes for the Node host: embedded in the single binary, else dist/core.wasm. */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

declare const KTS_EMBEDDED_CORE: string | undefined;

/** The bytes of core.wasm; build them with `npx tsx build.ts core` when running from source. */
export async function loadCoreBytes(): Promise<Uint8Array> {
  if (typeof KTS_EMBEDDED_CORE === "string") return Buffer.from(KTS_EMBEDDED_CORE, "base64");
  const path = process.env.KTS_CORE_WASM ?? fileURLToPath(new URL("../../dist/core.wasm", import.meta.url));
  try {
    return await readFile(path);
  } catch (err) {
    throw new Error(`cannot read core.wasm at ${path} (${(err as Error).message}); build it with \`npx tsx build.ts core\``);
  }
}
