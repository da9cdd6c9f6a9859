import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { der, derName, derOid, digestedCsrName, nodeCertificateTools as tools } from "../../hosts/node/csr.ts";

const USAGES = ["digital signature", "key encipherment", "client auth"] as const;
const dir = mkdtempSync(join(tmpdir(), "kts-csr-test-"));
const openssl = (...args: string[]) => execFileSync("openssl", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

test("the CSR is a valid PKCS#10 request that openssl verifies, with O and CN as asked", async () => {
  const key = await tools.generateKey();
  assert.match(key, /^-----BEGIN EC PRIVATE KEY-----/);
  const { csrPem, name } = await tools.createCsr(key, { commonName: "system:node:kts-n1", organization: ["system:nodes"] }, USAGES);
  writeFileSync(join(dir, "n1.csr"), csrPem);
  writeFileSync(join(dir, "n1.key"), key);
  const out = execFileSync("openssl", ["req", "-in", join(dir, "n1.csr"), "-verify", "-noout", "-subject"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  assert.match(out, /subject=O = system:nodes, CN = system:node:kts-n1/);
  // the request's public key is the key's
  assert.is(openssl("req", "-in", join(dir, "n1.csr"), "-noout", "-pubkey"), openssl("pkey", "-in", join(dir, "n1.key"), "-pubout"));
  assert.match(name, /^node-csr-[A-Za-z0-9_-]{43}$/);
});

test("the CSR name is a digest of key, subject and usages: stable for the same inputs, different otherwise", async () => {
  const key = await tools.generateKey();
  const subject = { commonName: "system:node:a", organization: ["system:nodes"] };
  assert.is(digestedCsrName(key, subject, USAGES), digestedCsrName(key, subject, USAGES));
  assert.is.not(digestedCsrName(key, subject, USAGES), digestedCsrName(key, { ...subject, commonName: "system:node:b" }, USAGES));
  assert.is.not(digestedCsrName(key, subject, USAGES), digestedCsrName(key, subject, ["client auth"]));
  assert.is.not(digestedCsrName(key, subject, USAGES), digestedCsrName(await tools.generateKey(), subject, USAGES));
});

test("DER building blocks: OIDs, long lengths, PrintableString or UTF8String", () => {
  assert.is(derOid("1.2.840.10045.4.3.2").toString("hex"), "06082a8648ce3d040302");
  assert.is(derOid("2.5.4.3").toString("hex"), "0603550403");
  const long = der(0x04, Buffer.alloc(300));
  assert.is(long.subarray(0, 4).toString("hex"), "0482012c");
  const name = derName({ commonName: "grüße", organization: [] });
  assert.ok(name.includes(Buffer.from([0x0c, 0x07])), "UTF8String for non-printable text");
  assert.ok(derName({ commonName: "system:node:x", organization: [] }).includes(Buffer.from([0x13, 0x0d])), "PrintableString otherwise");
});

test("certificate validity is read from every certificate of a bundle; keys are recognised", () => {
  openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", join(dir, "c.key"), "-subj", "/CN=t", "-days", "2", "-out", join(dir, "c.crt"));
  const cert = readFileSync(join(dir, "c.crt"), "utf8");
  const key = readFileSync(join(dir, "c.key"), "utf8");
  const [v] = tools.certificateValidity(cert + key);
  assert.ok(Math.abs(v!.notAfter - v!.notBefore - 2 * 86400_000) < 2000);
  assert.ok(Math.abs(v!.notBefore - Date.now()) < 120_000);
  assert.is(tools.certificateValidity(cert + cert).length, 2);
  assert.throws(() => tools.certificateValidity(key), /no PEM certificate/);
  assert.ok(tools.isPrivateKey(key));
  assert.ok(tools.isPrivateKey(cert + key), "a cert+key pair file holds a key");
  assert.not.ok(tools.isPrivateKey(cert));
  assert.not.ok(tools.isPrivateKey(""));
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
