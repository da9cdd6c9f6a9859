/** The kubelet-ts version. */
export const VERSION = "0.1.0";
/** The upstream kubelet version whose behaviour kubelet-ts mirrors. */
export const KUBERNETES_VERSION = "v1.20.2";
