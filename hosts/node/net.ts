/** The `Net` port on node:http / node:https / node:net. */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect } from "node:net";
import type { Net } from "../../kubelet/ports/net.ts";

/** Node's network stack for probes and hooks. */
export const nodeNet: Net = {
  httpGet(url, headers, timeoutMs, maxBodyBytes = 10 * 1024) {
    return new Promise((resolve, reject) => {
      const u = new URL(url);
      const req = (u.protocol === "https:" ? httpsRequest : httpRequest)(u, {
        method: "GET",
        headers: { "User-Agent": "kube-probe/1.20", Accept: "*/*", ...headers },
        timeout: timeoutMs,
        rejectUnauthorized: false,
        agent: false,
      }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (d: Buffer) => {
          if (size < maxBodyBytes) chunks.push(d.subarray(0, maxBodyBytes - size));
          size += d.length;
          if (size >= maxBodyBytes) res.destroy();
        });
        const done = () => resolve({
          status: res.statusCode ?? 0,
          headers: Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : v ?? ""])),
          body: Buffer.concat(chunks).toString("utf8"),
        });
        res.on("end", done);
        res.on("close", done);
        res.on("error", done);
      });
      const timer = setTimeout(() => req.destroy(new Error(`context deadline exceeded (Client.Timeout exceeded while awaiting headers)`)), timeoutMs);
      req.on("timeout", () => req.destroy(new Error("context deadline exceeded (Client.Timeout exceeded while awaiting headers)")));
      req.on("error", (err) => { clearTimeout(timer); reject(err); });
      req.on("close", () => clearTimeout(timer));
      req.end();
    });
  },
  tcpConnect(host, port, timeoutMs) {
    return new Promise((resolve, reject) => {
      const sock = connect({ host, port });
      const timer = setTimeout(() => { sock.destroy(); reject(new Error(`dial tcp ${host}:${port}: i/o timeout`)); }, timeoutMs);
      sock.once("connect", () => { clearTimeout(timer); sock.destroy(); resolve(); });
      sock.once("error", (err) => { clearTimeout(timer); reject(new Error(`dial tcp ${host}:${port}: ${err.message}`)); });
    });
  },
};
