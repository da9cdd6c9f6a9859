/**
 * CertificateSigningRequests (certificates.k8s.io/v1) for the kubelet's client certificate: create
 * one (or find the same one again), then wait until it is approved and issued, following it with a
 * watch and re-reading it whenever the watch ends (upstream csr.RequestCertificate / WaitForCertificate).
 */
import type { CertificateSigningRequest, KeyUsage } from "../../bindings/kube/node.ts";
import type { Logger } from "../log.ts";
import { isApiError, type ApiTransport } from "../ports/api.ts";
import type { Clock } from "../ports/clock.ts";

/** The signer of kubelet client certificates. */
export const KUBELET_CLIENT_SIGNER = "kubernetes.io/kube-apiserver-client-kubelet";
/** The usages upstream asks for on a kubelet client certificate. */
export const KUBELET_CLIENT_USAGES: readonly KeyUsage[] = ["digital signature", "key encipherment", "client auth"];

const CSRS = "/apis/certificates.k8s.io/v1/certificatesigningrequests";

function toBase64(text: string): string {
  let bin = "";
  for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
  return btoa(bin);
}

function fromBase64(b64: string): string {
  const bin = atob(b64);
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

/** A request that will never be issued: denied, failed, deleted or replaced. */
export class CsrRejectedError extends Error {
  override readonly name = "CsrRejectedError";
}

/** A created (or found) request: its name and UID. */
export interface CsrRef { name: string; uid: string }

/**
 * Creates the CSR; with a `name` an existing request of that name is reused when it asks for the
 * same signer and usages (the name is a digest of key, subject and usages).
 */
export async function requestCertificate(api: ApiTransport, csrPem: string, name: string | undefined, signerName: string, usages: readonly KeyUsage[]): Promise<CsrRef> {
  const body: CertificateSigningRequest = {
    apiVersion: "certificates.k8s.io/v1", kind: "CertificateSigningRequest",
    metadata: name ? { name } : { generateName: "csr-" },
    spec: { request: toBase64(csrPem), signerName, usages: [...usages] },
  };
  try {
    const created = (await api.request<CertificateSigningRequest>({ method: "POST", path: CSRS, body })).body;
    return { name: created.metadata.name!, uid: created.metadata.uid! };
  } catch (err) {
    if (!name || !isApiError(err, 409)) throw err;
  }
  const existing = (await api.request<CertificateSigningRequest>({ method: "GET", path: `${CSRS}/${name}` })).body;
  const sameUsages = [...(existing.spec.usages ?? [])].sort().join(",") === [...usages].sort().join(",");
  if (existing.spec.signerName !== signerName || !sameUsages) {
    throw new Error(`retrieved csr ${name} is not compatible: signer ${existing.spec.signerName}, usages ${existing.spec.usages?.join(", ")}`);
  }
  return { name, uid: existing.metadata.uid! };
}

/** The issued PEM certificate, undefined while pending; throws when the request was denied, failed or replaced. */
export function issuedCertificate(csr: CertificateSigningRequest, ref: CsrRef): string | undefined {
  if (csr.metadata.uid !== ref.uid) throw new CsrRejectedError(`csr ${ref.name} changed UIDs (${ref.uid} -> ${csr.metadata.uid})`);
  for (const c of csr.status?.conditions ?? []) {
    if (c.type === "Denied") throw new CsrRejectedError(`certificate signing request ${ref.name} is denied, reason: ${c.reason ?? ""}, message: ${c.message ?? ""}`);
    if (c.type === "Failed") throw new CsrRejectedError(`certificate signing request ${ref.name} failed, reason: ${c.reason ?? ""}, message: ${c.message ?? ""}`);
    if (c.type === "Approved" && csr.status?.certificate) return fromBase64(csr.status.certificate);
  }
  return undefined;
}

/** How long and how to wait. */
export interface WaitOptions { clock: Clock; log: Logger; timeoutMs: number; signal?: AbortSignal }

/** Resolves after `ms`, or early (false) when `signal` aborts. */
function pause(clock: Clock, ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => { cancel(); resolve(false); };
    const cancel = clock.setTimer(ms, () => { signal.removeEventListener("abort", onAbort); resolve(true); });
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Waits until the CSR is approved and issued; resolves to the PEM certificate chain. */
export async function waitForCertificate(api: ApiTransport, ref: CsrRef, o: WaitOptions): Promise<string> {
  const deadline = o.clock.now() + o.timeoutMs;
  const stop = new AbortController();
  const cancelTimer = o.clock.setTimer(o.timeoutMs, () => stop.abort());
  const onAbort = () => stop.abort();
  o.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    let retryMs = 1000;
    while (!stop.signal.aborted && o.clock.now() < deadline) {
      try {
        const got = (await api.request<CertificateSigningRequest>({ method: "GET", path: `${CSRS}/${ref.name}`, signal: stop.signal })).body;
        const cert = issuedCertificate(got, ref);
        if (cert) return cert;
        o.log.info(2, "waiting for the client certificate to be issued", { csr: ref.name, approved: got.status?.conditions?.some((c) => c.type === "Approved") ?? false });
        let found: string | undefined;
        let failure: Error | undefined;
        const watchStop = new AbortController();
        stop.signal.addEventListener("abort", () => watchStop.abort(), { once: true });
        const seconds = Math.max(1, Math.min(300, Math.ceil((deadline - o.clock.now()) / 1000)));
        await api.watch<CertificateSigningRequest>(CSRS, { fieldSelector: `metadata.name=${ref.name}`, resourceVersion: got.metadata.resourceVersion, timeoutSeconds: seconds }, (e) => {
          if (found || failure) return;
          if (e.type === "DELETED") failure = new CsrRejectedError(`csr ${ref.name} was deleted`);
          else if (e.type === "ADDED" || e.type === "MODIFIED") {
            try {
              found = issuedCertificate(e.object, ref);
            } catch (err) {
              failure = err as Error;
            }
          }
          if (found || failure) watchStop.abort();
        }, watchStop.signal);
        if (failure) throw failure;
        if (found) return found;
        retryMs = 1000;
      } catch (err) {
        if (err instanceof CsrRejectedError) throw err;
        if (stop.signal.aborted) break;
        o.log.info(2, "waiting for the client certificate: retrying", { csr: ref.name, err: String(err) });
        retryMs = Math.min(retryMs * 2, 10_000);
      }
      // A watch that ends at once (or a failing server) must not turn this into a busy loop.
      if (!(await pause(o.clock, retryMs, stop.signal))) break;
    }
    if (o.signal?.aborted) throw new Error(`waiting for csr ${ref.name} was cancelled`);
    throw new Error(`timed out after ${Math.round(o.timeoutMs / 1000)} s waiting for csr ${ref.name} to be approved and issued`);
  } finally {
    cancelTimer();
    o.signal?.removeEventListener("abort", onAbort);
  }
}
