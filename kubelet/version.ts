/** The kubelet-ts version, and the Kubernetes version whose kubelet it mirrors. */
export const VERSION = "0.1.0";
export const KUBERNETES_VERSION = "v1.20.2";
