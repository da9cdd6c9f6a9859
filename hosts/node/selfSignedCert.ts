/**
 * A self-signed serving certificate as upstream's certutil.GenerateSelfSignedCertKey makes it for
 * the kubelet: a throwaway CA `<host>-ca@<unix time>` signing a leaf `<host>@<unix time>` for
 * server auth, valid from an hour ago for a year; the bundle is leaf then CA. X.509 is DER-encoded
 * here (node:crypto signs but builds no certificates); keys are ECDSA P-256 where upstream uses
 * RSA 2048.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { isIP } from "node:net";
import type { SelfSignedCertificate, SelfSignedRequest } from "../../kubelet/ports/certificates.ts";
import { der, derName, derOid } from "./csr.ts";

const OID = {
  ecdsaWithSHA256: "1.2.840.10045.4.3.2",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  basicConstraints: "2.5.29.19",
  subjectAltName: "2.5.29.17",
  serverAuth: "1.3.6.1.5.5.7.3.1",
};

/** UTCTime before 2050, GeneralizedTime after (RFC 5280 4.1.2.5), to the second. */
function derTime(ms: number): Buffer {
  const iso = new Date(Math.floor(ms / 1000) * 1000).toISOString(); // 2024-01-02T03:04:05.000Z
  const digits = iso.slice(0, 19).replace(/[-:T]/g, "");
  const year = Number(iso.slice(0, 4));
  return year < 2050 ? der(0x17, Buffer.from(`${digits.slice(2)}Z`)) : der(0x18, Buffer.from(`${digits}Z`));
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return der(0x30, derOid(oid), ...(critical ? [der(0x01, Buffer.from([0xff]))] : []), der(0x04, value));
}

/** IPv4 or IPv6 text as the 4 or 16 bytes of an iPAddress SAN. */
function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split(".").map(Number));
  const [head = "", tail = ""] = ip.split("::");
  const groups = (s: string) => (s ? s.split(":") : []);
  const h = groups(head);
  const t = ip.includes("::") ? groups(tail) : [];
  const all = [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  return Buffer.from(all.flatMap((g) => { const v = parseInt(g, 16); return [v >> 8, v & 0xff]; }));
}

interface CertSpec {
  serial: number;
  subject: string;
  issuer: string;
  notBefore: number;
  notAfter: number;
  publicKey: KeyObject;
  signer: KeyObject;
  ca: boolean;
  dnsNames: string[];
  ips: string[];
}

function certificate(s: CertSpec): Buffer {
  const alg = der(0x30, derOid(OID.ecdsaWithSHA256));
  // keyUsage: digitalSignature + keyEncipherment (+ keyCertSign for the CA), as a minimal BIT STRING.
  const keyUsage = s.ca ? Buffer.from([0x03, 0x02, 0x02, 0xa4]) : Buffer.from([0x03, 0x02, 0x05, 0xa0]);
  const exts = [
    extension(OID.keyUsage, true, keyUsage),
    ...(s.ca ? [] : [extension(OID.extKeyUsage, false, der(0x30, derOid(OID.serverAuth)))]),
    extension(OID.basicConstraints, true, s.ca ? der(0x30, der(0x01, Buffer.from([0xff]))) : der(0x30)),
  ];
  const sans = [...s.dnsNames.map((d) => der(0x82, Buffer.from(d, "ascii"))), ...s.ips.map((ip) => der(0x87, ipBytes(ip)))];
  if (sans.length > 0) exts.push(extension(OID.subjectAltName, false, der(0x30, ...sans)));
  const tbs = der(0x30,
    der(0xa0, der(0x02, Buffer.from([2]))),
    der(0x02, Buffer.from([s.serial])),
    alg,
    derName({ commonName: s.issuer, organization: [] }),
    der(0x30, derTime(s.notBefore), derTime(s.notAfter)),
    derName({ commonName: s.subject, organization: [] }),
    s.publicKey.export({ type: "spki", format: "der" }),
    der(0xa3, der(0x30, ...exts)),
  );
  const signature = sign("sha256", tbs, { key: s.signer, dsaEncoding: "der" });
  return der(0x30, tbs, alg, der(0x03, Buffer.from([0]), signature));
}

const pem = (label: string, body: Buffer) =>
  `-----BEGIN ${label}-----\n${body.toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "")}\n-----END ${label}-----\n`;

/** A CA-signed serving certificate bundle (leaf, CA) and the leaf's private key, all PEM. */
export function createSelfSignedCertificate(req: SelfSignedRequest): SelfSignedCertificate {
  const ca = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const leaf = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const notBefore = req.nowMs - 3_600_000;
  const notAfter = notBefore + 365 * 24 * 3_600_000;
  const unix = Math.floor(req.nowMs / 1000);
  const host = req.host;
  const hostIsIP = isIP(host) !== 0;
  const ips = [...(hostIsIP ? [host] : []), ...req.alternateIPs];
  const dnsNames = [...(hostIsIP ? [] : [host]), ...req.alternateDNS];
  const caName = `${host}-ca@${unix}`;
  const caCert = certificate({ serial: 1, subject: caName, issuer: caName, notBefore, notAfter, publicKey: ca.publicKey, signer: ca.privateKey, ca: true, dnsNames: [], ips: [] });
  const leafCert = certificate({
    serial: 2, subject: `${host}@${unix}`, issuer: caName, notBefore, notAfter, publicKey: leaf.publicKey, signer: ca.privateKey, ca: false, dnsNames, ips,
  });
  const keyPem = leaf.privateKey.export({ type: "sec1", format: "pem" }).toString();
  // Round-trip once so a malformed encoding fails here, not in the TLS server.
  createPublicKey(createPrivateKey(keyPem));
  return { certPem: pem("CERTIFICATE", leafCert) + pem("CERTIFICATE", caCert), keyPem };
}
