/**
 * Loads core.wasm from its bytes in any JS runtime (Node, Deno, browsers): no host imports but
 * `env.abort`, which turns a trap inside the core into a JS error naming the source location.
 */

/** The raw exports of core.wasm; the typed modules in this folder wrap them. */
export type CoreExports = WebAssembly.Exports & { memory: WebAssembly.Memory; abiVersion(): number };

/** ABI version this binding was written against; see ABI.md. */
export const EXPECTED_ABI_VERSION = 1;

/** An error raised by the core's `abort` (an assertion or unreachable state in core.wasm). */
export class CoreAbort extends Error {}

function readString(memory: WebAssembly.Memory, ptr: number): string {
  if (ptr === 0) return "";
  // AssemblyScript strings: UTF-16LE payload, byte length stored just before the pointer.
  const bytes = new Uint32Array(memory.buffer, ptr - 4, 1)[0]!;
  return String.fromCharCode(...new Uint16Array(memory.buffer, ptr, bytes >>> 1));
}

/** Instantiates core.wasm from its bytes (or an already compiled module). */
export async function instantiateCore(source: BufferSource | WebAssembly.Module): Promise<CoreExports> {
  let memory: WebAssembly.Memory | undefined;
  const imports = {
    env: {
      abort(msg: number, file: number, line: number, column: number): never {
        const m = memory ? readString(memory, msg) : "";
        const f = memory ? readString(memory, file) : "";
        throw new CoreAbort(`core.wasm aborted: ${m} at ${f}:${line}:${column}`);
      },
    },
  };
  const instance = source instanceof WebAssembly.Module
    ? await WebAssembly.instantiate(source, imports)
    : (await WebAssembly.instantiate(source, imports)).instance;
  const exports = instance.exports as CoreExports;
  memory = exports.memory;
  const abi = exports.abiVersion();
  if (abi !== EXPECTED_ABI_VERSION) {
    throw new Error(`core.wasm has ABI version ${abi}, but these bindings expect ${EXPECTED_ABI_VERSION}; rebuild with \`npx tsx build.ts core\``);
  }
  return exports;
}
