import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Container, Pod } from "../../bindings/kube/types.ts";
import { isEnvVarName, makeContainerEnv, type ContainerEnvOptions } from "../../kubelet/envvars/containerEnv.ts";

function pod(containers: Container[]): Pod {
  return {
    metadata: { name: "web", namespace: "prod", uid: "u-1", labels: { app: "web", tier: "fe" }, annotations: { note: 'say "hi"' } },
    spec: { containers, nodeName: "node-1", serviceAccountName: "sa" },
  };
}

const lookups: ContainerEnvOptions = {
  hostIP: "192.168.1.10",
  podIP: "10.1.0.5",
  podIPs: ["10.1.0.5", "fd00::5"],
  getConfigMap: (name) => (name === "cfg" ? { LOG_LEVEL: "debug", "1BAD": "x", "ok.key": "y" } : undefined),
  getSecret: (name) => (name === "creds" ? { PASSWORD: "s3cret" } : undefined),
  resourceValue: (c, r, d) => `${c}:${r}/${d}`,
};

const env = (c: Container, o: ContainerEnvOptions = lookups) => makeContainerEnv(pod([c]), c, o);
const asObj = (r: { env: { key: string; value: string }[] }) => Object.fromEntries(r.env.map((e) => [e.key, e.value]));

test("env values expand against earlier variables and service variables, not later ones", () => {
  const r = env(
    { name: "c", env: [{ name: "A", value: "a" }, { name: "B", value: "$(A)-$(SVC_HOST)-$(C)" }, { name: "C", value: "c" }] },
    { serviceEnv: { SVC_HOST: "10.0.0.1" } },
  );
  assert.equal(r.errors, []);
  assert.is(asObj(r).B, "a-10.0.0.1-$(C)");
});

test("variables keep declaration order and service variables not set by the container come last", () => {
  const r = env({ name: "c", env: [{ name: "Z", value: "1" }, { name: "SVC_PORT", value: "own" }, { name: "A", value: "2" }] }, {
    serviceEnv: { SVC_HOST: "10.0.0.1", SVC_PORT: "80" },
  });
  assert.equal(r.env, [{ key: "Z", value: "1" }, { key: "SVC_PORT", value: "own" }, { key: "A", value: "2" }, { key: "SVC_HOST", value: "10.0.0.1" }]);
});

test("fieldRef resolves pod metadata, spec and status fields", () => {
  const paths = ["metadata.name", "metadata.namespace", "metadata.uid", "metadata.labels['app']", "metadata.annotations['note']",
    "metadata.labels['missing']", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.podIP", "status.podIPs"];
  const r = env({ name: "c", env: paths.map((p, i) => ({ name: `V${i}`, valueFrom: { fieldRef: { fieldPath: p } } })) });
  assert.equal(r.errors, []);
  assert.equal(r.env.map((e) => e.value), ["web", "prod", "u-1", "web", 'say "hi"', "", "node-1", "sa", "192.168.1.10", "10.1.0.5", "10.1.0.5,fd00::5"]);
});

test("fieldRef to a whole label map gives sorted key=\"value\" lines", () => {
  const r = env({ name: "c", env: [{ name: "L", valueFrom: { fieldRef: { fieldPath: "metadata.labels" } } }] });
  assert.is(asObj(r).L, 'app="web"\ntier="fe"');
});

test("an unsupported fieldRef is an error naming the path", () => {
  const r = env({ name: "c", env: [{ name: "X", valueFrom: { fieldRef: { fieldPath: "spec.bogus" } } }] });
  assert.equal(r.errors, ["field label not supported: spec.bogus"]);
  assert.equal(r.env, []);
});

test("resourceFieldRef asks the injected resource function, defaulting to this container and divisor 1", () => {
  const r = env({ name: "app", env: [
    { name: "MEM", valueFrom: { resourceFieldRef: { resource: "limits.memory" } } },
    { name: "CPU", valueFrom: { resourceFieldRef: { containerName: "side", resource: "requests.cpu", divisor: "1m" } } },
  ] });
  assert.equal(asObj(r), { MEM: "app:limits.memory/1", CPU: "side:requests.cpu/1m" });
});

test("configMapKeyRef and secretKeyRef read the injected lookups", () => {
  const r = env({ name: "c", env: [
    { name: "LVL", valueFrom: { configMapKeyRef: { name: "cfg", key: "LOG_LEVEL" } } },
    { name: "PW", valueFrom: { secretKeyRef: { name: "creds", key: "PASSWORD" } } },
  ] });
  assert.equal(r.errors, []);
  assert.equal(asObj(r), { LVL: "debug", PW: "s3cret" });
});

test("a missing ConfigMap or Secret is an upstream-worded error unless optional", () => {
  const r = env({ name: "c", env: [
    { name: "A", valueFrom: { configMapKeyRef: { name: "nope", key: "k" } } },
    { name: "B", valueFrom: { secretKeyRef: { name: "gone", key: "k" } } },
    { name: "C", valueFrom: { configMapKeyRef: { name: "nope", key: "k", optional: true } } },
  ] });
  assert.equal(r.errors, ['configmap "nope" not found', 'secret "gone" not found']);
  assert.equal(r.env, []);
});

test("a missing key is an error naming key, kind and namespace/name unless optional", () => {
  const r = env({ name: "c", env: [
    { name: "A", valueFrom: { configMapKeyRef: { name: "cfg", key: "k" } } },
    { name: "B", valueFrom: { secretKeyRef: { name: "creds", key: "USER" } } },
    { name: "C", valueFrom: { secretKeyRef: { name: "creds", key: "USER", optional: true } } },
  ] });
  assert.equal(r.errors, ["couldn't find key k in ConfigMap prod/cfg", "couldn't find key USER in Secret prod/creds"]);
  assert.equal(r.env, []);
});

test("envFrom imports every valid key with the prefix and skips invalid names", () => {
  const r = env({ name: "c", envFrom: [{ configMapRef: { name: "cfg" } }, { prefix: "S_", secretRef: { name: "creds" } }] });
  assert.equal(r.errors, []);
  assert.equal(asObj(r), { LOG_LEVEL: "debug", "ok.key": "y", S_PASSWORD: "s3cret" });
  assert.equal(r.warnings, ["Keys [1BAD] from the EnvFrom configMap prod/cfg were skipped since they are considered invalid environment variable names."]);
});

test("a prefix can make an otherwise invalid key valid", () => {
  const r = env({ name: "c", envFrom: [{ prefix: "P", configMapRef: { name: "cfg" } }] });
  assert.is(asObj(r).P1BAD, "x");
});

test("env entries override envFrom values and can reference them", () => {
  const r = env({ name: "c", envFrom: [{ configMapRef: { name: "cfg" } }], env: [{ name: "LOG_LEVEL", value: "info,was=$(LOG_LEVEL)" }] });
  assert.is(asObj(r).LOG_LEVEL, "info,was=debug");
});

test("a missing envFrom source is an error unless optional", () => {
  const r = env({ name: "c", envFrom: [{ configMapRef: { name: "x" } }, { secretRef: { name: "y", optional: true } }] });
  assert.equal(r.errors, ['configmap "x" not found']);
});

test("environment variable names follow upstream's IsEnvVarName", () => {
  for (const ok of ["A", "_a", "a.b", "-x", "A1"]) assert.ok(isEnvVarName(ok), ok);
  for (const bad of ["1A", "", "a b", "a=b", "ä"]) assert.not.ok(isEnvVarName(bad), bad);
});

test.run();
