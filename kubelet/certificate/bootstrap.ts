/**
 * TLS bootstrap (upstream pkg/kubelet/certificate/bootstrap LoadClientCert): when `--kubeconfig` has
 * no usable client certificate, use `--bootstrap-kubeconfig` (typically a bootstrap token) to ask
 * for one with a CSR (CN system:node:<name>, O system:nodes, signer kube-apiserver-client-kubelet),
 * wait for it to be approved and issued, store it in the cert dir and write a kubeconfig that points
 * at the stored pair. The private key is kept in `kubelet-client.key.tmp` until the CSR succeeds, so
 * a restart reuses it and finds the same CSR (its name is a digest of key, subject and usages).
 */
import { loadKubeconfig, parseKubeconfig, renderClientCertKubeconfig, resolveKubeconfig, type ApiConnectionSettings } from "../config/kubeconfig.ts";
import { dirName } from "../config/posixPath.ts";
import type { Logger } from "../log.ts";
import type { ApiTransport } from "../ports/api.ts";
import type { CertificateTools } from "../ports/certificates.ts";
import type { Clock } from "../ports/clock.ts";
import type { Fs } from "../ports/fs.ts";
import { currentPairPath, storeClientPair } from "./certStore.ts";
import { KUBELET_CLIENT_SIGNER, KUBELET_CLIENT_USAGES, requestCertificate, waitForCertificate } from "./csrClient.ts";

/** Where the key waits while its CSR is pending (upstream tmpPrivateKeyFile). */
export const TMP_PRIVATE_KEY_FILE = "kubelet-client.key.tmp";
/** Upstream waits up to an hour for the CSR to be issued. */
export const BOOTSTRAP_CSR_TIMEOUT_MS = 3600_000;

/** What bootstrap needs from the host. */
export interface BootstrapDeps {
  fs: Fs;
  tools: CertificateTools;
  /** Opens a transport for connection settings (the host's ApiTransport). */
  connect: (settings: ApiConnectionSettings) => ApiTransport;
  clock: Clock;
  log: Logger;
}

/** The files and identity of one bootstrap. */
export interface BootstrapPaths {
  kubeconfigPath: string;
  bootstrapKubeconfigPath: string;
  certDir: string;
  nodeName: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The subject of a node's client certificate. */
export function nodeClientSubject(nodeName: string) {
  return { commonName: `system:node:${nodeName}`, organization: ["system:nodes"] };
}

const readText = (fs: Fs) => (p: string) => fs.readText(p);

/**
 * True when `kubeconfigPath` exists and holds client certificates that have not expired (upstream
 * isClientConfigStillValid). An unreadable or broken file is logged and counts as "not valid".
 */
export async function isClientConfigStillValid(fs: Fs, tools: CertificateTools, kubeconfigPath: string, nowMs: number, log: Logger): Promise<boolean> {
  if (!(await fs.stat(kubeconfigPath))) return false;
  let settings: ApiConnectionSettings;
  try {
    settings = await loadKubeconfig(kubeconfigPath, readText(fs));
  } catch (err) {
    log.warn("unable to read existing client config, bootstrapping again", { kubeconfig: kubeconfigPath, err: String(err) });
    return false;
  }
  if (!settings.clientCertPem) {
    log.warn("existing kubeconfig has no client certificate, bootstrapping again", { kubeconfig: kubeconfigPath });
    return false;
  }
  try {
    for (const v of tools.certificateValidity(settings.clientCertPem)) {
      if (nowMs > v.notAfter) {
        log.warn("part of the existing client certificate is expired", { kubeconfig: kubeconfigPath, notAfter: new Date(v.notAfter).toISOString() });
        return false;
      }
    }
  } catch (err) {
    log.warn("unable to read TLS certificates from the existing client config", { kubeconfig: kubeconfigPath, err: String(err) });
    return false;
  }
  return true;
}

/**
 * Makes sure `kubeconfigPath` holds a valid client certificate, bootstrapping one when it does not.
 * Resolves to true when a certificate was requested, false when the existing kubeconfig was kept.
 */
export async function loadClientCert(d: BootstrapDeps, p: BootstrapPaths): Promise<boolean> {
  if (await isClientConfigStillValid(d.fs, d.tools, p.kubeconfigPath, d.clock.now(), d.log)) {
    d.log.info(2, "kubeconfig exists and is valid, skipping bootstrap", { path: p.kubeconfigPath });
    return false;
  }
  d.log.info(0, "using the bootstrap kubeconfig to request a client certificate", { bootstrapKubeconfig: p.bootstrapKubeconfigPath });
  let text: string;
  try {
    text = await d.fs.readText(p.bootstrapKubeconfigPath);
  } catch (err) {
    throw new Error(`unable to load bootstrap kubeconfig ${p.bootstrapKubeconfigPath}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const entry = parseKubeconfig(text, p.bootstrapKubeconfigPath);
  const bootstrap = await resolveKubeconfig(entry, readText(d.fs));

  await d.fs.mkdirp(p.certDir, 0o755);
  const keyPath = `${p.certDir}/${TMP_PRIVATE_KEY_FILE}`;
  let keyPem = await d.fs.readText(keyPath).catch(() => "");
  if (!d.tools.isPrivateKey(keyPem)) {
    keyPem = await d.tools.generateKey();
    await d.fs.writeFileAtomic(keyPath, keyPem, 0o600);
  }

  const api = d.connect(bootstrap);
  let certPem: string;
  try {
    const { csrPem, name } = await d.tools.createCsr(keyPem, nodeClientSubject(p.nodeName), KUBELET_CLIENT_USAGES);
    const ref = await requestCertificate(api, csrPem, name, KUBELET_CLIENT_SIGNER, KUBELET_CLIENT_USAGES);
    d.log.info(0, "waiting for the client certificate to be issued", { csr: ref.name });
    certPem = await waitForCertificate(api, ref, { clock: d.clock, log: d.log, timeoutMs: p.timeoutMs ?? BOOTSTRAP_CSR_TIMEOUT_MS, signal: p.signal });
  } finally {
    api.close();
  }
  const pemPath = await storeClientPair(d.fs, p.certDir, certPem, keyPem, d.clock.now());
  await d.fs.removeAll(keyPath);
  const kubeconfig = renderClientCertKubeconfig({
    server: entry.server,
    caFile: entry.certificateAuthority,
    caPem: entry.certificateAuthority ? undefined : entry.certificateAuthorityData,
    insecureSkipTlsVerify: entry.insecureSkipTlsVerify,
    pemPath,
  });
  await d.fs.mkdirp(dirName(p.kubeconfigPath), 0o755);
  await d.fs.writeFileAtomic(p.kubeconfigPath, kubeconfig, 0o600);
  d.log.info(0, "client certificate issued; kubeconfig written", { kubeconfig: p.kubeconfigPath, cert: pemPath });
  return true;
}

/** True when `file` is the cert store's current pair in `certDir` (so rotation may replace it). */
export function isStoreManaged(file: string | undefined, certDir: string): boolean {
  return file === currentPairPath(certDir);
}
