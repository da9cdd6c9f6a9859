import { request as httpsRequest } from "node:https";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createNodeServe, nodeServe } from "../../hosts/node/serve.ts";
import type { ConnInfo, Serve } from "../../kubelet/ports/serve.ts";

// Test certificates (EC P-256, valid 100 years): a client CA, alice (O=dev, O=ops; extendedKeyUsage
// clientAuth) signed by it, and a self-signed mallory. The server serves the CA's own pair.
const CA_CERT = `-----BEGIN CERTIFICATE-----
MIIBkTCCATegAwIBAgIUeD1sxW43fmONNz9ZLz0STNXVbiQwCgYIKoZIzj0EAwIw
HTEbMBkGA1UEAwwSa3RzLXRlc3QtY2xpZW50LWNhMCAXDTI2MTEyMzAxNTkwMFoY
DzIxMjYxMDMwMDE1OTAwWjAdMRswGQYDVQQDDBJrdHMtdGVzdC1jbGllbnQtY2Ew
WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAS1B+LshbfG8Uvt1nzerajmfUSRZN1v
qbV7GEe0Ki+g7ZeTpnjtj/MUtzvLdDXPgyvGupL88WvsxbmDLSC3BHUDo1MwUTAd
BgNVHQ4EFgQU0DPB+JLx0jAT6uhf51ppo30ysUIwHwYDVR0jBBgwFoAU0DPB+JLx
0jAT6uhf51ppo30ysUIwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBF
AiEA2KaSamFLJDzI4LWBPj8up96QaJJ4kufHhMtE6IFTz/cCIFbknp4ieFdw9BOd
69kGEr/SvvVUwIYUIY9XhJvH1qY+
-----END CERTIFICATE-----`;
const CA_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQggHDISl9GY85IULY2
Y3r+J7YbnrET+gYGtCEz+Q4l/26hRANCAAS1B+LshbfG8Uvt1nzerajmfUSRZN1v
qbV7GEe0Ki+g7ZeTpnjtj/MUtzvLdDXPgyvGupL88WvsxbmDLSC3BHUD
-----END PRIVATE KEY-----`;
const ALICE_CERT = `-----BEGIN CERTIFICATE-----
MIIBkDCCATegAwIBAgIBBzAKBggqhkjOPQQDAjAdMRswGQYDVQQDDBJrdHMtdGVz
dC1jbGllbnQtY2EwIBcNMjYxMTIzMDE1OTAwWhgPMjEyNjEwMzAwMTU5MDBaMCwx
DjAMBgNVBAMMBWFsaWNlMQwwCgYDVQQKDANkZXYxDDAKBgNVBAoMA29wczBZMBMG
ByqGSM49AgEGCCqGSM49AwEHA0IABPup9weYhu+xlEeOcYG7t6dZFvtzdqy7wENS
facvmS81sB6C1bqsig4Je7pouuV3gPd+4ocfJYrneoGsYgFOdeSjVzBVMBMGA1Ud
JQQMMAoGCCsGAQUFBwMCMB0GA1UdDgQWBBTxsovMOQQGK8gb1SW3ZttfYD/MJzAf
BgNVHSMEGDAWgBTQM8H4kvHSMBPq6F/nWmmjfTKxQjAKBggqhkjOPQQDAgNHADBE
AiA8VrXpxnfTulLA2qT9uyJB8Dz/84xbCqxxFkHNw5yj1gIgE4uJwsE33xWerk07
i6Hdvsf46siDMWJ1pIiN1cVBZJg=
-----END CERTIFICATE-----`;
const ALICE_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg1khs7cf9m3U8vILA
1EbE781e7fBaCdaao5k32tmKk72hRANCAAT7qfcHmIbvsZRHjnGBu7enWRb7c3as
u8BDUn2nL5kvNbAegtW6rIoOCXu6aLrld4D3fuKHHyWK53qBrGIBTnXk
-----END PRIVATE KEY-----`;
const MALLORY_CERT = `-----BEGIN CERTIFICATE-----
MIIBejCCASGgAwIBAgIUA/PNtMocZfaEoeY1EmKfBViqgfMwCgYIKoZIzj0EAwIw
EjEQMA4GA1UEAwwHbWFsbG9yeTAgFw0yNjExMjMwMTU5MDBaGA8yMTI2MTAzMDAx
NTkwMFowEjEQMA4GA1UEAwwHbWFsbG9yeTBZMBMGByqGSM49AgEGCCqGSM49AwEH
A0IABFGIgcpRsQIMeqcw0tVObA48j1DKQ39Mq5d09u4C4p9hDqVyVFRTJqZlb5Sp
T53cGcgTSZv9dmU7nTRlJYX0ItijUzBRMB0GA1UdDgQWBBQUORj6Oeksf82zQ3it
8bH5vLhRyDAfBgNVHSMEGDAWgBQUORj6Oeksf82zQ3it8bH5vLhRyDAPBgNVHRMB
Af8EBTADAQH/MAoGCCqGSM49BAMCA0cAMEQCIDpiTBwNpbHAKEE5xTO1BLdhtlVj
aIzAwJ6GrSkXYmi7AiBQzYVAdmCw7IWD6uLDkjJqp5/pnEGrC2NuoVbcDfHmKw==
-----END CERTIFICATE-----`;
const MALLORY_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgIOvdIDVa/h0iSIz0
EXo1rAA6MA4jTA2jcRuWePbmbnehRANCAARRiIHKUbECDHqnMNLVTmwOPI9QykN/
TKuXdPbuAuKfYQ6lclRUUyamZW+UqU+d3BnIE0mb/XZlO500ZSWF9CLY
-----END PRIVATE KEY-----`;

/** Connects with an optional client certificate and returns the ConnInfo the handler saw. */
async function seenBy(serve: Serve, client?: { cert: string; key: string }): Promise<ConnInfo["tls"]> {
  let seen: ConnInfo | undefined;
  const server = await serve.listen({ host: "127.0.0.1", port: 0, tls: { cert: CA_CERT, key: CA_KEY, clientCA: CA_CERT } }, async (_req, conn) => {
    seen = conn;
    return new Response("ok");
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const req = httpsRequest({ host: "127.0.0.1", port: server.port, path: "/", rejectUnauthorized: false, agent: false, ...client }, (res) => {
        res.resume();
        res.on("end", () => resolve());
      });
      req.on("error", reject);
      req.end();
    });
  } finally {
    await server.close();
  }
  return seen?.tls;
}

for (const [name, serve] of [["node TLS verification", nodeServe], ["in-process verification (the Deno host)", createNodeServe({ clientCertificates: "in-process" })]] as const) {
  test(`${name}: a certificate from the client CA is authorized with its subject`, async () => {
    assert.equal(await seenBy(serve, { cert: ALICE_CERT, key: ALICE_KEY }), { authorized: true, peer: { commonName: "alice", organizations: ["dev", "ops"] } });
  });

  test(`${name}: a certificate from another CA is not authorized; no certificate, no peer`, async () => {
    const mallory = await seenBy(serve, { cert: MALLORY_CERT, key: MALLORY_KEY });
    assert.is(mallory?.authorized, false);
    assert.is(mallory?.peer?.commonName, "mallory");
    assert.equal(await seenBy(serve), { authorized: false, peer: undefined });
  });
}

test.run();
