/**
 * The runtime version as the node reports it (upstream newRuntimeVersion + Version.String): a
 * semantic version is kept whole ("1.6.20-rc.1+abc"); anything else is read as a generic version
 * and only its numeric components are printed ("1.6.20~ds1" -> "1.6.20").
 */

const VERSION_RE = /^\s*v?([0-9]+(?:\.[0-9]+)*)(.*)$/s;
const EXTRA_RE = /^(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?\s*$/;

function parse(text: string, semver: boolean): string | undefined {
  const m = VERSION_RE.exec(text);
  if (!m) return undefined;
  const comps = m[1]!.split(".");
  if (semver ? comps.length !== 3 : comps.length < 2) return undefined;
  if (comps.some((c, i) => (i === 0 || semver) && c.startsWith("0") && c !== "0")) return undefined;
  let out = comps.map((c) => BigInt(c).toString()).join(".");
  if (semver && m[2] !== "") {
    const e = EXTRA_RE.exec(m[2]!);
    if (!e) return undefined;
    const [pre, build] = [e[1] ?? "", e[2] ?? ""];
    if (pre.split(".").some((c) => /^\d+$/.test(c) && c.startsWith("0") && c !== "0")) return undefined;
    if (pre) out += `-${pre}`;
    if (build) out += `+${build}`;
  }
  return out;
}

/** The version string upstream prints for a CRI `runtimeVersion`; undefined when it does not parse. */
export function formatRuntimeVersion(runtimeVersion: string): string | undefined {
  return parse(runtimeVersion, true) ?? parse(runtimeVersion, false);
}
