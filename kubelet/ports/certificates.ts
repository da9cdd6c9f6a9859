/**
 * The `CertificateTools` port: the cryptography TLS bootstrap and client certificate rotation need
 * (key generation, PKCS#10 CSRs, reading certificate validity). Hosts implement it with their
 * runtime's crypto (hosts/node/csr.ts on node:crypto).
 */
import type { KeyUsage } from "../../bindings/kube/node.ts";

/** A certificate subject as the kubelet asks for it. */
export interface CertificateSubject { commonName: string; organization: string[] }

/** The validity window of one certificate, in milliseconds since the epoch. */
export interface CertificateValidity { notBefore: number; notAfter: number }

/** What a self-signed serving certificate is for (upstream GenerateSelfSignedCertKey's arguments). */
export interface SelfSignedRequest {
  /** The host name (or IP) the certificate names: CN `<host>@<unix time>` and the first SAN. */
  host: string;
  alternateIPs: string[];
  alternateDNS: string[];
  /** Now, in milliseconds since the epoch (validity starts an hour before). */
  nowMs: number;
}

/** A PEM certificate bundle (serving certificate first, then its CA) and the serving key. */
export interface SelfSignedCertificate { certPem: string; keyPem: string }

/** Key, CSR and certificate operations. */
export interface CertificateTools {
  /** A new private key (ECDSA P-256, as upstream), PEM. */
  generateKey(): Promise<string>;
  /** True when `pem` holds a private key the tools can use. */
  isPrivateKey(pem: string): boolean;
  /**
   * A PEM CSR for `keyPem` with `subject`, and upstream's deterministic CSR name for it
   * ("node-csr-" + digest of the public key, subject and usages), so a retry finds the same request.
   */
  createCsr(keyPem: string, subject: CertificateSubject, usages: readonly KeyUsage[]): Promise<{ csrPem: string; name: string }>;
  /** Validity of every certificate in a PEM bundle (leaf first); throws when there is none. */
  certificateValidity(pem: string): CertificateValidity[];
  /** A self-signed serving certificate (a throwaway CA and a leaf), for a kubelet without one. */
  createSelfSignedCertificate(request: SelfSignedRequest): Promise<SelfSignedCertificate>;
}
