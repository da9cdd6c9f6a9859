// Kubernetes resource.Quantity parsing: UTF-8 bytes in a shared buffer -> i64 base units and
// milli-units, the parsed format, and (optionally) the canonical spelling. Batched; see ABI.md
// "Resource accounting". Semantics follow apimachinery's ParseQuantity/CanonicalizeBytes:
// the exact decimal value is rounded away from zero to nano, BinarySI is capped at 2^63-1,
// Value()/MilliValue() round away from zero and saturate at the i64 rails.

/** Most items one parseQuantities call takes. */
export const QTY_MAX_ITEMS: i32 = 4096;
/** Bytes of the shared input buffer. */
export const QTY_INPUT_BYTES: i32 = 262144;
/** Bytes of the canonical-output buffer. */
export const QTY_OUTPUT_BYTES: i32 = 524288;

/** Item parsed; non-negative codes are flags: bit 0 milli saturated, bit 1 value saturated. */
export const QTY_OK: i32 = 0;
/** Empty string. */
export const QTY_ERR_EMPTY: i32 = -1;
/** Not <sign><digits>[.<digits>]<suffix>: stray characters, junk after the exponent. */
export const QTY_ERR_FORMAT: i32 = -2;
/** Suffix is not one of n u m "" k M G T P E Ki Mi Gi Ti Pi Ei or e/E<int64>. */
export const QTY_ERR_SUFFIX: i32 = -3;
/** offset/length of the item fall outside the input buffer. */
export const QTY_ERR_BOUNDS: i32 = -4;
/** The canonical-output buffer is full (only when canonical output was asked for). */
export const QTY_ERR_OUTPUT_FULL: i32 = -5;
/** Call-level: count is negative or above QTY_MAX_ITEMS. */
export const QTY_ERR_COUNT: i32 = -6;

import { incrementDigits, writeBinary, writeDecimal, writeZero } from "./resQuantityCanonical";

const FMT_DECIMAL_SI: i32 = 0;
const FMT_BINARY_SI: i32 = 1;
const FMT_DECIMAL_EXPONENT: i32 = 2;

const I64_MAX_U: u64 = 0x7fffffffffffffff;

const inputBuf: usize = heap.alloc(<usize>QTY_INPUT_BYTES);
const itemsBuf: usize = heap.alloc(<usize>QTY_MAX_ITEMS * 8);
const valuesBuf: usize = heap.alloc(<usize>QTY_MAX_ITEMS * 8);
const millisBuf: usize = heap.alloc(<usize>QTY_MAX_ITEMS * 8);
const codesBuf: usize = heap.alloc(<usize>QTY_MAX_ITEMS * 4);
const formatsBuf: usize = heap.alloc(<usize>QTY_MAX_ITEMS * 4);
const outItemsBuf: usize = heap.alloc(<usize>QTY_MAX_ITEMS * 8);
const outputBuf: usize = heap.alloc(<usize>QTY_OUTPUT_BYTES);
const scratch: usize = heap.alloc(<usize>QTY_INPUT_BYTES + 64);

/** Input bytes (UTF-8 quantity strings, any layout). */
export function quantityInputPtr(): usize { return inputBuf; }
/** Per item: i32 offset, i32 length into the input buffer. */
export function quantityItemsPtr(): usize { return itemsBuf; }
/** Per item: i64 Value() (base units, rounded away from zero, saturating). */
export function quantityValuesPtr(): usize { return valuesBuf; }
/** Per item: i64 MilliValue() (rounded away from zero, saturating). */
export function quantityMillisPtr(): usize { return millisBuf; }
/** Per item: i32 status code (QTY_OK, flags, or a negative QTY_ERR_*). */
export function quantityCodesPtr(): usize { return codesBuf; }
/** Per item: i32 format, 0 DecimalSI, 1 BinarySI, 2 DecimalExponent. */
export function quantityFormatsPtr(): usize { return formatsBuf; }
/** Per item: i32 offset, i32 length of the canonical spelling in the output buffer. */
export function quantityOutItemsPtr(): usize { return outItemsBuf; }
/** Canonical spellings, written back to back. */
export function quantityOutputPtr(): usize { return outputBuf; }

// Parse state of the current item (module globals: no allocation per item).
let gNeg = false;
let gIntStart: usize = 0; // first significant digit of the integer part
let gIntEnd: usize = 0;
let gFracStart: usize = 0;
let gFracEnd: usize = 0;
let gFormat: i32 = 0;
let gExp: i64 = 0; // decimal exponent of the suffix, or binary exponent for BinarySI
let gBinary = false; // the suffix was binary (the format may since have been demoted to DecimalSI)
let gOutLen: i32 = 0;

