/**
 * Client certificate rotation (upstream client-go certificate manager, as the kubelet uses it):
 * at a jittered 70–90% of the current certificate's lifetime, generate a new key, request a new
 * certificate with a CSR authenticated by the current one, store the pair, and hand it to the
 * transport. Failures are retried with exponential backoff (2 s doubling, at most 5 min).
 */
import type { Logger } from "../log.ts";
import type { ApiTransport } from "../ports/api.ts";
import type { CertificateTools, CertificateValidity } from "../ports/certificates.ts";
import type { Clock } from "../ports/clock.ts";
import type { Fs } from "../ports/fs.ts";
import { nodeClientSubject } from "./bootstrap.ts";
import { storeClientPair } from "./certStore.ts";
import { KUBELET_CLIENT_SIGNER, KUBELET_CLIENT_USAGES, requestCertificate, waitForCertificate } from "./csrClient.ts";

/** Upstream certificateWaitTimeout for a rotation CSR. */
export const ROTATION_CSR_TIMEOUT_MS = 15 * 60_000;
/** The longest single timer the rotator sets (JS timers overflow above 2^31-1 ms and fire at once). */
export const MAX_TIMER_MS = 24 * 3600_000;
/** Longest pause between failed rotation attempts. */
export const ROTATION_MAX_BACKOFF_MS = 5 * 60_000;

/** When to rotate: notBefore + lifetime × (0.7 + 0.2 × r), r in [0, 1) (upstream nextRotationDeadline). */
export function nextRotationDeadline(v: CertificateValidity, r: number): number {
  const total = v.notAfter - v.notBefore;
  return v.notBefore + Math.floor(total * (0.7 + 0.2 * r));
}

/** What the rotator needs. */
export interface RotatorDeps {
  /** The API connection authenticated with the current certificate. */
  api: ApiTransport;
  fs: Fs;
  tools: CertificateTools;
  clock: Clock;
  log: Logger;
  certDir: string;
  nodeName: string;
  /** Receives each new pair (the host switches its transport to it). */
  onRotated: (certPem: string, keyPem: string) => void;
  random?: () => number;
}

/** Rotates the kubelet's client certificate before it expires. */
export class ClientCertificateRotator {
  private cancel: (() => void) | undefined;
  private readonly stopped = new AbortController();
  private failures = 0;
  private running: Promise<void> | undefined;

  constructor(private readonly d: RotatorDeps) {}

  /** Schedules rotation for the certificate in `certPem` (the leaf's validity decides). */
  start(certPem: string): void {
    const leaf = this.d.tools.certificateValidity(certPem)[0]!;
    const at = nextRotationDeadline(leaf, (this.d.random ?? Math.random)());
    const waitMs = Math.max(0, at - this.d.clock.now());
    this.d.log.info(0, "client certificate rotation scheduled", { expiration: new Date(leaf.notAfter).toISOString(), rotationDeadline: new Date(at).toISOString() });
    this.schedule(waitMs);
  }

  private schedule(ms: number): void {
    if (this.stopped.signal.aborted) return;
    // Certificates live for months, timers at most ~24.8 days (2^31-1 ms): wait in steps.
    const step = Math.min(ms, MAX_TIMER_MS);
    this.cancel = this.d.clock.setTimer(step, () => {
      if (step < ms) this.schedule(ms - step);
      else this.running = this.rotate().finally(() => (this.running = undefined));
    });
  }

  /** One rotation now; on failure the next attempt is scheduled with backoff. */
  async rotate(): Promise<void> {
    const d = this.d;
    try {
      const keyPem = await d.tools.generateKey();
      const { csrPem } = await d.tools.createCsr(keyPem, nodeClientSubject(d.nodeName), KUBELET_CLIENT_USAGES);
      const ref = await requestCertificate(d.api, csrPem, undefined, KUBELET_CLIENT_SIGNER, KUBELET_CLIENT_USAGES);
      const certPem = await waitForCertificate(d.api, ref, { clock: d.clock, log: d.log, timeoutMs: ROTATION_CSR_TIMEOUT_MS, signal: this.stopped.signal });
      await storeClientPair(d.fs, d.certDir, certPem, keyPem, d.clock.now());
      this.failures = 0;
      d.log.info(0, "client certificate rotated", { csr: ref.name });
      d.onRotated(certPem, keyPem);
      this.start(certPem);
    } catch (err) {
      if (this.stopped.signal.aborted) return;
      const backoff = Math.min(2000 * 2 ** this.failures++, ROTATION_MAX_BACKOFF_MS);
      d.log.error("client certificate rotation failed, will retry", { err: String(err), retryInMs: backoff });
      this.schedule(backoff * (1 + 0.1 * (d.random ?? Math.random)()));
    }
  }

  /** Stops rotating; a rotation in progress is abandoned. */
  async stop(): Promise<void> {
    this.stopped.abort();
    this.cancel?.();
    await this.running;
  }
}
