/**
 * API field errors in the API server's wording (`spec.containers[0].image: Required value`), so
 * users see the same messages for a static pod manifest as `kubectl apply` would print.
 */

/** The kinds of field error upstream's `field.ErrorType` distinguishes. */
export type FieldErrorType = "Required" | "Invalid" | "Duplicate" | "NotSupported" | "NotFound" | "Forbidden";

/** One invalid field: its path, the kind of problem and the full upstream-style message. */
export interface FieldError {
  field: string;
  type: FieldErrorType;
  message: string;
}

const TYPE_TEXT: Record<FieldErrorType, string> = {
  Required: "Required value",
  Invalid: "Invalid value",
  Duplicate: "Duplicate value",
  NotSupported: "Unsupported value",
  NotFound: "Not found",
  Forbidden: "Forbidden",
};

function showValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value === null || value === undefined) return "null";
  return JSON.stringify(value);
}

function make(field: string, type: FieldErrorType, value: unknown, detail: string | undefined, withValue: boolean): FieldError {
  let body = TYPE_TEXT[type];
  if (withValue) body += `: ${showValue(value)}`;
  if (detail) body += `: ${detail}`;
  return { field, type, message: `${field}: ${body}` };
}

/** A missing value (`field: Required value[: detail]`). */
export const required = (field: string, detail?: string) => make(field, "Required", undefined, detail, false);
/** A malformed value (`field: Invalid value: "x": detail`). */
export const invalid = (field: string, value: unknown, detail: string) => make(field, "Invalid", value, detail, true);
/** A value that must be unique (`field: Duplicate value: "x"`). */
export const duplicate = (field: string, value: unknown) => make(field, "Duplicate", value, undefined, true);
/** A value outside an enum (`field: Unsupported value: "x": supported values: "a", "b"`). */
export const notSupported = (field: string, value: unknown, supported: readonly string[]) =>
  make(field, "NotSupported", value, `supported values: ${supported.map((s) => JSON.stringify(s)).join(", ")}`, true);
/** A reference to something that does not exist (`field: Not found: "x"`). */
export const notFound = (field: string, value: unknown) => make(field, "NotFound", value, undefined, true);
/** A value that is not allowed here (`field: Forbidden: detail`). */
export const forbidden = (field: string, detail: string) => make(field, "Forbidden", undefined, detail, false);
