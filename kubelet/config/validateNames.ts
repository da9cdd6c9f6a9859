/**
 * Syntax checks the API server applies to names, quantities and the like, returning upstream's
 * explanation texts (empty list when valid). Pure and shared by the pod and config validators.
 */

const DNS1123_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_SUBDOMAIN = `${DNS1123_LABEL}(\\.${DNS1123_LABEL})*`;
const LABEL_RE = new RegExp(`^${DNS1123_LABEL}$`);
const SUBDOMAIN_RE = new RegExp(`^${DNS1123_SUBDOMAIN}$`);
const ENV_VAR_RE = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const IANA_SVC_NAME_RE = /^[-a-z0-9]+$/;

// Upstream's RegexError wording, including its double space before "or".
const regexError = (msg: string, regex: string, examples: string[]) =>
  `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(" or ")}regex used for validation is '${regex}')`;

/** Problems with `value` as a DNS-1123 label (container, volume and namespace names). */
export function dns1123LabelErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push("must be no more than 63 characters");
  if (!LABEL_RE.test(value)) {
    errs.push(regexError("a DNS-1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character", DNS1123_LABEL, ["my-name", "123-abc"]));
  }
  return errs;
}

/** Problems with `value` as a DNS-1123 subdomain (pod names). */
export function dns1123SubdomainErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push("must be no more than 253 characters");
  if (!SUBDOMAIN_RE.test(value)) {
    errs.push(regexError("a DNS-1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character", DNS1123_SUBDOMAIN, ["example.com"]));
  }
  return errs;
}

/** Problems with `value` as an environment variable name. */
export function envVarNameErrors(value: string): string[] {
  if (ENV_VAR_RE.test(value)) return [];
  return [regexError("a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit", "[-._a-zA-Z][-._a-zA-Z0-9]*", ["my.env-name", "MY_ENV.NAME", "MyEnvName1"])];
}

/** Problems with `value` as a named port (IANA service name). */
export function portNameErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 15) errs.push("must be no more than 15 characters");
  if (!IANA_SVC_NAME_RE.test(value)) errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  if (value.includes("--")) errs.push("must not contain consecutive hyphens");
  if (!/[a-z]/.test(value)) errs.push("must contain at least one letter (a-z)");
  if (value.startsWith("-") || value.endsWith("-")) errs.push("must not begin or end with a hyphen");
  return errs;
}

/** Problems with `value` as a port number. */
export function portNumberErrors(value: unknown): string[] {
  return typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 65535 ? [] : ["must be between 1 and 65535, inclusive"];
}

/** The grammar upstream quotes when a quantity does not parse. */
export const QUANTITY_REGEX_TEXT = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$";

// The strict grammar of resource.Quantity: a signed decimal, then a binary-SI, decimal-SI or exponent suffix.
const QUANTITY_RE = /^[+-]?(\d+\.?\d*|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

/** Problems with `value` as a resource quantity ("100m", "64Mi", 1.5); only syntax, the core parses values. */
export function quantityErrors(value: unknown): string[] {
  const text = typeof value === "number" ? String(value) : value;
  if (typeof text !== "string" || !QUANTITY_RE.test(text)) return [`quantities must match the regular expression '${QUANTITY_REGEX_TEXT}'`];
  if (text.startsWith("-") && !/^-[0.]*([a-zA-Z].*)?$/.test(text)) return ["must be greater than or equal to 0"];
  return [];
}
