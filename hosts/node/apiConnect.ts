/**
 * Connecting the kubelet to the API server on Node: TLS bootstrap when `--bootstrap-kubeconfig` is
 * given and `--kubeconfig` is missing or expired, then the ApiTransport from `--kubeconfig`, and
 * client certificate rotation when the certificate lives in the cert dir's store.
 */
import { resolve } from "node:path";
import { isStoreManaged, loadClientCert } from "../../kubelet/certificate/bootstrap.ts";
import { ClientCertificateRotator } from "../../kubelet/certificate/rotation.ts";
import { loadKubeconfig, type ApiConnectionSettings } from "../../kubelet/config/kubeconfig.ts";
import type { Logger } from "../../kubelet/log.ts";
import type { Clock } from "../../kubelet/ports/clock.ts";
import { NodeApiTransport, type NodeApiTransportOptions } from "./apiTransport.ts";
import { nodeClock } from "./clock.ts";
import { nodeCertificateTools } from "./csr.ts";
import { nodeFs } from "./fs.ts";

/** How to connect. */
export interface ConnectApiOptions {
  /** --kubeconfig (written by bootstrap when a bootstrap kubeconfig is given). */
  kubeconfig: string;
  /** --bootstrap-kubeconfig. */
  bootstrapKubeconfig?: string;
  /** Where client certificate pairs are stored: <root-dir>/pki upstream. */
  certDir: string;
  nodeName: string;
  log: Logger;
  /** rotateCertificates (KubeletConfiguration); rotation needs a store-managed certificate. */
  rotateCertificates?: boolean;
  clock?: Clock;
  /** How long bootstrap waits for the CSR to be issued (default 1 h, as upstream). */
  bootstrapTimeoutMs?: number;
  /** Cancels a bootstrap in progress. */
  signal?: AbortSignal;
  transport?: NodeApiTransportOptions;
}

/** A connected API transport and its certificate rotation. */
export interface ApiConnection {
  api: NodeApiTransport;
  settings: ApiConnectionSettings;
  /** True when this start requested a new client certificate. */
  bootstrapped: boolean;
  /** Stops rotation and closes the transport. */
  close(): Promise<void>;
}

/** Bootstraps if needed, connects, and starts rotation when enabled. */
export async function connectApi(o: ConnectApiOptions): Promise<ApiConnection> {
  const clock = o.clock ?? nodeClock;
  const kubeconfig = resolve(o.kubeconfig);
  const certDir = resolve(o.certDir);
  const connect = (s: ApiConnectionSettings) => new NodeApiTransport(s, o.log, o.transport);
  let bootstrapped = false;
  if (o.bootstrapKubeconfig) {
    bootstrapped = await loadClientCert(
      { fs: nodeFs, tools: nodeCertificateTools, connect, clock, log: o.log },
      { kubeconfigPath: kubeconfig, bootstrapKubeconfigPath: resolve(o.bootstrapKubeconfig), certDir, nodeName: o.nodeName, timeoutMs: o.bootstrapTimeoutMs, signal: o.signal },
    );
  }
  const settings = await loadKubeconfig(kubeconfig, (p) => nodeFs.readText(p));
  const api = connect(settings);
  let rotator: ClientCertificateRotator | undefined;
  if (o.rotateCertificates && settings.clientCertPem && isStoreManaged(settings.clientCertFile, certDir)) {
    rotator = new ClientCertificateRotator({
      api, fs: nodeFs, tools: nodeCertificateTools, clock, log: o.log, certDir, nodeName: o.nodeName,
      onRotated: (cert, key) => api.setClientCertificate(cert, key),
    });
    rotator.start(settings.clientCertPem);
  } else if (o.rotateCertificates) {
    o.log.info(0, "client certificate rotation is off: the kubeconfig's certificate is not in the cert store", { kubeconfig, certDir });
  }
  return {
    api, settings, bootstrapped,
    async close() {
      await rotator?.stop();
      api.close();
    },
  };
}
