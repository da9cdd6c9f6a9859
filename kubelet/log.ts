/**
 * The kubelet's one logger, klog-style: `info(level, ...)` prints when `level <= verbosity`
 * (upstream `--v`), warnings and errors always print. Lines go to stderr as upstream's do.
 */

/** A structured log sink shared by every part of the kubelet. */
export interface Logger {
  info(level: number, msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** True when `info(level, ...)` would print; lets callers skip building costly messages. */
  enabled(level: number): boolean;
}

function format(sev: string, msg: string, fields?: Record<string, unknown>): string {
  const d = new Date();
  const ts = d.toISOString().slice(5, 23).replace("-", "").replace("T", " ");
  let line = `${sev}${ts} ${msg}`;
  if (fields) {
    for (const [k, v] of Object.entries(fields)) {
      line += ` ${k}=${typeof v === "string" ? JSON.stringify(v) : v instanceof Error ? JSON.stringify(v.message) : JSON.stringify(v)}`;
    }
  }
  return line;
}

/** A logger writing klog-like lines (`I1122 22:48:12.123 msg key="value"`) to `write` (stderr by default). */
export function createLogger(verbosity: number, write: (line: string) => void = (l) => console.error(l)): Logger {
  return {
    info(level, msg, fields) {
      if (level <= verbosity) write(format("I", msg, fields));
    },
    warn(msg, fields) {
      write(format("W", msg, fields));
    },
    error(msg, fields) {
      write(format("E", msg, fields));
    },
    enabled(level) {
      return level <= verbosity;
    },
  };
}

/** A logger that prints nothing (for unit tests). */
export const silentLogger: Logger = { info() {}, warn() {}, error() {}, enabled: () => false };
