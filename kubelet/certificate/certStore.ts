/**
 * The kubelet's client certificate store in the cert dir (upstream certificate.FileStore with the
 * "kubelet-client" prefix): each issued pair is written as `kubelet-client-<timestamp>.pem` (cert and
 * key in one file, mode 0600) and `kubelet-client-current.pem` is switched atomically to point at it.
 */
import type { Fs } from "../ports/fs.ts";

/** The file name prefix of kubelet client certificate pairs. */
export const KUBELET_CLIENT_PREFIX = "kubelet-client";

/** The stable path of the current pair (what the bootstrapped kubeconfig references). */
export function currentPairPath(certDir: string, prefix = KUBELET_CLIENT_PREFIX): string {
  return `${certDir}/${prefix}-current.pem`;
}

/** `kubelet-client-2006-01-02-15-04-05.pem` for `nowMs` (UTC), as upstream names pairs. */
export function pairFileName(nowMs: number, prefix = KUBELET_CLIENT_PREFIX): string {
  const t = new Date(nowMs).toISOString().slice(0, 19).replace(/[T:]/g, "-");
  return `${prefix}-${t}.pem`;
}

/** Writes a new pair and points the current link at it; returns the current link's path. */
export async function storeClientPair(fs: Fs, certDir: string, certPem: string, keyPem: string, nowMs: number, prefix = KUBELET_CLIENT_PREFIX): Promise<string> {
  await fs.mkdirp(certDir, 0o755);
  const name = pairFileName(nowMs, prefix);
  const nl = (s: string) => (s.endsWith("\n") ? s : `${s}\n`);
  await fs.writeFileAtomic(`${certDir}/${name}`, nl(certPem) + nl(keyPem), 0o600);
  const current = currentPairPath(certDir, prefix);
  const tmp = `${current}.tmp`;
  await fs.removeAll(tmp);
  await fs.symlink(name, tmp);
  await fs.rename(tmp, current);
  return current;
}
