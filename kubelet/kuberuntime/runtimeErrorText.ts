/**
 * CRI failures as upstream's kubelet words them in statuses and events: the whole gRPC error
 * (`err.Error()`: "rpc error: code = NotFound desc = ...") or only the runtime's message
 * (`status.Message()`), so reasons and messages read as they do on an upstream node.
 */
import { isCriError } from "../ports/cri.ts";

/** Go's `err.Error()` of a gRPC status error; other errors as their message. */
export function runtimeErrorText(err: unknown): string {
  if (isCriError(err)) return `rpc error: code = ${err.code} desc = ${err.details}`;
  return err instanceof Error ? err.message : String(err);
}

/** Go's `grpcstatus.FromError(err).Message()`: the runtime's own message without the code. */
export function runtimeErrorMessage(err: unknown): string {
  if (isCriError(err)) return err.details;
  return err instanceof Error ? err.message : String(err);
}