@inline function isDigit(c: u32): bool { return c - 48 < 10; }

function isSuffixChar(c: u32): bool {
  // e E i n u m k K M G T P
  return c == 101 || c == 69 || c == 105 || c == 110 || c == 117 || c == 109 ||
    c == 107 || c == 75 || c == 77 || c == 71 || c == 84 || c == 80;
}

function decimalLetterExp(c: u32): i32 {
  if (c == 110) return -9; // n
  if (c == 117) return -6; // u
  if (c == 109) return -3; // m
  if (c == 107) return 3; // k
  if (c == 77) return 6; // M
  if (c == 71) return 9; // G
  if (c == 84) return 12; // T
  if (c == 80) return 15; // P
  if (c == 69) return 18; // E
  return 0x7fffffff;
}

function binaryLetterExp(c: u32): i32 {
  if (c == 75) return 10; // Ki
  if (c == 77) return 20;
  if (c == 71) return 30;
  if (c == 84) return 40;
  if (c == 80) return 50;
  if (c == 69) return 60;
  return 0;
}

/** Interprets suffix bytes [p, end): sets gFormat/gExp, returns false if unknown. */
function interpretSuffix(p: usize, end: usize): bool {
  const n = end - p;
  if (n == 0) { gFormat = FMT_DECIMAL_SI; gExp = 0; return true; }
  const c0 = <u32>load<u8>(p);
  if (n == 1) {
    const e = decimalLetterExp(c0);
    if (e == 0x7fffffff) return false;
    gFormat = FMT_DECIMAL_SI; gExp = e; return true;
  }
  if (n == 2 && load<u8>(p + 1) == 105) {
    const b = binaryLetterExp(c0);
    if (b == 0) return false;
    gFormat = FMT_BINARY_SI; gExp = b; gBinary = true; return true;
  }
  if (c0 != 101 && c0 != 69) return false;
  // e/E followed by a Go strconv.ParseInt(base 10, 64 bit) integer, then truncated to int32.
  let q = p + 1;
  let neg = false;
  const s = <u32>load<u8>(q);
  if (s == 43 || s == 45) { neg = s == 45; q++; }
  if (q >= end) return false;
  let mag: u64 = 0;
  const limit: u64 = neg ? I64_MAX_U + 1 : I64_MAX_U;
  for (; q < end; q++) {
    const d = <u32>load<u8>(q) - 48;
    if (d >= 10) return false;
    if (mag > (limit - d) / 10) return false;
    mag = mag * 10 + d;
  }
  const v: i64 = neg ? -<i64>mag : <i64>mag;
  gFormat = FMT_DECIMAL_EXPONENT;
  gExp = <i64><i32>v;
  return true;
}

/** Scans [p, end) with upstream's grammar; returns 0 or a negative code. */
function scan(p: usize, end: usize): i32 {
  if (p == end) return QTY_ERR_EMPTY;
  gNeg = false;
  gBinary = false;
  let c = <u32>load<u8>(p);
  if (c == 45) { gNeg = true; p++; } else if (c == 43) { p++; }
  while (p < end && load<u8>(p) == 48) p++;
  gIntStart = p;
  while (p < end && isDigit(<u32>load<u8>(p))) p++;
  gIntEnd = p;
  gFracStart = p; gFracEnd = p;
  gFormat = FMT_DECIMAL_SI; gExp = 0;
  if (p >= end) return 0;
  if (load<u8>(p) == 46) {
    p++;
    gFracStart = p;
    while (p < end && isDigit(<u32>load<u8>(p))) p++;
    gFracEnd = p;
    if (p >= end) return 0;
  }
  const suffixStart = p;
  while (p < end && isSuffixChar(<u32>load<u8>(p))) p++;
  if (p < end) {
    c = <u32>load<u8>(p);
    if (c == 43 || c == 45) p++;
    while (p < end && isDigit(<u32>load<u8>(p))) p++;
    if (p < end) return QTY_ERR_FORMAT;
  }
  return interpretSuffix(suffixStart, end) ? 0 : QTY_ERR_SUFFIX;
}

