/**
 * Typed API over core.wasm's quantity parser (core/quantity.ts): Kubernetes resource.Quantity
 * strings to exact integers. Amounts are `bigint` because a quantity may exceed 2^53 (the core
 * is i64 throughout). See ABI.md "Resource accounting" for the buffers behind it.
 */
import type { CoreExports } from "./load.ts";

/** How a quantity was written, which decides how its canonical form is spelled. */
export type QuantityFormat = "DecimalSI" | "BinarySI" | "DecimalExponent";

/** Why a quantity string was rejected; values are the core's negative item codes. */
export const QuantityError = {
  /** The string is empty. */
  Empty: -1,
  /** Not <sign><digits>[.<digits>]<suffix>: stray characters or junk after the number. */
  Format: -2,
  /** Unknown suffix (valid: n u m k M G T P E, Ki Mi Gi Ti Pi Ei, e<int> / E<int>). */
  Suffix: -3,
  /** The item's bytes fall outside the shared input buffer (a binding bug). */
  Bounds: -4,
  /** The canonical-output buffer ran out (a binding bug: batches are split to fit). */
  OutputFull: -5,
} as const;

/** One of the QuantityError codes. */
export type QuantityErrorCode = (typeof QuantityError)[keyof typeof QuantityError];

const messages: Record<number, string> = {
  [-1]: "quantity is empty",
  [-2]: "quantity must be <sign><digits>[.<digits>]<suffix>, e.g. 500m, 1.5Gi, 2e3",
  [-3]: "unknown quantity suffix; expected one of n u m k M G T P E Ki Mi Gi Ti Pi Ei or e<exponent>",
  [-4]: "quantity bytes outside the core's input buffer",
  [-5]: "core's canonical-output buffer is full",
};

/** A parsed quantity, or why it could not be parsed. */
export type ParsedQuantity =
  | {
      ok: true;
      /** Value(): base units (bytes, cores, ...) rounded away from zero; saturates at the i64 rails. */
      value: bigint;
      /** MilliValue(): thousandths rounded away from zero; saturates at the i64 rails. */
      milli: bigint;
      format: QuantityFormat;
      valueSaturated: boolean;
      milliSaturated: boolean;
      /** Canonical spelling (as the API server would print it), when asked for. */
      canonical?: string;
    }
  | { ok: false; code: QuantityErrorCode; message: string };

/** Parses many quantity strings at once; implemented by core.wasm and by the pure-TS twin. */
export interface QuantityParser {
  /** Parses every input; `canonical` also returns each one's canonical spelling. */
  parseMany(inputs: readonly string[], options?: { canonical?: boolean }): ParsedQuantity[];
}

/** Formats as the core numbers them (0 DecimalSI, 1 BinarySI, 2 DecimalExponent). */
export const QUANTITY_FORMATS: readonly QuantityFormat[] = ["DecimalSI", "BinarySI", "DecimalExponent"];

/** Builds a ParsedQuantity from the core's per-item outputs (shared by the twin). */
export function quantityResult(code: number, value: bigint, milli: bigint, format: number, canonical?: string): ParsedQuantity {
  if (code < 0) return { ok: false, code: code as QuantityErrorCode, message: messages[code] ?? `quantity error ${code}` };
  const r: ParsedQuantity = {
    ok: true, value, milli, format: QUANTITY_FORMATS[format]!,
    valueSaturated: (code & 2) !== 0, milliSaturated: (code & 1) !== 0,
  };
  if (canonical !== undefined) r.canonical = canonical;
  return r;
}

interface QuantityExports {
  quantityInputPtr(): number; quantityItemsPtr(): number; quantityValuesPtr(): number;
  quantityMillisPtr(): number; quantityCodesPtr(): number; quantityFormatsPtr(): number;
  quantityOutItemsPtr(): number; quantityOutputPtr(): number;
  parseQuantities(count: number, canonical: number): number;
  QTY_MAX_ITEMS: WebAssembly.Global; QTY_INPUT_BYTES: WebAssembly.Global; QTY_OUTPUT_BYTES: WebAssembly.Global;
}

/** The core.wasm implementation of QuantityParser. */
export class WasmQuantityParser implements QuantityParser {
  readonly #x: QuantityExports & CoreExports;
  readonly #maxItems: number;
  readonly #inputBytes: number;
  readonly #outputBytes: number;
  readonly #encoder = new TextEncoder();
  readonly #decoder = new TextDecoder();

  /** Wraps the raw exports of an instantiated core.wasm. */
  constructor(core: CoreExports) {
    this.#x = core as QuantityExports & CoreExports;
    this.#maxItems = this.#x.QTY_MAX_ITEMS.value as number;
    this.#inputBytes = this.#x.QTY_INPUT_BYTES.value as number;
    this.#outputBytes = this.#x.QTY_OUTPUT_BYTES.value as number;
  }

  parseMany(inputs: readonly string[], options: { canonical?: boolean } = {}): ParsedQuantity[] {
    const out: ParsedQuantity[] = new Array(inputs.length);
    const canonical = options.canonical === true;
    let start = 0;
    while (start < inputs.length) start = this.#batch(inputs, start, canonical, out);
    return out;
  }

  /** Encodes as many inputs as fit, parses them in one call, returns the next start index. */
  #batch(inputs: readonly string[], start: number, canonical: boolean, out: ParsedQuantity[]): number {
    const x = this.#x;
    const mem = new Uint8Array(x.memory.buffer);
    const items = new Int32Array(x.memory.buffer, x.quantityItemsPtr(), this.#maxItems * 2);
    const base = x.quantityInputPtr();
    let used = 0;
    let outBudget = 0;
    let n = 0;
    for (let i = start; i < inputs.length && n < this.#maxItems; i++, n++) {
      const s = inputs[i]!;
      const { read, written } = this.#encoder.encodeInto(s, mem.subarray(base + used, base + this.#inputBytes));
      // canonical output is at most input length + 24 bytes per item
      const full = read < s.length || (canonical && outBudget + written + 24 > this.#outputBytes);
      if (full && n > 0) break;
      if (full) throw new RangeError(`quantity string of ${s.length} characters exceeds the core's ${this.#inputBytes}-byte buffer`);
      items[n * 2] = used;
      items[n * 2 + 1] = written;
      used += written;
      outBudget += written + 24;
    }
    x.parseQuantities(n, canonical ? 1 : 0);
    const buf = x.memory.buffer;
    const values = new BigInt64Array(buf, x.quantityValuesPtr(), n);
    const millis = new BigInt64Array(buf, x.quantityMillisPtr(), n);
    const codes = new Int32Array(buf, x.quantityCodesPtr(), n);
    const formats = new Int32Array(buf, x.quantityFormatsPtr(), n);
    const outItems = new Int32Array(buf, x.quantityOutItemsPtr(), n * 2);
    const outBase = x.quantityOutputPtr();
    const bytes = new Uint8Array(buf);
    for (let k = 0; k < n; k++) {
      const text = canonical && codes[k]! >= 0
        ? this.#decoder.decode(bytes.subarray(outBase + outItems[k * 2]!, outBase + outItems[k * 2]! + outItems[k * 2 + 1]!))
        : undefined;
      out[start + k] = quantityResult(codes[k]!, values[k]!, millis[k]!, formats[k]!, text);
    }
    return start + n;
  }
}
