/**
 * Node capacity and allocatable as the API server spells quantities (Go's canonical
 * `resource.Quantity` strings): CPU from milli-cores ("2", "1500m"), bytes in BinarySI
 * ("8148776Ki", or plain bytes when not a whole number of KiB), counts in DecimalSI ("110", "1k").
 */

const BINARY_SUFFIXES = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

/** Bytes as a BinarySI quantity: the largest power of 1024 that divides the value exactly. */
export function formatBinarySI(bytes: number): string {
  if (!Number.isSafeInteger(bytes)) throw new RangeError(`formatBinarySI: ${bytes} is not a safe integer`);
  if (bytes > -1024 && bytes < 1024) return String(bytes);
  let n = bytes;
  let i = 0;
  while (i < BINARY_SUFFIXES.length - 1 && n % 1024 === 0 && n !== 0) {
    n /= 1024;
    i++;
  }
  return `${n}${BINARY_SUFFIXES[i]}`;
}

const DECIMAL_SUFFIXES = ["", "k", "M", "G", "T", "P", "E"];

/** A whole number as a DecimalSI quantity ("110", "1k", "64"): trailing thousands become a suffix. */
export function formatCount(n: number): string {
  if (!Number.isSafeInteger(n)) throw new RangeError(`formatCount: ${n} is not a safe integer`);
  let i = 0;
  while (i < DECIMAL_SUFFIXES.length - 1 && n % 1000 === 0 && n !== 0) {
    n /= 1000;
    i++;
  }
  return `${n}${DECIMAL_SUFFIXES[i]}`;
}

/** Milli-CPU as a DecimalSI quantity: whole cores without a suffix ("2"), else milli-cores ("1500m"). */
export function formatMilliCPU(milli: number): string {
  if (!Number.isSafeInteger(milli)) throw new RangeError(`formatMilliCPU: ${milli} is not a safe integer`);
  return milli % 1000 === 0 ? formatCount(milli / 1000) : `${milli}m`;
}
