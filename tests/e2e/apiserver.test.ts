import { test } from "uvu";
import * as assert from "uvu/assert";
import { apiRequest, kubectl } from "./support/cluster.ts";

test("kube-apiserver reports healthz ok through kubectl", async () => {
  assert.is((await kubectl(["get", "--raw", "/healthz"])).trim(), "ok");
});

test("kube-apiserver is v1.20.2", async () => {
  const res = await apiRequest("GET", "/version");
  assert.is(res.status, 200);
  assert.is(JSON.parse(res.body).gitVersion, "v1.20.2");
});

test("an object created with kubectl is read back over HTTPS with the admin credentials", async () => {
  const name = `kts-e2e-${Date.now().toString(36)}`;
  const manifest = JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "default" }, data: { greeting: "hello" } });
  await kubectl(["apply", "-f", "-"], manifest);
  try {
    const res = await apiRequest("GET", `/api/v1/namespaces/default/configmaps/${name}`);
    assert.is(res.status, 200);
    assert.is(JSON.parse(res.body).data.greeting, "hello");
  } finally {
    await kubectl(["delete", "configmap", name, "--ignore-not-found"]);
  }
  const gone = await apiRequest("GET", `/api/v1/namespaces/default/configmaps/${name}`);
  assert.is(gone.status, 404);
});

test.run();
