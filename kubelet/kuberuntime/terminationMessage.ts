/**
 * The termination message of an exited container, as upstream's kuberuntime reads it when it turns a
 * CRI ContainerStatus into the kubelet's: the tail (at most 4 KiB) of the host file mounted at the
 * container's terminationMessagePath; with policy FallbackToLogsOnError and a failed container whose
 * file is empty or missing, the last 80 lines (at most 2 KiB) of its log instead. The message is
 * appended to the runtime's own message ("<runtime message>: <termination message>").
 * Reads go through injected functions, so this stays pure and testable.
 */
import type { Mount } from "../../bindings/cri/types.ts";

/** kubecontainer.MaxContainerTerminationMessageLength: bytes kept from the message file (its tail). */
export const MAX_TERMINATION_MESSAGE_BYTES = 4 * 1024;
/** kubecontainer.MaxContainerTerminationMessageLogLines / ...LogLength: the log fallback's bounds. */
export const MAX_TERMINATION_MESSAGE_LOG_LINES = 80;
export const MAX_TERMINATION_MESSAGE_LOG_BYTES = 2 * 1024;

/** What the runtime says of the exited container. */
export interface ExitedContainer {
  exitCode: number;
  /** The runtime's reason ("Completed", "Error", "OOMKilled", "ContainerCannotRun", ...). */
  reason: string;
  /** The runtime's message; the termination message is appended to it. */
  message: string;
  mounts: readonly Pick<Mount, "containerPath" | "hostPath">[];
  logPath: string;
  /** From the container's annotations (labels.ts containerInfoFromAnnotations). */
  terminationMessagePath: string;
  terminationMessagePolicy: string;
}

/** The reads it needs. */
export interface TerminationMessageReaders {
  /** The last `maxBytes` bytes of a host file; `undefined` when it does not exist; rejects on other errors. */
  readTail(path: string, maxBytes: number): Promise<Uint8Array | undefined>;
  /** The last `lines` log lines of a CRI log file, without timestamps, at most `maxBytes` (the end kept). */
  logTail(path: string, lines: number, maxBytes: number): Promise<string>;
}

const decoder = new TextDecoder();

/** The container's message with its termination message appended; never throws (errors become the message, as upstream). */
export async function terminationMessage(c: ExitedContainer, read: TerminationMessageReaders): Promise<string> {
  // A container that could not even be started has no logs to fall back on.
  let fallbackToLogs = c.terminationMessagePolicy === "FallbackToLogsOnError" && c.exitCode !== 0 && c.reason !== "ContainerCannotRun";
  let message = "";
  const mount = c.terminationMessagePath ? c.mounts.find((m) => m.containerPath === c.terminationMessagePath) : undefined;
  if (mount) {
    try {
      const data = await read.readTail(mount.hostPath, MAX_TERMINATION_MESSAGE_BYTES);
      if (data !== undefined) {
        message = decoder.decode(data);
        fallbackToLogs = fallbackToLogs && data.length === 0;
      }
    } catch (err) {
      message = `Error on reading termination log ${mount.hostPath}: ${err instanceof Error ? err.message : String(err)}`;
      fallbackToLogs = false;
    }
  }
  if (fallbackToLogs) {
    try {
      message = await read.logTail(c.logPath, MAX_TERMINATION_MESSAGE_LOG_LINES, MAX_TERMINATION_MESSAGE_LOG_BYTES);
    } catch (err) {
      message = `Error on reading termination message from logs: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  if (message === "") return c.message;
  return c.message ? `${c.message}: ${message}` : message;
}
