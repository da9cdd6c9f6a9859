/** Reaching the real control plane from e2e tests: kubectl and raw HTTPS with the admin kubeconfig. */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { parse } from "yaml";

/** The admin kubeconfig written by scripts/env/cluster-up.sh. */
export const ADMIN_KUBECONFIG = process.env.KUBECONFIG ?? `${process.env.KTS_ENV ?? "/tmp/kts"}/admin.kubeconfig`;

/** Runs the real kubectl against the admin kubeconfig; rejects with its stderr on a non-zero exit. */
export function kubectl(args: string[], stdin?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile("kubectl", ["--kubeconfig", ADMIN_KUBECONFIG, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kubectl ${args.join(" ")} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
    if (stdin !== undefined) child.stdin!.end(stdin);
  });
}

/** The admin kubeconfig's server and client credentials. */
export interface AdminCredentials { server: string; ca: Buffer; cert: Buffer; key: Buffer }

/** Reads the admin kubeconfig (data fields). */
export function adminCredentials(): AdminCredentials {
  let text: string;
  try {
    text = readFileSync(ADMIN_KUBECONFIG, "utf8");
  } catch (err) {
    throw new Error(`cannot read the admin kubeconfig ${ADMIN_KUBECONFIG} (${(err as Error).message}); run scripts/env/cluster-up.sh`);
  }
  const cfg = parse(text);
  const cluster = cfg.clusters[0].cluster;
  const user = cfg.users[0].user;
  const b64 = (s: string) => Buffer.from(s, "base64");
  return { server: cluster.server, ca: b64(cluster["certificate-authority-data"]), cert: b64(user["client-certificate-data"]), key: b64(user["client-key-data"]) };
}

/** One HTTPS request to the API server as admin; resolves with status and body text. */
export function apiRequest(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
  const c = adminCredentials();
  const url = new URL(path, c.server);
  return new Promise((resolve, reject) => {
    const req = request(url, { method, ca: c.ca, cert: c.cert, key: c.key, timeout: 30_000, agent: false, headers: { "content-type": "application/json", accept: "application/json" } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on("error", (err) => reject(new Error(`cannot reach the API server at ${c.server}: ${err.message}`)));
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
