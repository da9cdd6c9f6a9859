/**
 * Container logs in the CRI log format (`<RFC3339Nano> <stdout|stderr> <P|F> <text>` per line, as
 * containerd writes them): decoding with partial lines joined, and the selection upstream's
 * `kubectl logs` options make (tailLines, sinceSeconds/sinceTime, limitBytes, timestamps), plus
 * following a file until its container stops. Reads go through the `Fs` port only.
 */
import type { Clock } from "../ports/clock.ts";
import type { Fs } from "../ports/fs.ts";

/** One log message: a full line (partial `P` pieces joined), its first piece's time and its stream. */
export interface LogMessage {
  /** The runtime's timestamp text (RFC3339Nano), as written. */
  timestamp: string;
  /** The same instant in nanoseconds since the Unix epoch (for since filters). */
  timeNs: bigint;
  stream: "stdout" | "stderr";
  /** The text, with the newline a full line ends with. */
  content: Uint8Array;
}

/** What to read, as upstream's PodLogOptions reach the runtime. */
export interface LogReadOptions {
  /** Only the last N messages; undefined for all. */
  tailLines?: number;
  /** Only messages at or after this instant (ns since the epoch). */
  sinceNs?: bigint;
  /** Stop after this many bytes of output (a line may be cut). */
  limitBytes?: number;
  /** Prefix each message with its RFC3339Nano timestamp and a space. */
  timestamps?: boolean;
}

const NL = 0x0a;
const SPACE = 0x20;
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Nanoseconds since the epoch of an RFC3339 / RFC3339Nano time, or undefined when it is not one. */
export function parseRfc3339Nano(text: string): bigint | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? "").padEnd(9, "0"));
}

