// Differential property tests: core.wasm's quantity parser against the pure-TS twin.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { instantiateCore } from "../../bindings/core/load.ts";
import { WasmQuantityParser } from "../../bindings/core/quantity.ts";
import { TwinQuantityParser } from "../../bindings/core/twin/quantity.ts";

const core = await instantiateCore(readFileSync(new URL("../../dist/core.wasm", import.meta.url)));
const wasm = new WasmQuantityParser(core);
const twin = new TwinQuantityParser();
const show = (v: unknown) => JSON.stringify(v, (_, x) => (typeof x === "bigint" ? `${x}n` : x));

const digits = (max: number) => fc.string({ unit: fc.constantFrom(..."0123456789"), maxLength: max });
const suffix = fc.oneof(
  fc.constantFrom("", "n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"),
  fc.tuple(fc.constantFrom("e", "E"), fc.constantFrom("", "+", "-"), fc.integer({ min: 0, max: 40 })).map(([e, s, n]) => `${e}${s}${n}`),
  fc.tuple(fc.constantFrom("e", "E"), fc.bigInt({ min: -(1n << 64n), max: 1n << 64n })).map(([e, n]) => `${e}${n}`),
);
/** Well-formed quantities (and near misses): sign, digits, optional fraction, suffix. */
const quantity = fc.tuple(fc.constantFrom("", "", "+", "-"), digits(22), fc.option(digits(14)), suffix)
  .map(([s, i, f, x]) => `${s}${i}${f === null ? "" : `.${f}`}${x}`);
/** Arbitrary strings over the grammar's alphabet. */
const noise = fc.string({ unit: fc.constantFrom(..."0123456789.+-eEinumkKMGTP i"), maxLength: 12 });

function agree(inputs: string[]): void {
  const a = wasm.parseMany(inputs, { canonical: true });
  const b = twin.parseMany(inputs, { canonical: true });
  for (let i = 0; i < inputs.length; i++) {
    if (show(a[i]) !== show(b[i])) assert.unreachable(`${show(inputs[i])}: wasm ${show(a[i])} twin ${show(b[i])}`);
  }
}

let cases = 0;
test("wasm and twin agree on value, milli, format, errors and canonical form of quantities", () => {
  fc.assert(fc.property(fc.array(fc.oneof(quantity, quantity, noise), { minLength: 50, maxLength: 100 }), (inputs) => {
    cases += inputs.length;
    agree(inputs);
  }), { numRuns: 160, seed: 20261122 });
});

test("wasm and twin agree on the 2^63 boundaries", () => {
  const edges: string[] = [];
  for (const base of ["9223372036854775807", "9223372036854775808", "9223372036854775806", "9223372036854775", "9223372036854776", "18446744073709551616"]) {
    for (const s of ["", "-"]) for (const x of ["", "m", "n", "k", "Ki", "Ei", "e-3", "e3"]) edges.push(`${s}${base}${x}`, `${s}0.${base}${x}`, `${s}${base}.5${x}`);
  }
  cases += edges.length;
  agree(edges);
});

test("at least 10,000 random cases were compared", () => {
  assert.ok(cases >= 10_000, `only ${cases} cases`);
});

test.run();
