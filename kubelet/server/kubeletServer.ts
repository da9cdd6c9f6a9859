/**
 * The kubelet API server on `address:port`: HTTPS with the configured or a self-signed serving
 * certificate (upstream InitializeTLS), client certificates checked against the client CA, and
 * upstream's authentication/authorization filter in front of the handlers. In standalone mode
 * without TLS settings it stays plain HTTP without authentication, as kubelet-ts always served it.
 */
import type { KubeletConfiguration } from "../config/kubeletConfiguration.ts";
import type { Logger } from "../log.ts";
import type { ApiTransport } from "../ports/api.ts";
import type { CertificateTools } from "../ports/certificates.ts";
import type { Clock } from "../ports/clock.ts";
import type { Fs } from "../ports/fs.ts";
import type { HttpHandler, Listening, Serve, ServeTls } from "../ports/serve.ts";
import {
  alwaysAllow, kubeletAuthenticator, subjectAccessReviewAuthorizer, tokenReviewAuthenticator, withAuth, type Authorizer,
} from "./auth.ts";
import { createKubeletApiHandler, type KubeletApiOptions } from "./kubeletApi.ts";

/** Where a serving certificate is and whether it was made just now. */
export interface ServingCertificate { certFile: string; keyFile: string; generated: boolean }

/**
 * `<certDir>/kubelet.crt` and `kubelet.key`, generated self-signed for `hostname` (and the node
 * IPs) when either is missing; an existing pair is reused, as upstream does across restarts.
 */
export async function ensureServingCertificate(o: {
  fs: Fs; tools: CertificateTools; certDir: string; hostname: string; nodeIPs: string[]; nowMs: number;
}): Promise<ServingCertificate> {
  const certFile = `${o.certDir}/kubelet.crt`;
  const keyFile = `${o.certDir}/kubelet.key`;
  const [cert, key] = await Promise.all([o.fs.stat(certFile), o.fs.stat(keyFile)]);
  if (cert?.isFile && key?.isFile) return { certFile, keyFile, generated: false };
  const made = await o.tools.createSelfSignedCertificate({ host: o.hostname, alternateIPs: o.nodeIPs, alternateDNS: [], nowMs: o.nowMs });
  await o.fs.mkdirp(o.certDir, 0o755);
  await o.fs.writeFileAtomic(keyFile, made.keyPem, 0o600);
  await o.fs.writeFileAtomic(certFile, made.certPem, 0o644);
  return { certFile, keyFile, generated: true };
}

/** What the kubelet API server is built from. */
export interface KubeletServerOptions {
  config: Pick<KubeletConfiguration, "address" | "port" | "tlsCertFile" | "tlsPrivateKeyFile" | "authentication" | "authorization">;
  serve: Serve;
  fs: Fs;
  clock: Clock;
  log: Logger;
  nodeName: string;
  nodeIPs: string[];
  /** `--cert-dir` (upstream default `<rootDir>/pki`). */
  certDir: string;
  /** The API server connection in cluster mode; absent in standalone mode. */
  api?: ApiTransport;
  /** Needed to generate a self-signed certificate. */
  tools?: CertificateTools;
  handler: KubeletApiOptions;
}

async function servingTls(o: KubeletServerOptions): Promise<ServeTls | undefined> {
  const { tlsCertFile, tlsPrivateKeyFile, authentication } = o.config;
  let files: { certFile: string; keyFile: string } | undefined;
  if (tlsCertFile && tlsPrivateKeyFile) files = { certFile: tlsCertFile, keyFile: tlsPrivateKeyFile };
  else if (tlsCertFile || tlsPrivateKeyFile) throw new Error("kubelet API: tlsCertFile and tlsPrivateKeyFile must be set together");
  else if (o.api) {
    if (!o.tools) throw new Error("kubelet API: this host cannot make a self-signed serving certificate; set tlsCertFile and tlsPrivateKeyFile");
    const made = await ensureServingCertificate({ fs: o.fs, tools: o.tools, certDir: o.certDir, hostname: o.nodeName, nodeIPs: o.nodeIPs, nowMs: o.clock.now() });
    o.log.info(made.generated ? 0 : 4, made.generated ? "generated a self-signed serving certificate" : "using the self-signed serving certificate", { cert: made.certFile, key: made.keyFile });
    files = made;
  }
  if (!files) return undefined;
  const clientCAFile = authentication.x509.clientCAFile;
  return {
    cert: await o.fs.readFile(files.certFile),
    key: await o.fs.readFile(files.keyFile),
    ...(clientCAFile ? { clientCA: await o.fs.readFile(clientCAFile) } : {}),
  };
}

/** The request handler: the API routes, behind authentication and authorization in cluster mode. */
export function kubeletServerHandler(o: Pick<KubeletServerOptions, "config" | "clock" | "log" | "nodeName" | "api" | "handler">): HttpHandler {
  const routes = createKubeletApiHandler(o.handler);
  const api = o.api;
  if (!api) return (req) => routes(req);
  const { authentication: authn, authorization: authz } = o.config;
  const authorizer: Authorizer = authz.mode === "AlwaysAllow"
    ? alwaysAllow
    : subjectAccessReviewAuthorizer(api, o.clock, { allowedTtlMs: authz.webhook.cacheAuthorizedTTLMs, deniedTtlMs: authz.webhook.cacheUnauthorizedTTLMs });
  return withAuth((req) => routes(req), {
    nodeName: o.nodeName,
    authenticator: kubeletAuthenticator({
      x509: Boolean(authn.x509.clientCAFile),
      tokenReview: authn.webhook.enabled ? tokenReviewAuthenticator(api, o.clock, authn.webhook.cacheTTLMs) : undefined,
      anonymous: authn.anonymous.enabled,
    }),
    authorizer,
    onUnauthenticated: (error) => { if (error) o.log.warn("kubelet API: unable to authenticate the request", { error }); },
    onAuthzError: (a, error) => o.log.error("kubelet API: authorization error", { user: a.user.name, verb: a.verb, subresource: a.subresource, error }),
    onForbidden: (a, reason) => o.log.info(2, "kubelet API: forbidden", { user: a.user.name, verb: a.verb, subresource: a.subresource, reason: reason ?? "" }),
  });
}

/** Starts the kubelet API server (HTTPS with authn/authz in cluster mode). */
export async function startKubeletServer(o: KubeletServerOptions): Promise<Listening> {
  const tls = await servingTls(o);
  if (!o.api) o.log.info(2, "kubelet API without authentication (standalone mode)", { tls: Boolean(tls) });
  return o.serve.listen({
    host: o.config.address, port: o.config.port, tls,
    onError: (err) => o.log.error("kubelet API request failed", { error: err instanceof Error ? err.message : String(err) }),
  }, kubeletServerHandler(o));
}
