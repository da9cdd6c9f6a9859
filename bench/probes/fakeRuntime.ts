/**
 * FAKE runtime ports for the simulated probe benchmark: a Cri whose ExecSync and a Net whose
 * httpGet / tcpConnect answer after a small random delay, without any I/O. Only the calls the
 * ProbeRunner makes exist; anything else throws, so a benchmark that reaches further fails loudly.
 */
import type { Cri } from "../../kubelet/ports/cri.ts";
import type { HttpResult, Net } from "../../kubelet/ports/net.ts";

/** How the fakes answer. */
export interface FakeRuntimeOptions {
  /** Answer delay range in ms (uniform). */
  minDelayMs: number;
  maxDelayMs: number;
  /** Fraction of HTTP answers that are 500s (readiness flaps; never liveness, which would park). */
  httpFailureRate: number;
  /** Deterministic randomness (xorshift32 seed). */
  seed: number;
}

/** Calls the fakes answered, by kind. */
export interface FakeRuntimeCounts { exec: number; http: number; tcp: number }

/** Builds a fake Cri (ExecSync only) and Net with the given answer delays. */
export function fakeRuntime(o: FakeRuntimeOptions): { cri: Cri; net: Net; counts: FakeRuntimeCounts } {
  let x = o.seed >>> 0 || 1;
  const random = () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 4294967296;
  };
  const delay = () => new Promise<void>((resolve) => setTimeout(resolve, o.minDelayMs + random() * (o.maxDelayMs - o.minDelayMs)));
  const counts: FakeRuntimeCounts = { exec: 0, http: 0, tcp: 0 };
  const empty = new Uint8Array(0);
  const cri = new Proxy({} as Cri, {
    get(_t, prop) {
      if (prop === "execSync") {
        return async () => {
          await delay();
          counts.exec++;
          return { stdout: empty, stderr: empty, exitCode: 0 };
        };
      }
      if (prop === "then") return undefined;
      throw new Error(`fake Cri: ${String(prop)} is not simulated`);
    },
  });
  const net: Net = {
    async httpGet(): Promise<HttpResult> {
      await delay();
      counts.http++;
      return random() < o.httpFailureRate ? { status: 500, headers: {}, body: "failing" } : { status: 200, headers: {}, body: "ok" };
    },
    async tcpConnect(): Promise<void> {
      await delay();
      counts.tcp++;
    },
  };
  return { cri, net, counts };
}