/** Digit i (0-based) of the mantissa: integer digits then fraction digits. */
@inline function digitAt(i: i64, intLen: i64): u32 {
  return i < intLen ? <u32>load<u8>(gIntStart + <usize>i) - 48 : <u32>load<u8>(gFracStart + <usize>(i - intLen)) - 48;
}

// Results of the value computation for the current item.
let rMag: u64 = 0; // magnitude of the rounded integer result
let rSat = false;

/** ceil-away(|mantissa| * 10^k) into rMag/rSat, with the mantissa's first `lead` digits zero. */
function scaleDecimal(intLen: i64, total: i64, first: i64, k: i64, limit: u64): void {
  rMag = 0; rSat = false;
  const n = total - first; // significant digits
  if (n <= 0) return;
  if (n + k > 20) { rSat = true; return; }
  const keep = n + k; // digits forming the integer part
  let mag: u64 = 0;
  let i: i64 = 0;
  for (; i < keep && i < n; i++) {
    const d = <u64>digitAt(first + i, intLen);
    if (mag > (limit - d) / 10) { rSat = true; return; }
    mag = mag * 10 + d;
  }
  for (let z = n; z < keep; z++) {
    if (mag > limit / 10) { rSat = true; return; }
    mag *= 10;
  }
  let frac = false;
  for (let j = keep < 0 ? <i64>0 : keep; j < n; j++) {
    if (digitAt(first + j, intLen) != 0) { frac = true; break; }
  }
  if (frac) {
    if (mag >= limit) { rSat = true; return; }
    mag++;
  }
  rMag = mag;
}

// Binary results: integer part and nano fraction after nano rounding and the 2^63-1 cap.
let bInt: u64 = 0;
let bNanos: u64 = 0;

function computeBinary(): void {
  const shift = <u64>gExp;
  let whole: u64 = 0;
  let over = false;
  for (let p = gIntStart; p < gIntEnd; p++) {
    const d = <u64>(load<u8>(p) - 48);
    if (whole > (I64_MAX_U - d) / 10) { over = true; break; }
    whole = whole * 10 + d;
  }
  if (!over && whole != 0 && whole > (I64_MAX_U >> shift)) over = true;
  // Fraction digits times 2^shift, right to left: the carry is the integer part of the product.
  let carry: u64 = 0;
  let nanos: u64 = 0;
  let sticky = false;
  const fracLen = <i64>(gFracEnd - gFracStart);
  for (let i = fracLen - 1; i >= 0; i--) {
    const t = (<u64>(load<u8>(gFracStart + <usize>i) - 48) << shift) + carry;
    const digit = t % 10;
    carry = t / 10;
    if (i >= 9) { if (digit != 0) sticky = true; }
    else nanos += digit * <u64>pow10(8 - <i32>i);
  }
  if (sticky) nanos++;
  if (nanos == 1000000000) { nanos = 0; carry++; }
  let total: u64 = 0;
  if (!over) {
    total = (whole << shift);
    if (total > I64_MAX_U - carry) over = true; else total += carry;
  }
  if (over || (total == I64_MAX_U && nanos > 0)) { total = I64_MAX_U; nanos = 0; }
  bInt = total; bNanos = nanos;
}

function pow10(k: i32): i64 {
  let r: i64 = 1;
  for (let i = 0; i < k; i++) r *= 10;
  return r;
}

@inline function signed(mag: u64, neg: bool): i64 { return neg ? -<i64>mag : <i64>mag; }

/** Parses item [p, end): writes value/milli/format and returns the item code. */
function evaluate(p: usize, end: usize, index: i32): i32 {
  const code = scan(p, end);
  const slot = <usize>index;
  if (code < 0) {
    store<i64>(valuesBuf + slot * 8, 0);
    store<i64>(millisBuf + slot * 8, 0);
    store<i32>(formatsBuf + slot * 4, 0);
    return code;
  }
  let flags = 0;
  const limit: u64 = gNeg ? I64_MAX_U + 1 : I64_MAX_U;
  let value: u64 = 0;
  let milli: u64 = 0;
  if (gFormat == FMT_BINARY_SI) {
    computeBinary();
    value = bInt + (bNanos > 0 ? 1 : 0);
    const up = (bNanos + 999999) / 1000000;
    if (bInt > (limit - up) / 1000) { milli = limit; flags |= 1; }
    else milli = bInt * 1000 + up;
    if (bInt == 0 && bNanos > 0) gFormat = FMT_DECIMAL_SI;
  } else {
    const intLen = <i64>(gIntEnd - gIntStart);
    const total = intLen + <i64>(gFracEnd - gFracStart);
    let first: i64 = 0;
    while (first < total && digitAt(first, intLen) == 0) first++;
    // value = (significant digits as an integer) * 10^e10
    const e10 = gExp - <i64>(gFracEnd - gFracStart);
    scaleDecimal(intLen, total, first, e10, limit);
    value = rSat ? limit : rMag; if (rSat) flags |= 2;
    scaleDecimal(intLen, total, first, e10 + 3, limit);
    milli = rSat ? limit : rMag; if (rSat) flags |= 1;
  }
  store<i64>(valuesBuf + slot * 8, signed(value, gNeg));
  store<i64>(millisBuf + slot * 8, signed(milli, gNeg));
  store<i32>(formatsBuf + slot * 4, gFormat);
  return flags;
}

