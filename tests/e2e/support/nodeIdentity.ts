/**
 * A node identity for e2e tests: a client certificate for `system:node:<name>` (group
 * system:nodes) signed by the test cluster's CA, and an ApiTransport that uses it, so tests go
 * through the Node authorizer and NodeRestriction exactly as a kubelet does.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { NodeApiTransport } from "../../../hosts/node/apiTransport.ts";
import { silentLogger } from "../../../kubelet/log.ts";
import { ADMIN_KUBECONFIG } from "./cluster.ts";

const PKI = `${process.env.KTS_ENV ?? "/tmp/kts"}/pki`;

function openssl(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile("openssl", args, { timeout: 30_000 }, (err, _out, stderr) => (err ? reject(new Error(`openssl ${args[0]} failed: ${stderr || err.message}`)) : resolve()));
  });
}

/** Issues a node client certificate for `nodeName` and returns a transport authenticated with it. */
export async function nodeApiTransport(nodeName: string): Promise<NodeApiTransport> {
  const dir = mkdtempSync(join(tmpdir(), "kts-e2e-node-"));
  try {
    const key = join(dir, "node.key");
    const csr = join(dir, "node.csr");
    const crt = join(dir, "node.crt");
    await openssl(["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-subj", `/O=system:nodes/CN=system:node:${nodeName}`, "-out", csr]);
    await openssl(["x509", "-req", "-in", csr, "-CA", `${PKI}/ca.crt`, "-CAkey", `${PKI}/ca.key`, "-set_serial", `0x${Date.now().toString(16)}`, "-days", "1", "-out", crt]);
    const server: string = parse(readFileSync(ADMIN_KUBECONFIG, "utf8")).clusters[0].cluster.server;
    return new NodeApiTransport({
      source: `e2e node identity ${nodeName}`, server, insecureSkipTlsVerify: false,
      caPem: readFileSync(`${PKI}/ca.crt`, "utf8"), clientCertPem: readFileSync(crt, "utf8"), clientKeyPem: readFileSync(key, "utf8"),
    }, silentLogger);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
