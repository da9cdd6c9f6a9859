/**
 * The `Serve` port on Deno: the Node server through Deno's Node compatibility (node:http /
 * node:https). Deno.serve can neither hand an upgraded connection over as raw bytes (exec, attach
 * and port-forward proxy them to the runtime) nor show the client certificate (x509 auth); the
 * compat server does both. Its TLS stack does not verify client certificates against `ca`, so
 * they are checked in process against the client CA.
 */
import type { Serve } from "../../kubelet/ports/serve.ts";
import { createNodeServe } from "../node/serve.ts";

/** Deno's HTTP(S) server for the kubelet API and healthz. */
export const denoServe: Serve = createNodeServe({ clientCertificates: "in-process" });
