import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Pod, Volume } from "../../bindings/kube/types.ts";
import type { FileProjection } from "../../kubelet/volumemanager/atomicWriter.ts";
import { standaloneObjectSource, type ConfigMap, type ObjectSource, type Secret, type TokenRequestSpec } from "../../kubelet/volumemanager/objectSource.ts";
import { aggregateErrors, configMapPayload, secretPayload, type PayloadResult } from "../../kubelet/volumemanager/payloads.ts";
import { TokenManager } from "../../kubelet/volumemanager/tokenManager.ts";
import { collectPayload, type PluginContext } from "../../kubelet/volumemanager/volumePlugins.ts";
import { FakeMounter } from "./support/fakeMounter.ts";
import { nodeFs } from "../../hosts/node/fs.ts";

const b64 = (s: string) => Buffer.from(s).toString("base64");
const cm: ConfigMap = { metadata: { name: "cfg" }, data: { "game.properties": "lives=3", "ui.properties": "color=red" }, binaryData: { "logo.bin": b64("\x00\x01") } };
const secret: Secret = { metadata: { name: "creds" }, data: { username: b64("admin"), password: b64("s3cret") } };

function files(r: PayloadResult): Record<string, { data: string; mode: string }> {
  if ("error" in r) throw new Error(r.error);
  const out: Record<string, { data: string; mode: string }> = {};
  const text = (f: FileProjection) => (typeof f.data === "string" ? f.data : Buffer.from(f.data).toString("latin1"));
  for (const [k, f] of r.payload) out[k] = { data: text(f), mode: f.mode.toString(8) };
  return out;
}

test("configMap without items projects every data and binaryData key with defaultMode", () => {
  assert.equal(files(configMapPayload(cm, undefined, 0o640, false)), {
    "game.properties": { data: "lives=3", mode: "640" },
    "ui.properties": { data: "color=red", mode: "640" },
    "logo.bin": { data: "\x00\x01", mode: "640" },
  });
});

test("configMap items choose keys, paths and per-item modes; defaultMode defaults to 0644", () => {
  const r = configMapPayload(cm, [{ key: "game.properties", path: "conf/game" }, { key: "ui.properties", path: "ui", mode: 0o400 }], undefined, false);
  assert.equal(files(r), { "conf/game": { data: "lives=3", mode: "644" }, ui: { data: "color=red", mode: "400" } });
});

test("an item naming a missing key fails the volume unless optional", () => {
  assert.equal(configMapPayload(cm, [{ key: "nope", path: "x" }], 0o644, false), { error: "configmap references non-existent config key: nope" });
  assert.equal(files(configMapPayload(cm, [{ key: "nope", path: "x" }], 0o644, true)), {});
  assert.equal(secretPayload(secret, [{ key: "nope", path: "x" }], 0o644, false), { error: "references non-existent secret key: nope" });
});

test("secret values are base64-decoded", () => {
  assert.equal(files(secretPayload(secret, undefined, 0o644, false)), { username: { data: "admin", mode: "644" }, password: { data: "s3cret", mode: "644" } });
});

test("errors aggregate like Go's NewAggregate", () => {
  assert.is(aggregateErrors([]), undefined);
  assert.is(aggregateErrors(["a"]), "a");
  assert.is(aggregateErrors(["a", "b", "a"]), "[a, b]");
});

function source(opts: { tokens?: TokenRequestSpec[] } = {}): ObjectSource {
  return {
    getConfigMap: async (_ns, name) => (name === "cfg" ? cm : undefined),
    getSecret: async (_ns, name) => (name === "creds" ? secret : undefined),
    requestToken: async (ns, sa, spec) => {
      opts.tokens?.push(spec);
      return { token: `token-for-${ns}/${sa}`, expirationTimestamp: new Date(Date.now() + (spec.expirationSeconds ?? 3600) * 1000).toISOString() };
    },
  };
}

const pod: Pod = { metadata: { name: "web", namespace: "prod", uid: "u-1", labels: { app: "web" } }, spec: { containers: [], serviceAccountName: "builder" } };

function ctx(objects: ObjectSource): PluginContext {
  return { fs: nodeFs, mounter: new FakeMounter(), objects, tokens: new TokenManager(objects, () => Date.now()), now: () => Date.now() };
}

test("a missing configMap or secret fails with upstream's not-found message; optional ones give an empty volume", async () => {
  const c = ctx(source());
  assert.equal(await collectPayload(c, pod, { name: "v", configMap: { name: "absent" } }), { error: 'configmap "absent" not found' });
  assert.equal(await collectPayload(c, pod, { name: "v", secret: { secretName: "absent" } }), { error: 'secret "absent" not found' });
  assert.equal(files(await collectPayload(c, pod, { name: "v", configMap: { name: "absent", optional: true } })), {});
  assert.equal(files(await collectPayload(c, pod, { name: "v", secret: { secretName: "absent", optional: true, items: [{ key: "k", path: "k" }] } })), {});
});

test("standalone: configMap, secret and token volumes fail with a clear message", async () => {
  const c = ctx(standaloneObjectSource);
  assert.equal(await collectPayload(c, pod, { name: "v", configMap: { name: "cfg" } }), { error: "cannot get configmap prod/cfg: the kubelet runs standalone, without an API server" });
  assert.equal(await collectPayload(c, pod, { name: "v", secret: { secretName: "creds" } }), { error: "cannot get secret prod/creds: the kubelet runs standalone, without an API server" });
  const projected: Volume = { name: "v", projected: { sources: [{ serviceAccountToken: { path: "token" } }], defaultMode: 0o644 } };
  assert.equal(await collectPayload(c, pod, projected), { error: "cannot request a token for service account prod/builder: the kubelet runs standalone, without an API server" });
});

test("projected merges token, configMap, secret and downwardAPI sources with the volume's defaultMode", async () => {
  const requests: TokenRequestSpec[] = [];
  const c = ctx(source({ tokens: requests }));
  const r = await collectPayload(c, pod, {
    name: "all", projected: {
      defaultMode: 0o600,
      sources: [
        { serviceAccountToken: { path: "token", audience: "vault", expirationSeconds: 7200 } },
        { configMap: { name: "cfg", items: [{ key: "game.properties", path: "game" }] } },
        { secret: { name: "creds", items: [{ key: "username", path: "user", mode: 0o400 }] } },
        { downwardAPI: { items: [{ path: "labels", fieldRef: { fieldPath: "metadata.labels" } }] } },
      ],
    },
  });
  assert.equal(files(r), {
    token: { data: "token-for-prod/builder", mode: "600" },
    game: { data: "lives=3", mode: "600" },
    user: { data: "admin", mode: "400" },
    labels: { data: 'app="web"', mode: "600" },
  });
  assert.equal(requests, [{ audiences: ["vault"], expirationSeconds: 7200, boundObjectRef: { apiVersion: "v1", kind: "Pod", name: "web", uid: "u-1" } }]);
});

test("projected aggregates every failing source; a token shorter than 10 minutes is refused", async () => {
  const c = ctx(source());
  const r = await collectPayload(c, pod, {
    name: "p", projected: { defaultMode: 0o644, sources: [{ configMap: { name: "absent" } }, { secret: { name: "gone" } }, { serviceAccountToken: { path: "t", expirationSeconds: 60 } }] },
  });
  assert.equal(r, { error: '[configmap "absent" not found, secret "gone" not found, serviceAccountToken.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes]' });
});

test.run();
