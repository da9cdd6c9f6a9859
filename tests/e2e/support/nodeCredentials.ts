/**
 * Credentials a node process needs to join the e2e control plane: a node client certificate
 * (CN system:node:<name>, O system:nodes) signed by the cluster CA with a kubeconfig referencing it
 * by file, or a bootstrap token secret with a bootstrap kubeconfig using it.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { ADMIN_KUBECONFIG, kubectl } from "./cluster.ts";

const PKI = `${process.env.KTS_ENV ?? "/tmp/kts"}/pki`;

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 30_000 }, (err, out, stderr) => (err ? reject(new Error(`${cmd} ${args[0]} failed: ${stderr || err.message}`)) : resolve(out)));
  });
}

/** The API server URL from the admin kubeconfig. */
export function apiServerUrl(): string {
  return parse(readFileSync(ADMIN_KUBECONFIG, "utf8")).clusters[0].cluster.server;
}

/**
 * Signs a client certificate for system:node:<nodeName> with the cluster CA into `dir` (node.crt,
 * node.key) and writes `kubeconfig` referencing them by relative path.
 */
export async function writeNodeKubeconfig(dir: string, nodeName: string, kubeconfig: string): Promise<void> {
  const key = join(dir, "node.key");
  const csr = join(dir, "node.csr");
  const crt = join(dir, "node.crt");
  await run("openssl", ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-subj", `/O=system:nodes/CN=system:node:${nodeName}`, "-out", csr]);
  await run("openssl", ["x509", "-req", "-in", csr, "-CA", `${PKI}/ca.crt`, "-CAkey", `${PKI}/ca.key`, "-set_serial", `0x${randomBytes(8).toString("hex")}`, "-days", "1", "-out", crt]);
  writeFileSync(kubeconfig, [
    "apiVersion: v1", "kind: Config", "current-context: node",
    "clusters:", "- name: e2e", "  cluster:", `    server: ${apiServerUrl()}`, `    certificate-authority: ${PKI}/ca.crt`,
    "contexts:", "- name: node", "  context: {cluster: e2e, user: node}",
    "users:", "- name: node", "  user:", "    client-certificate: node.crt", "    client-key: node.key", "",
  ].join("\n"));
}

/** Creates a bootstrap token secret in kube-system (1 h) and writes a bootstrap kubeconfig using it. */
export async function writeBootstrapKubeconfig(bootstrapKubeconfig: string): Promise<{ tokenId: string }> {
  const tokenId = randomBytes(3).toString("hex");
  const secret = randomBytes(8).toString("hex");
  await kubectl(["apply", "-f", "-"], JSON.stringify({
    apiVersion: "v1", kind: "Secret", type: "bootstrap.kubernetes.io/token",
    metadata: { name: `bootstrap-token-${tokenId}`, namespace: "kube-system" },
    stringData: { "token-id": tokenId, "token-secret": secret, "usage-bootstrap-authentication": "true", expiration: new Date(Date.now() + 3600_000).toISOString().replace(/\.\d+Z$/, "Z") },
  }));
  writeFileSync(bootstrapKubeconfig, [
    "apiVersion: v1", "kind: Config", "current-context: bootstrap",
    "clusters:", "- name: e2e", "  cluster:", `    server: ${apiServerUrl()}`, `    certificate-authority-data: ${readFileSync(`${PKI}/ca.crt`).toString("base64")}`,
    "contexts:", "- name: bootstrap", "  context: {cluster: e2e, user: kubelet-bootstrap}",
    "users:", "- name: kubelet-bootstrap", "  user:", `    token: ${tokenId}.${secret}`, "",
  ].join("\n"));
  return { tokenId };
}
