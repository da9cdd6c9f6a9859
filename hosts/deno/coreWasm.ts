/** Finds the core.wasm bytes for the Deno host: next to a compiled binary (--include), else dist/core.wasm. */

/** The bytes of core.wasm; build them with `npx tsx build.ts core` when running from source. */
export async function loadCoreBytes(): Promise<Uint8Array> {
  const url = Deno.env.get("KTS_CORE_WASM") ?? new URL("../../dist/core.wasm", import.meta.url);
  try {
    return await Deno.readFile(url);
  } catch (err) {
    throw new Error(`cannot read core.wasm at ${url} (${(err as Error).message}); build it with \`npx tsx build.ts core\``);
  }
}
