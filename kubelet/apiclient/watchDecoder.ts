/**
 * Decodes the API server's watch stream: JSON watch events, one per line (the apiserver frames each
 * `{"type":...,"object":...}` with a newline), arriving in chunks that may split an event, a line
 * break or a multi-byte UTF-8 character anywhere. Host-agnostic: hosts feed it their stream's bytes.
 */
import type { WatchEvent } from "../ports/api.ts";

const EVENT_TYPES = new Set(["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"]);

/** A watch stream that is not a sequence of watch events. */
export class WatchDecodeError extends Error {
  override readonly name = "WatchDecodeError";
}

/** Incremental decoder of one watch stream; feed chunks with `push`, then call `end` once. */
export class WatchDecoder<T = unknown> {
  private readonly utf8 = new TextDecoder("utf-8");
  private buf = "";

  /** `what` names the stream in errors (e.g. "watch /api/v1/pods"). */
  constructor(private readonly what: string) {}

  /** Adds a chunk; returns the events it completed, in order. Throws WatchDecodeError on a malformed event. */
  push(chunk: Uint8Array | string): WatchEvent<T>[] {
    this.buf += typeof chunk === "string" ? chunk : this.utf8.decode(chunk, { stream: true });
    const out: WatchEvent<T>[] = [];
    let nl: number;
    while ((nl = this.buf.indexOf("\n")) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (line.trim() !== "") out.push(this.decode(line));
    }
    return out;
  }

  /** Ends the stream: returns a last event that had no trailing newline; throws if a partial event is left. */
  end(): WatchEvent<T>[] {
    this.buf += this.utf8.decode();
    const rest = this.buf;
    this.buf = "";
    return rest.trim() === "" ? [] : [this.decode(rest)];
  }

  private decode(line: string): WatchEvent<T> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new WatchDecodeError(`${this.what}: malformed watch event (not JSON): ${line.slice(0, 200)}`);
    }
    const e = parsed as { type?: unknown; object?: unknown };
    if (!e || typeof e !== "object" || typeof e.type !== "string" || !EVENT_TYPES.has(e.type) || !e.object || typeof e.object !== "object") {
      throw new WatchDecodeError(`${this.what}: malformed watch event (expected {type, object}): ${line.slice(0, 200)}`);
    }
    return { type: e.type as WatchEvent<T>["type"], object: e.object as T };
  }
}
