/**
 * The container runtime endpoint on Node: parsing `--container-runtime-endpoint` values and
 * explaining, in words a node operator can act on, why the socket cannot be reached.
 */
import { stat } from "node:fs/promises";

/** A parsed runtime endpoint: the socket path and the gRPC target for it. */
export interface CriEndpoint {
  /** Absolute path of the unix socket. */
  socketPath: string;
  /** gRPC target, always `unix://<socketPath>`. */
  target: string;
}

/**
 * Parses `unix:///path/to.sock` or a bare absolute path. Other schemes (tcp, npipe) are refused:
 * the kubelet talks to a local runtime over a unix socket only.
 */
export function parseCriEndpoint(endpoint: string): CriEndpoint {
  const trimmed = endpoint.trim();
  let path: string;
  if (trimmed.startsWith("unix://")) path = trimmed.slice("unix://".length);
  else if (trimmed.startsWith("unix:")) path = trimmed.slice("unix:".length);
  else if (trimmed.startsWith("/")) path = trimmed;
  else {
    throw new Error(`container runtime endpoint ${JSON.stringify(endpoint)}: expected unix:///path/to.sock or an absolute socket path`);
  }
  if (!path.startsWith("/")) {
    throw new Error(`container runtime endpoint ${JSON.stringify(endpoint)}: the socket path must be absolute`);
  }
  return { socketPath: path, target: `unix://${path}` };
}

/**
 * Why `socketPath` cannot be connected to, as a sentence, or `undefined` when it is a socket
 * (then the runtime behind it must be the problem).
 */
export async function diagnoseSocket(socketPath: string): Promise<string | undefined> {
  try {
    const info = await stat(socketPath);
    if (!info.isSocket()) return `container runtime endpoint ${socketPath}: not a socket`;
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return `container runtime endpoint ${socketPath}: no such socket; is containerd running?`;
    if (code === "EACCES") return `container runtime endpoint ${socketPath}: permission denied; the kubelet must run as root`;
    return `container runtime endpoint ${socketPath}: ${(err as Error).message}`;
  }
}
