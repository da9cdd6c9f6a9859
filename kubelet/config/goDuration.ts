/**
 * Go duration strings ("1m30s", "10s", "500ms", "1.5h"), as upstream's `metav1.Duration` fields in a
 * KubeletConfiguration are written, converted to milliseconds.
 */

/** A duration that is not a valid Go duration string; the message quotes it and shows the expected form. */
export class DurationError extends Error {}

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  "μs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const EXPECTED = 'expected a duration such as "10s", "1m30s" or "500ms" (units ns, us, ms, s, m, h)';

/** Parses a Go duration string (`time.ParseDuration` grammar) into milliseconds; throws DurationError. */
export function parseGoDuration(text: string): number {
  const bad = () => new DurationError(`invalid duration "${text}": ${EXPECTED}`);
  let rest = text;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    if (rest[0] === "-") sign = -1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") throw bad();
  let total = 0;
  const part = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/;
  while (rest !== "") {
    const match = part.exec(rest);
    if (!match) throw bad();
    const [whole, int = "", frac] = match;
    if (int === "" && (frac === undefined || frac === "")) throw bad();
    const value = Number(`${int || "0"}.${frac || "0"}`);
    total += value * UNIT_MS[match[3]!]!;
    rest = rest.slice(whole.length);
  }
  return sign * total;
}

/** Formats milliseconds the way Go prints a `time.Duration` ("1m30s", "500ms", "0s"), for messages and round trips. */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return "0s";
  const sign = ms < 0 ? "-" : "";
  let rest = Math.abs(ms);
  if (rest < 1000) return `${sign}${rest}ms`;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = rest / 1000;
  return `${sign}${h ? `${h}h` : ""}${h || m ? `${m}m` : ""}${s}s`;
}
