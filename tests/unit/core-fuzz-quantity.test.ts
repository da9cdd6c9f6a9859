// Fuzzing the quantity parser: 100,000+ random and mutated inputs. The core must never trap or
// hang, must classify every input (value or a named error code), and must agree with the twin.
import { readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { instantiateCore } from "../../bindings/core/load.ts";
import { QuantityError, WasmQuantityParser } from "../../bindings/core/quantity.ts";
import { TwinQuantityParser } from "../../bindings/core/twin/quantity.ts";

const core = await instantiateCore(readFileSync(new URL("../../dist/core.wasm", import.meta.url)));
const wasm = new WasmQuantityParser(core);
const twin = new TwinQuantityParser();
const show = (v: unknown) => JSON.stringify(v, (_, x) => (typeof x === "bigint" ? `${x}n` : x));

/** xorshift32: deterministic, seedable. */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
  return { int: (n: number) => next() % n, pick: <T>(xs: readonly T[]) => xs[next() % xs.length]! };
}

const SEEDS = ["0", "1", "500m", "1.5Gi", "100Mi", "2e3", "1E-3", "0.5", "-1", "+7k", "1.1.M", "8Ei", "12E", ".5", "1e-20",
  "123456789012345678901234567890", "0.000000000001Ki", "9223372036854775807", "1e2147483647", "1e-2147483648"];
const ALPHABET = [..."0123456789.+-eEinumkKMGTPi xZ\u0000\u00b5\u0661"];

function mutate(r: ReturnType<typeof rng>, s: string): string {
  const chars = [...s];
  const edits = 1 + r.int(4);
  for (let e = 0; e < edits; e++) {
    const at = chars.length === 0 ? 0 : r.int(chars.length + 1);
    switch (r.int(6)) {
      case 0: chars.splice(at, 0, r.pick(ALPHABET)); break;
      case 1: chars.splice(at, 1); break;
      case 2: if (chars.length) chars[r.int(chars.length)] = r.pick(ALPHABET); break;
      case 3: chars.splice(at, 0, ...chars.slice(0, r.int(chars.length + 1))); break;
      case 4: chars.splice(at, 0, ..."9".repeat(r.int(40))); break;
      default: chars.splice(at, 0, r.pick(["e", "E", "Ki", ".", "-", "e-", "e+"])); break;
    }
  }
  return chars.join("");
}

test("100,000 random and mutated quantities: no trap, every result classified, wasm equals twin", () => {
  const r = rng(0x6b756265);
  const known = new Set<number>(Object.values(QuantityError));
  let total = 0;
  const t0 = performance.now();
  for (let round = 0; round < 50; round++) {
    const inputs: string[] = [];
    for (let i = 0; i < 2000; i++) {
      if (i % 2 === 0) inputs.push(mutate(r, r.pick(SEEDS)));
      else inputs.push(Array.from({ length: r.int(16) }, () => r.pick(ALPHABET)).join(""));
    }
    const a = wasm.parseMany(inputs, { canonical: true });
    const b = twin.parseMany(inputs, { canonical: true });
    for (let i = 0; i < inputs.length; i++) {
      const q = a[i]!;
      if (!q.ok) assert.ok(known.has(q.code) && q.message.length > 0, `unknown code for ${show(inputs[i])}`);
      if (show(q) !== show(b[i])) assert.unreachable(`${show(inputs[i])}: wasm ${show(q)} twin ${show(b[i])}`);
    }
    total += inputs.length;
  }
  assert.is(total, 100_000);
  assert.ok(performance.now() - t0 < 20_000, "fuzzing took longer than 20 s");
});

test("pathological inputs finish quickly: 100,000-digit mantissas and int32-edge exponents", () => {
  const long = "9".repeat(100_000);
  const inputs = [long, `0.${long}`, `${long}Ki`, `0.${long}Ki`, `${long}e-2147483648`, `1${"0".repeat(50_000)}e-2147483630`, `-${long}m`];
  const t0 = performance.now();
  const a = wasm.parseMany(inputs, { canonical: true });
  assert.ok(performance.now() - t0 < 2000);
  for (const q of a) assert.ok(q.ok);
  const b = twin.parseMany(inputs.slice(0, 4), { canonical: true });
  for (let i = 0; i < 4; i++) assert.is(show(a[i]), show(b[i]));
});

test.run();