/** Go's RFC3339Nano output: the fraction without trailing zeros (none at all when it is zero). */
function canonicalTimestamp(text: string): string {
  return text.replace(/\.(\d*?)0+(Z|[+-])/, (_, digits: string, zone: string) => (digits ? `.${digits}${zone}` : zone));
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Decodes CRI log bytes pushed in arbitrary chunks into messages. A `P` (partial) piece waits for
 * the rest of its line on the same stream; a malformed line is skipped, as upstream skips it.
 */
export class CriLogDecoder {
  private rest: Uint8Array[] = [];
  private readonly partial = new Map<"stdout" | "stderr", { first: { timestamp: string; timeNs: bigint }; parts: Uint8Array[] }>();
  /** Lines that were not in the CRI format. */
  malformed = 0;

  /** The messages completed by `bytes`. */
  push(bytes: Uint8Array): LogMessage[] {
    const out: LogMessage[] = [];
    let start = 0;
    for (let i = bytes.indexOf(NL); i >= 0; i = bytes.indexOf(NL, start)) {
      const line = this.rest.length > 0 ? concat([...this.rest, bytes.subarray(start, i)]) : bytes.subarray(start, i);
      this.rest = [];
      start = i + 1;
      const msg = this.line(line);
      if (msg) out.push(msg);
    }
    if (start < bytes.length) this.rest.push(bytes.slice(start));
    return out;
  }

  private line(line: Uint8Array): LogMessage | undefined {
    const s1 = line.indexOf(SPACE);
    const s2 = s1 < 0 ? -1 : line.indexOf(SPACE, s1 + 1);
    if (s2 < 0) return this.bad();
    const timestamp = decoder.decode(line.subarray(0, s1));
    const stream = decoder.decode(line.subarray(s1 + 1, s2));
    const timeNs = parseRfc3339Nano(timestamp);
    if (timeNs === undefined || (stream !== "stdout" && stream !== "stderr")) return this.bad();
    // The tag field may carry more tags after ':' (upstream splits on ':' and reads the first).
    const s3 = line.indexOf(SPACE, s2 + 1);
    const tags = decoder.decode(line.subarray(s2 + 1, s3 < 0 ? line.length : s3)).split(":");
    const content = s3 < 0 ? new Uint8Array(0) : line.subarray(s3 + 1);
    const pending = this.partial.get(stream);
    if (tags[0] === "P") {
      if (pending) pending.parts.push(content.slice());
      else this.partial.set(stream, { first: { timestamp, timeNs }, parts: [content.slice()] });
      return undefined;
    }
    if (tags[0] !== "F") return this.bad();
    this.partial.delete(stream);
    const first = pending?.first ?? { timestamp, timeNs };
    return { ...first, stream, content: concat([...(pending?.parts ?? []), content, Uint8Array.of(NL)]) };
  }

  private bad(): undefined {
    this.malformed++;
    return undefined;
  }
}

/** Every complete message in `bytes` (a whole CRI log file). */
export function parseCriLog(bytes: Uint8Array): LogMessage[] {
  return new CriLogDecoder().push(bytes);
}

/** One message as the kubelet writes it out (`<timestamp> <text>` with `timestamps`). */
export function formatLogMessage(msg: LogMessage, timestamps: boolean): Uint8Array {
  return timestamps ? concat([encoder.encode(`${canonicalTimestamp(msg.timestamp)} `), msg.content]) : msg.content;
}

/**
 * Turns messages into output bytes under `limitBytes` (upstream's limited writer: the line that
 * crosses the limit is cut, and nothing follows).
 */
export class LogOutput {
  private remaining: number;
  constructor(private readonly options: LogReadOptions) {
    this.remaining = options.limitBytes ?? Number.POSITIVE_INFINITY;
  }

  /** True once `limitBytes` bytes were written. */
  get done(): boolean {
    return this.remaining <= 0;
  }

  /** The bytes for `messages` that pass the since filter and fit the limit. */
  write(messages: readonly LogMessage[]): Uint8Array {
    const parts: Uint8Array[] = [];
    for (const m of messages) {
      if (this.done) break;
      if (this.options.sinceNs !== undefined && m.timeNs < this.options.sinceNs) continue;
      let bytes = formatLogMessage(m, this.options.timestamps ?? false);
      if (bytes.length > this.remaining) bytes = bytes.subarray(0, this.remaining);
      this.remaining -= bytes.length;
      parts.push(bytes);
    }
    return parts.length === 0 ? new Uint8Array(0) : concat(parts);
  }
}

/** The output for a whole log file's bytes: tail first, then since, then the byte limit (upstream's order). */
export function selectLogOutput(bytes: Uint8Array, options: LogReadOptions): Uint8Array {
  let messages = parseCriLog(bytes);
  if (options.tailLines !== undefined) messages = options.tailLines === 0 ? [] : messages.slice(-options.tailLines);
  return new LogOutput(options).write(messages);
}

/** How much of a log's end `readLogTail` reads: enough for 80 short lines and their CRI prefixes. */
const LOG_TAIL_READ_BYTES = 64 * 1024;

/**
 * The last `lines` messages of the log at `path` without timestamps, keeping at most the last
 * `maxBytes` bytes (upstream's termination-message fallback: a tail read into a circular buffer).
 * Reads only the file's end; a line cut by that read is dropped.
 */
export async function readLogTail(fs: Pick<Fs, "readTail">, path: string, lines: number, maxBytes: number): Promise<string> {
  let bytes = await fs.readTail(path, LOG_TAIL_READ_BYTES);
  if (bytes.length === LOG_TAIL_READ_BYTES) bytes = bytes.subarray(bytes.indexOf(NL) + 1);
  const out = selectLogOutput(bytes, { tailLines: lines });
  return decoder.decode(out.subarray(Math.max(0, out.length - maxBytes)));
}

/** What following a log needs besides the file. */
export interface FollowDeps {
  fs: Fs;
  clock: Clock;
  /** False once the container stopped: following ends after the last bytes were read. */
  isRunning(): Promise<boolean>;
  /** How often to look for new bytes (default 250 ms). */
  pollMs?: number;
  /** How often to ask whether the container still runs (default 1 s, upstream checks every 5 s when idle). */
  stateCheckMs?: number;
}

/**
 * The log at `path` as a byte stream: what `options` select of the file now and, with `follow`,
 * the messages written later, until the container stops, the byte limit is reached or the reader
 * cancels. Following reads only new bytes; a rotated (re-created) or truncated file is read again
 * from its beginning.
 */
export function readContainerLog(path: string, options: LogReadOptions & { follow?: boolean }, deps: FollowDeps): ReadableStream<Uint8Array> {
  let cancelled = false;
  let offset = 0;
  let cancelTimer: (() => void) | undefined;
  const decoderState = new CriLogDecoder();
  const output = new LogOutput(options);
  const pollMs = deps.pollMs ?? 250;
  const stateCheckMs = deps.stateCheckMs ?? 1000;
  let lastStateCheck = deps.clock.now();

  /** How much of a grown file one read takes (the rest comes with the next pull). */
  const READ_CHUNK = 1 << 20;
  let ino: number | undefined;

  /**
   * New bytes of the file since `offset`. A file with a new identity (rotated: renamed away and
   * re-created) or a shorter one (truncated) is read from its beginning.
   */
  const readNew = async (): Promise<Uint8Array> => {
    const info = await deps.fs.stat(path);
    if (!info) return new Uint8Array(0);
    if ((info.ino !== undefined && ino !== undefined && info.ino !== ino) || info.size < offset) offset = 0;
    ino = info.ino;
    if (info.size === offset) return new Uint8Array(0);
    const fresh = await deps.fs.readRange(path, offset, READ_CHUNK);
    offset += fresh.length;
    return fresh;
  };

  const wait = (ms: number) => new Promise<void>((resolve) => {
    cancelTimer = deps.clock.setTimer(ms, resolve);
  });

  return new ReadableStream<Uint8Array>({
    async start(controller) {
      ino = (await deps.fs.stat(path))?.ino;
      const first = await deps.fs.readFile(path);
      offset = first.length;
      let messages = decoderState.push(first);
      if (options.tailLines !== undefined) messages = options.tailLines === 0 ? [] : messages.slice(-options.tailLines);
      const bytes = output.write(messages);
      if (bytes.length > 0) controller.enqueue(bytes);
      if (!options.follow || output.done) controller.close();
    },
    async pull(controller) {
      // Called when the reader wants more; only a following stream is still open here.
      for (;;) {
        if (cancelled) return;
        const fresh = await readNew();
        const bytes = output.write(decoderState.push(fresh));
        if (bytes.length > 0) controller.enqueue(bytes);
        if (output.done) return controller.close();
        if (bytes.length > 0) return;
        if (deps.clock.now() - lastStateCheck >= stateCheckMs) {
          lastStateCheck = deps.clock.now();
          if (!(await deps.isRunning())) {
            const last = output.write(decoderState.push(await readNew()));
            if (last.length > 0) controller.enqueue(last);
            return controller.close();
          }
        }
        await wait(pollMs);
      }
    },
    cancel() {
      cancelled = true;
      cancelTimer?.();
    },
  }, { highWaterMark: 0 });
}
