/**
 * `CertificateTools` on node:crypto. node:crypto makes keys and signatures but not certificate
 * requests, so the PKCS#10 CertificationRequest (RFC 2986) is DER-encoded here: the request info
 * (version 0, subject, SubjectPublicKeyInfo, no attributes) signed with ECDSA-SHA256.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, X509Certificate } from "node:crypto";
import type { KeyUsage } from "../../bindings/kube/node.ts";
import type { CertificateSubject, CertificateTools, CertificateValidity } from "../../kubelet/ports/certificates.ts";
import { createSelfSignedCertificate } from "./selfSignedCert.ts";

/** DER length octets. */
function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One DER tag-length-value. */
export function der(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

/** A DER OBJECT IDENTIFIER from dotted text. */
export function derOid(dotted: string): Buffer {
  const arcs = dotted.split(".").map(Number);
  const out: number[] = [40 * arcs[0]! + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const chunk: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return der(0x06, Buffer.from(out));
}

const OID = { commonName: "2.5.4.3", organization: "2.5.4.10", ecdsaWithSHA256: "1.2.840.10045.4.3.2" };

/** PrintableString when every character allows it (as Go's encoding/asn1 chooses), else UTF8String. */
function derString(s: string): Buffer {
  const printable = /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(s);
  return der(printable ? 0x13 : 0x0c, Buffer.from(s, "utf8"));
}

/** An X.501 Name in Go's order for these attributes: O first, then CN, one attribute per RDN. */
export function derName(subject: CertificateSubject): Buffer {
  const rdn = (oid: string, value: string) => der(0x31, der(0x30, derOid(oid), derString(value)));
  return der(0x30, ...subject.organization.map((o) => rdn(OID.organization, o)), rdn(OID.commonName, subject.commonName));
}

function pem(label: string, body: Buffer): string {
  const b64 = body.toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** A PEM PKCS#10 certificate request for `keyPem` (an EC or RSA private key) and `subject`. */
export function createCsrPem(keyPem: string, subject: CertificateSubject): string {
  const key = createPrivateKey(keyPem);
  if (key.asymmetricKeyType !== "ec") throw new Error(`CSR: only EC keys are supported, got ${key.asymmetricKeyType}`);
  const spki = createPublicKey(key).export({ type: "spki", format: "der" });
  const info = der(0x30, der(0x02, Buffer.from([0])), derName(subject), spki, Buffer.from([0xa0, 0x00]));
  const signature = sign("sha256", info, { key, dsaEncoding: "der" });
  const csr = der(0x30, info, der(0x30, derOid(OID.ecdsaWithSHA256)), der(0x03, Buffer.from([0]), signature));
  return pem("CERTIFICATE REQUEST", csr);
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");

/** Upstream's digestedName: "node-csr-" + SHA-512/256 over the public key, CN, O and usages. */
export function digestedCsrName(keyPem: string, subject: CertificateSubject, usages: readonly KeyUsage[]): string {
  const spki = createPublicKey(createPrivateKey(keyPem)).export({ type: "spki", format: "der" });
  const h = createHash("sha512-256");
  const write = (data: Buffer | string) => h.update(b64url(data)).update("|");
  write(spki);
  write(subject.commonName);
  for (const o of subject.organization) write(o);
  for (const u of usages) write(u);
  return `node-csr-${h.digest("base64url")}`;
}

/** The PEM blocks of one kind in a bundle. */
function pemBlocks(text: string, label: string): string[] {
  return text.match(new RegExp(`-----BEGIN ${label}-----[\\s\\S]*?-----END ${label}-----`, "g")) ?? [];
}

/** CertificateTools on node:crypto. */
export const nodeCertificateTools: CertificateTools = {
  async generateKey() {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    return privateKey.export({ type: "sec1", format: "pem" }).toString();
  },
  isPrivateKey(text) {
    try {
      createPrivateKey(text);
      return true;
    } catch {
      return false;
    }
  },
  async createCsr(keyPem, subject, usages) {
    return { csrPem: createCsrPem(keyPem, subject), name: digestedCsrName(keyPem, subject, usages) };
  },
  certificateValidity(text): CertificateValidity[] {
    const blocks = pemBlocks(text, "CERTIFICATE");
    if (blocks.length === 0) throw new Error("no PEM certificate found");
    return blocks.map((b) => {
      const c = new X509Certificate(b);
      return { notBefore: Date.parse(c.validFrom), notAfter: Date.parse(c.validTo) };
    });
  },
  async createSelfSignedCertificate(request) {
    return createSelfSignedCertificate(request);
  },
};
