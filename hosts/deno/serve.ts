/** The `Serve` port on Deno.serve (web-standard Request/Response, like the kubelet's handlers). */
import type { Serve } from "../../kubelet/ports/serve.ts";

const pem = (x: Uint8Array | string) => (typeof x === "string" ? x : new TextDecoder().decode(x));

/** Deno's HTTP server for the kubelet API. */
export const denoServe: Serve = {
  listen(options, handler) {
    return new Promise((resolve) => {
      const server = Deno.serve({
        hostname: options.host,
        port: options.port,
        ...(options.tls ? { cert: pem(options.tls.cert), key: pem(options.tls.key) } : {}),
        onListen: (addr) => resolve({ host: options.host, port: (addr as Deno.NetAddr).port, close: () => server.shutdown() }),
        onError: (err) => {
          options.onError?.(err);
          return new Response("internal error", { status: 500 });
        },
      }, (req, info) => handler(req, { remoteAddr: `${(info.remoteAddr as Deno.NetAddr).hostname}:${(info.remoteAddr as Deno.NetAddr).port}` } as never));
    });
  },
};
