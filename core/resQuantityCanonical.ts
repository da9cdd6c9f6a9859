// Canonical spelling of parsed quantities (apimachinery CanonicalizeBytes), split from
// quantity.ts: digit strings in a scratch buffer (values 0-9, not ASCII) in, UTF-8 bytes out.
// Each writer returns the bytes written, or -1 when `room` is too small.

/** Adds one unit in the last place of scratch[0..n); returns the new digit count. */
export function incrementDigits(scratch: usize, n: i32): i32 {
  let i = n - 1;
  while (i >= 0) {
    const d = load<u8>(scratch + <usize>i);
    if (d < 9) { store<u8>(scratch + <usize>i, d + 1); return n; }
    store<u8>(scratch + <usize>i, 0);
    i--;
  }
  // all nines (or no digits): shift right and lead with 1
  for (let j = n; j > 0; j--) store<u8>(scratch + <usize>j, load<u8>(scratch + <usize>(j - 1)));
  store<u8>(scratch, 1);
  return n + 1;
}

export function writeZero(out: usize, room: i32): i32 {
  if (room < 1) return -1;
  store<u8>(out, 48);
  return 1;
}

/** scratch[0..n) * 10^exp -> canonical decimal spelling (trailing zeros folded, exponent %3). */
export function writeDecimal(out: usize, room: i32, scratch: usize, n: i32, exp: i64, exponentForm: bool, neg: bool): i32 {
  while (n > 1 && load<u8>(scratch + <usize>(n - 1)) == 0) { n--; exp++; }
  if (n == 1 && load<u8>(scratch) == 0) return writeZero(out, room);
  let pad: i32 = 0;
  let r = exp % 3;
  if (r < 0) r += 3;
  pad = <i32>r;
  exp -= r;
  const need: i32 = (neg ? 1 : 0) + n + pad + 22;
  if (need > room) return -1;
  let p = out;
  if (neg) { store<u8>(p, 45); p++; }
  for (let i = 0; i < n; i++) { store<u8>(p, load<u8>(scratch + <usize>i) + 48); p++; }
  for (let i = 0; i < pad; i++) { store<u8>(p, 48); p++; }
  let letter: u32 = 0;
  if (!exponentForm && exp >= -9 && exp <= 18) {
    letter = exp == 0 ? 32 : decimalLetter(<i32>(exp + 9) / 3);
  }
  if (letter != 0) {
    if (letter != 32) { store<u8>(p, <u8>letter); p++; }
  } else if (exp != 0) {
    store<u8>(p, 101); p++;
    p = writeInt(p, exp);
  }
  return <i32>(p - out);
}

/** Suffix letter by index: 0 n, 1 u, 2 m, 3 (none), 4 k, 5 M, 6 G, 7 T, 8 P, 9 E. */
function decimalLetter(i: i32): u32 {
  if (i == 0) return 110;
  if (i == 1) return 117;
  if (i == 2) return 109;
  if (i == 4) return 107;
  if (i == 5) return 77;
  if (i == 6) return 71;
  if (i == 7) return 84;
  if (i == 8) return 80;
  if (i == 9) return 69;
  return 32;
}

/** Writes a signed decimal integer; returns the end pointer. */
function writeInt(p: usize, v: i64): usize {
  let mag: u64 = v < 0 ? <u64>(-v) : <u64>v;
  if (v < 0) { store<u8>(p, 45); p++; }
  let digits = 1;
  for (let t = mag; t >= 10; t /= 10) digits++;
  for (let i = digits - 1; i >= 0; i--) { store<u8>(p + <usize>i, <u8>(mag % 10 + 48)); mag /= 10; }
  return p + <usize>digits;
}

/** Canonical spelling of a BinarySI-parsed value whole.nanos (capped, nano-rounded). */
export function writeBinary(out: usize, room: i32, scratch: usize, bInt: u64, bNanos: u64, neg: bool): i32 {
  if (bInt == 0 && bNanos == 0) return writeZero(out, room);
  if (bInt < 1024 || bNanos != 0) {
    // |q| < 1024 or not a whole number: DecimalSI spelling of int.nanos
    let n = 0;
    let t = bInt;
    let digits = 0;
    if (t == 0) digits = 0; else { for (let s = t; s > 0; s /= 10) digits++; }
    for (let i = digits - 1; i >= 0; i--) { store<u8>(scratch + <usize>i, <u8>(t % 10)); t /= 10; }
    n = digits;
    let f = bNanos;
    for (let i = 8; i >= 0; i--) { store<u8>(scratch + <usize>(n + i), <u8>(f % 10)); f /= 10; }
    n += 9;
    // strip leading zeros (value < 1)
    let lead = 0;
    while (lead < n - 1 && load<u8>(scratch + <usize>lead) == 0) lead++;
    if (lead > 0) { memory.copy(scratch, scratch + <usize>lead, <usize>(n - lead)); n -= lead; }
    return writeDecimal(out, room, scratch, n, -9, false, neg);
  }
  let m = bInt;
  let power = 0;
  while (m >= 1024 && (m & 1023) == 0) { m >>= 10; power++; }
  if (room < 24) return -1;
  let p = out;
  if (neg) { store<u8>(p, 45); p++; }
  p = writeInt(p, <i64>m);
  if (power > 0) {
    store<u8>(p, power == 1 ? 75 : <u8>decimalLetter(power + 3)); p++;
    store<u8>(p, 105); p++;
  }
  return <i32>(p - out);
}

