// Quantity parsing rules (apimachinery resource.ParseQuantity, Value, MilliValue, String), each
// checked on core.wasm and on the pure-TS twin.
import { readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { instantiateCore } from "../../bindings/core/load.ts";
import { QuantityError, WasmQuantityParser, type ParsedQuantity, type QuantityParser } from "../../bindings/core/quantity.ts";
import { TwinQuantityParser } from "../../bindings/core/twin/quantity.ts";

const core = await instantiateCore(readFileSync(new URL("../../dist/core.wasm", import.meta.url)));
const impls: [string, QuantityParser][] = [["wasm", new WasmQuantityParser(core)], ["twin", new TwinQuantityParser()]];

function ok(q: ParsedQuantity): Extract<ParsedQuantity, { ok: true }> {
  if (!q.ok) assert.unreachable(`expected a parsed quantity, got error ${q.code}: ${q.message}`);
  return q as Extract<ParsedQuantity, { ok: true }>;
}

/** Declares one rule: `check` runs against both implementations. */
function rule(name: string, check: (p: QuantityParser, impl: string) => void): void {
  for (const [impl, parser] of impls) test(`${name} [${impl}]`, () => check(parser, impl));
}

const one = (p: QuantityParser, s: string) => p.parseMany([s], { canonical: true })[0]!;
const value = (p: QuantityParser, s: string) => ok(one(p, s)).value;
const milli = (p: QuantityParser, s: string) => ok(one(p, s)).milli;
const canonical = (p: QuantityParser, s: string) => ok(one(p, s)).canonical;

rule("plain integers are base units", (p) => {
  assert.is(value(p, "1"), 1n);
  assert.is(milli(p, "1"), 1000n);
  assert.is(value(p, "123456"), 123456n);
});

rule("binary suffix Ki multiplies by 1024", (p) => {
  assert.is(value(p, "1Ki"), 1024n);
  assert.is(value(p, "3Mi"), 3n * 1024n ** 2n);
  assert.is(value(p, "2Gi"), 2n * 1024n ** 3n);
  assert.is(value(p, "1Ti"), 1024n ** 4n);
  assert.is(value(p, "1Pi"), 1024n ** 5n);
  assert.is(value(p, "1Ei"), 1024n ** 6n);
});

rule("decimal SI suffixes scale by powers of 1000", (p) => {
  assert.is(milli(p, "250m"), 250n);
  assert.is(value(p, "1k"), 1000n);
  assert.is(value(p, "1M"), 1_000_000n);
  assert.is(value(p, "1G"), 1_000_000_000n);
  assert.is(value(p, "1T"), 10n ** 12n);
  assert.is(value(p, "1P"), 10n ** 15n);
  assert.is(value(p, "1E"), 10n ** 18n);
  assert.is(milli(p, "1500u"), 2n);
  assert.is(milli(p, "5n"), 1n);
});

rule("decimal exponent e/E takes a signed integer", (p) => {
  assert.is(value(p, "1e3"), 1000n);
  assert.is(value(p, "1E3"), 1000n);
  assert.is(value(p, "12e+2"), 1200n);
  assert.is(milli(p, "5e-1"), 500n);
  assert.is(ok(one(p, "1e3")).format, "DecimalExponent");
});

rule("MilliValue rounds up", (p) => {
  assert.is(milli(p, "1.0001"), 1001n);
  assert.is(milli(p, "1n"), 1n);
  assert.is(milli(p, "0.1m"), 1n);
});

rule("Value rounds up: 0.5 is 1 and 1m is 1", (p) => {
  assert.is(value(p, "0.5"), 1n);
  assert.is(value(p, "1m"), 1n);
  assert.is(value(p, "1.5"), 2n);
  assert.is(value(p, "1001m"), 2n);
});

rule("negative quantities round away from zero", (p) => {
  assert.is(value(p, "-1.5"), -2n);
  assert.is(milli(p, "-1.5"), -1500n);
  assert.is(canonical(p, "-1.5"), "-1500m");
});

rule("fractions of binary suffixes are exact", (p) => {
  assert.is(value(p, "0.5Mi"), 524288n);
  assert.is(value(p, "1.5Gi"), 1610612736n);
  assert.is(milli(p, "1.1Ki"), 1126400n);
});

rule("values finer than nano round up to 1n", (p) => {
  assert.is(canonical(p, "0.9n"), "1n");
  assert.is(canonical(p, "1e-20"), "1e-9");
  assert.is(canonical(p, "0.000000000001Ki"), "2n");
});

rule("canonical form uses the largest suffix that loses nothing", (p) => {
  assert.is(canonical(p, "1.5"), "1500m");
  assert.is(canonical(p, "1.5Gi"), "1536Mi");
  assert.is(canonical(p, "1000"), "1k");
  assert.is(canonical(p, "1000000"), "1M");
  assert.is(canonical(p, "0.001"), "1m");
  assert.is(canonical(p, "1024Ki"), "1Mi");
  assert.is(canonical(p, "1.G"), "1G");
  assert.is(canonical(p, "1.1Ki"), "1126400m");
  assert.is(canonical(p, "0"), "0");
  assert.is(canonical(p, "+1"), "1");
  assert.is(canonical(p, "01"), "1");
});

rule("canonical exponent form keeps exponents a multiple of three", (p) => {
  assert.is(canonical(p, "1e4"), "10e3");
  assert.is(canonical(p, "1E3"), "1e3");
  assert.is(canonical(p, "1e0"), "1");
});

rule("small binary quantities print as DecimalSI", (p) => {
  assert.is(canonical(p, "5Ki"), "5Ki");
  assert.is(ok(one(p, "0.5Ki")).format, "BinarySI");
  assert.is(canonical(p, "0.5Ki"), "512");
  assert.is(ok(one(p, "0.0001Ki")).format, "DecimalSI");
});

rule("decimal SI beyond E falls back to exponent form", (p) => {
  assert.is(canonical(p, "1000E"), "1e21");
  assert.is(canonical(p, "123456789012345678901234567890"), "123456789012345678901234567890");
});

rule("BinarySI is capped at 2^63-1", (p) => {
  const q = ok(one(p, "8Ei"));
  assert.is(q.value, (1n << 63n) - 1n);
  assert.is(q.valueSaturated, false);
  assert.is(value(p, "-8Ei"), -((1n << 63n) - 1n));
});

rule("decimal values beyond int64 saturate Value and MilliValue and say so", (p) => {
  const big = ok(one(p, "10E"));
  assert.is(big.value, (1n << 63n) - 1n);
  assert.ok(big.valueSaturated && big.milliSaturated);
  const nine = ok(one(p, "9E"));
  assert.is(nine.value, 9n * 10n ** 18n);
  assert.is(nine.valueSaturated, false);
  assert.is(nine.milliSaturated, true);
});

rule("a digit-less mantissa parses as zero, as upstream's scanner does", (p) => {
  for (const s of [".", "-", "+", "k", "Ki", "0.", "-0"]) assert.is(value(p, s), 0n, s);
});

rule("empty string is an error", (p) => {
  const q = one(p, "");
  assert.ok(!q.ok && q.code === QuantityError.Empty);
});

rule("unknown suffixes are errors", (p) => {
  for (const s of ["1i", ".5i", "-3.01i", "0.1mi", "1K", "1ki", "1e", "1e+", "-3.01e-", "1kk", "1Mim"]) {
    const q = one(p, s);
    assert.ok(!q.ok && q.code === QuantityError.Suffix, `${s} -> ${JSON.stringify(q, (_, v) => typeof v === "bigint" ? `${v}` : v)}`);
  }
});

rule("trailing junk and whitespace are format errors", (p) => {
  for (const s of ["1 ", " 1", "1.1.M", "1+1.0M", "aoeu", "0.1am", "1e+-3", "1KiB", "1KI", "1Zi", "1,5", "0x10", "1/2", "1\u0000"]) {
    const q = one(p, s);
    assert.ok(!q.ok && q.code === QuantityError.Format, `${s} -> ${JSON.stringify(q, (_, v) => typeof v === "bigint" ? `${v}` : v)}`);
  }
});

rule("exponents beyond int64 are suffix errors; int64 exponents wrap to int32 like upstream", (p) => {
  const q = one(p, "1e9223372036854775808");
  assert.ok(!q.ok && q.code === QuantityError.Suffix);
  assert.is(value(p, "1e4294967296"), 1n);
});

rule("huge exponents neither hang nor overflow", (p) => {
  assert.is(canonical(p, "1e2147483647"), "10e2147483646");
  assert.is(value(p, "1e-2147483648"), 1n);
  assert.is(canonical(p, "1e-2147483630"), "1e-9");
});

rule("a batch keeps results in input order", (p) => {
  const r = p.parseMany(["1", "bad!", "2Ki"]);
  assert.is(ok(r[0]!).value, 1n);
  assert.is(r[1]!.ok, false);
  assert.is(ok(r[2]!).value, 2048n);
});

test("batches larger than the core's buffers are split transparently [wasm]", () => {
  const inputs = Array.from({ length: 10_000 }, (_, i) => `${i}m`);
  const r = impls[0]![1].parseMany(inputs, { canonical: true });
  assert.is(r.length, 10_000);
  assert.is(ok(r[9999]!).milli, 9999n);
  assert.is(ok(r[5000]!).canonical, "5");
});

test.run();