/**
 * Parses `count` quantities named by (offset, length) pairs in the items buffer. Writes values,
 * millis, formats and codes; when `canonical` is non-zero also the canonical spellings.
 * Returns how many items failed (negative code), or QTY_ERR_COUNT.
 */
export function parseQuantities(count: i32, canonical: i32): i32 {
  if (count < 0 || count > QTY_MAX_ITEMS) return QTY_ERR_COUNT;
  let failed = 0;
  let outPos: i32 = 0;
  for (let i = 0; i < count; i++) {
    const off = load<i32>(itemsBuf + <usize>i * 8);
    const len = load<i32>(itemsBuf + <usize>i * 8 + 4);
    let code: i32;
    if (off < 0 || len < 0 || off > QTY_INPUT_BYTES - len) {
      code = QTY_ERR_BOUNDS;
      store<i64>(valuesBuf + <usize>i * 8, 0);
      store<i64>(millisBuf + <usize>i * 8, 0);
      store<i32>(formatsBuf + <usize>i * 4, 0);
    } else {
      code = evaluate(inputBuf + <usize>off, inputBuf + <usize>(off + len), i);
    }
    if (canonical != 0) {
      let written = 0;
      if (code >= 0) {
        written = formatCanonical(outputBuf + <usize>outPos, QTY_OUTPUT_BYTES - outPos);
        if (written < 0) { code = QTY_ERR_OUTPUT_FULL; written = 0; }
      }
      store<i32>(outItemsBuf + <usize>i * 8, outPos);
      store<i32>(outItemsBuf + <usize>i * 8 + 4, written);
      outPos += written;
    }
    store<i32>(codesBuf + <usize>i * 4, code);
    if (code < 0) failed++;
  }
  gOutLen = outPos;
  return failed;
}

// ---- canonical form (writers in resQuantityCanonical.ts) ------------------------------------

/** Writes the canonical spelling of the item just evaluated; returns its length or -1. */
function formatCanonical(out: usize, room: i32): i32 {
  // Build the nano-rounded value as significant digits in scratch with a decimal exponent.
  let n: i32 = 0;
  let exp: i64 = 0;
  if (gBinary) return writeBinary(out, room, scratch, bInt, bNanos, gNeg);
  const intLen = <i64>(gIntEnd - gIntStart);
  const total = intLen + <i64>(gFracEnd - gFracStart);
  let first: i64 = 0;
  while (first < total && digitAt(first, intLen) == 0) first++;
  if (first == total) return writeZero(out, room);
  exp = gExp - <i64>(gFracEnd - gFracStart);
  const sig = total - first;
  if (exp < -9) {
    // Round away from zero to nano: keep the digits above 10^-9, bump if any dropped digit is set.
    const keep = sig + exp + 9;
    let dropped = false;
    const start = keep < 0 ? <i64>0 : keep;
    for (let j = start; j < sig; j++) if (digitAt(first + j, intLen) != 0) { dropped = true; break; }
    for (let j: i64 = 0; j < keep; j++) store<u8>(scratch + <usize>j, <u8>digitAt(first + j, intLen));
    n = keep > 0 ? <i32>keep : 0;
    exp = -9;
    if (dropped) n = incrementDigits(scratch, n);
  } else {
    for (let j: i64 = 0; j < sig; j++) store<u8>(scratch + <usize>j, <u8>digitAt(first + j, intLen));
    n = <i32>sig;
  }
  return writeDecimal(out, room, scratch, n, exp, gFormat == FMT_DECIMAL_EXPONENT, gNeg);
}

/** Total bytes written to the output buffer by the last parseQuantities call. */
export function quantityOutputLength(): i32 { return gOutLen; }
