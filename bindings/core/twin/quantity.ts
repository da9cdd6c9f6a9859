/**
 * Pure-TypeScript twin of core/quantity.ts: the test oracle for differential tests and the
 * baseline of the core benchmark. Written independently of the core (a regular expression for
 * the grammar, BigInt for the arithmetic) so that agreement means something.
 */
import { QuantityError, quantityResult, type ParsedQuantity, type QuantityParser } from "../quantity.ts";

const GRAMMAR = /^([+-]?)([0-9]*)(?:\.([0-9]*))?([eEinumkKMGTP]*[+-]?[0-9]*)$/;
const DECIMAL_SUFFIX: Record<string, number> = { "": 0, n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIX: Record<string, bigint> = { Ki: 10n, Mi: 20n, Gi: 30n, Ti: 40n, Pi: 50n, Ei: 60n };
const SI_BY_EXPONENT: Record<string, string> = { "-9": "n", "-6": "u", "-3": "m", "0": "", "3": "k", "6": "M", "9": "G", "12": "T", "15": "P", "18": "E" };
const BINARY_NAMES = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
const I64_MAX = (1n << 63n) - 1n;
const NANO = 1_000_000_000n;

/** ceil of |n| / d rounded away from zero, for n >= 0, d > 0. */
function ceilDiv(n: bigint, d: bigint): bigint {
  return (n + d - 1n) / d;
}

type Suffix = { kind: "dec" | "exp"; exp: bigint } | { kind: "bin"; exp: bigint };

function interpret(s: string): Suffix | undefined {
  if (s in DECIMAL_SUFFIX) return { kind: "dec", exp: BigInt(DECIMAL_SUFFIX[s]!) };
  if (s in BINARY_SUFFIX) return { kind: "bin", exp: BINARY_SUFFIX[s]! };
  const m = /^[eE]([+-]?[0-9]+)$/.exec(s);
  if (!m) return undefined;
  const v = BigInt(m[1]!);
  if (v > I64_MAX || v < -I64_MAX - 1n) return undefined;
  return { kind: "exp", exp: BigInt.asIntN(32, v) };
}

/** ceil(|D| * 10^k) for a digit string D with n significant digits, or undefined when huge. */
function scaledCeil(d: bigint, n: number, k: bigint): bigint | undefined {
  if (d === 0n) return 0n;
  if (BigInt(n) + k > 25n) return undefined;
  if (BigInt(n) + k < -5n) return 1n;
  if (k >= 0n) return d * 10n ** k;
  return ceilDiv(d, 10n ** -k);
}

function saturate(mag: bigint | undefined, negative: boolean): [bigint, boolean] {
  const limit = negative ? I64_MAX + 1n : I64_MAX;
  if (mag === undefined || mag > limit) return [negative ? -limit : limit, true];
  return [negative ? -mag : mag, false];
}

function spellDecimal(m: bigint, exp: bigint, exponentForm: boolean, negative: boolean): string {
  if (m === 0n) return "0";
  while (m % 10n === 0n) { m /= 10n; exp += 1n; }
  const r = ((exp % 3n) + 3n) % 3n;
  m *= 10n ** r;
  exp -= r;
  const si = exponentForm ? undefined : SI_BY_EXPONENT[exp.toString()];
  const suffix = si ?? (exp === 0n ? "" : `e${exp}`);
  return `${negative ? "-" : ""}${m}${suffix}`;
}

function parseOne(s: string, canonical: boolean): ParsedQuantity {
  if (s.length === 0) return quantityResult(QuantityError.Empty, 0n, 0n, 0);
  const g = GRAMMAR.exec(s);
  if (!g) return quantityResult(QuantityError.Format, 0n, 0n, 0);
  const negative = g[1] === "-";
  const intDigits = g[2]!;
  const fracDigits = g[3] ?? "";
  const suffix = interpret(g[4]!);
  if (!suffix) return quantityResult(QuantityError.Suffix, 0n, 0n, 0);
  const all = (intDigits + fracDigits).replace(/^0+/, "");
  const d = all === "" ? 0n : BigInt(all);
  const f = BigInt(fracDigits.length);
  if (suffix.kind === "bin") {
    let nanos = ceilDiv(d * (1n << suffix.exp) * NANO, 10n ** f);
    if (nanos > I64_MAX * NANO) nanos = I64_MAX * NANO;
    const [value] = saturate(ceilDiv(nanos, NANO), negative);
    const [milli, milliSat] = saturate(ceilDiv(nanos, 1_000_000n), negative);
    const format = nanos > 0n && nanos < NANO ? 0 : 1;
    let text: string | undefined;
    if (canonical) {
      if (nanos === 0n) text = "0";
      else if (nanos < 1024n * NANO || nanos % NANO !== 0n) text = spellDecimal(nanos, -9n, false, negative);
      else {
        let m = nanos / NANO;
        let p = 0;
        while (m % 1024n === 0n) { m /= 1024n; p++; }
        text = `${negative ? "-" : ""}${m}${BINARY_NAMES[p]}`;
      }
    }
    return quantityResult(milliSat ? 1 : 0, value, milli, format, text);
  }
  const e10 = suffix.exp - f;
  const n = all.length;
  const [value, valueSat] = saturate(scaledCeil(d, n, e10), negative);
  const [milli, milliSat] = saturate(scaledCeil(d, n, e10 + 3n), negative);
  const format = suffix.kind === "exp" ? 2 : 0;
  let text: string | undefined;
  if (canonical) {
    if (d === 0n) text = "0";
    else if (e10 < -9n) {
      const m = BigInt(n) + e10 + 9n < -2n ? 1n : ceilDiv(d, 10n ** (-9n - e10));
      text = spellDecimal(m, -9n, format === 2, negative);
    } else text = spellDecimal(d, e10, format === 2, negative);
  }
  return quantityResult((valueSat ? 2 : 0) | (milliSat ? 1 : 0), value, milli, format, text);
}

/** The pure-TS QuantityParser (test oracle; not a production path). */
export class TwinQuantityParser implements QuantityParser {
  parseMany(inputs: readonly string[], options: { canonical?: boolean } = {}): ParsedQuantity[] {
    return inputs.map((s) => parseOne(s, options.canonical === true));
  }
}
