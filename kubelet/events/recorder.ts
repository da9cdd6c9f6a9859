/**
 * Events about pods and the node (core/v1 Event reasons as upstream uses them). The recorder is a
 * port-like sink: standalone mode logs and keeps recent events; cluster mode also posts them.
 */
import type { Logger } from "../log.ts";

/** What an event is about. */
export interface EventSubject { kind: "Pod" | "Node"; name: string; namespace?: string; uid?: string; fieldPath?: string }

/** One recorded event. */
export interface KubeletEvent {
  subject: EventSubject;
  type: "Normal" | "Warning";
  reason: string;
  message: string;
  /** Milliseconds since the epoch of the first and last occurrence. */
  firstTimestamp: number;
  lastTimestamp: number;
  count: number;
}

/** Records events. */
export interface EventRecorder {
  event(subject: EventSubject, type: "Normal" | "Warning", reason: string, message: string): void;
}

/**
 * An in-memory recorder that de-duplicates identical events (same subject, type, reason, message)
 * by counting them, keeps the most recent `capacity` events, logs each new one and forwards it to
 * `sink` (cluster mode posts there).
 */
export class MemoryEventRecorder implements EventRecorder {
  private readonly events = new Map<string, KubeletEvent>();

  constructor(
    private readonly now: () => number,
    private readonly log: Logger,
    private readonly capacity = 1000,
    private readonly sink?: (e: KubeletEvent) => void,
  ) {}

  event(subject: EventSubject, type: "Normal" | "Warning", reason: string, message: string): void {
    const key = `${subject.kind}/${subject.namespace ?? ""}/${subject.name}/${subject.uid ?? ""}/${subject.fieldPath ?? ""}/${type}/${reason}/${message}`;
    const t = this.now();
    let e = this.events.get(key);
    if (e) {
      e.count++;
      e.lastTimestamp = t;
      this.events.delete(key);
    } else {
      e = { subject, type, reason, message, firstTimestamp: t, lastTimestamp: t, count: 1 };
    }
    this.events.set(key, e);
    if (this.events.size > this.capacity) this.events.delete(this.events.keys().next().value!);
    const fields = { object: `${subject.namespace ? subject.namespace + "/" : ""}${subject.name}`, kind: subject.kind, type, reason, message };
    if (type === "Warning") this.log.warn("event", fields);
    else this.log.info(2, "event", fields);
    this.sink?.(e);
  }

  /** Recent events, oldest first; optionally only those about one object. */
  list(filter?: { name?: string; namespace?: string; uid?: string }): KubeletEvent[] {
    return [...this.events.values()].filter((e) =>
      (!filter?.name || e.subject.name === filter.name) &&
      (!filter?.namespace || e.subject.namespace === filter.namespace) &&
      (!filter?.uid || e.subject.uid === filter.uid));
  }
}
