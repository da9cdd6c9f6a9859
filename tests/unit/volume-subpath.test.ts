import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Container, Pod } from "../../bindings/kube/types.ts";
import { nodeFs } from "../../hosts/node/fs.ts";
import { expandSubPathExpr, makeMounts, mountPropagation, safeMakeSubPathDir, subPathError, type MountOptions } from "../../kubelet/volumemanager/containerMounts.ts";
import { FakeMounter } from "./support/fakeMounter.ts";

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), "kts-subpath-"));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test("absolute subPaths and '..' elements are refused with upstream's messages", () => {
  assert.is(subPathError("/etc"), "error SubPath `/etc` must not be an absolute path");
  assert.is(subPathError("a/../../etc"), "unable to provision SubPath `a/../../etc`: must not contain '..'");
  assert.is(subPathError("a/..b/c"), undefined);
});

test("subPathExpr expands from the container env; unset or empty variables are errors", () => {
  const env = [{ key: "POD_NAME", value: "web-0" }, { key: "EMPTY", value: "" }];
  assert.is(expandSubPathExpr("logs/$(POD_NAME)", env), "logs/web-0");
  assert.equal(expandSubPathExpr("$(NOPE)/$(EMPTY)/$(POD_NAME)", env), { error: "missing value for EMPTY, NOPE" });
});

test("mount propagation maps to CRI values", () => {
  assert.is(mountPropagation(undefined), "PROPAGATION_PRIVATE");
  assert.is(mountPropagation("None"), "PROPAGATION_PRIVATE");
  assert.is(mountPropagation("HostToContainer"), "PROPAGATION_HOST_TO_CONTAINER");
  assert.is(mountPropagation("Bidirectional"), "PROPAGATION_BIDIRECTIONAL");
  assert.equal(mountPropagation("Sideways" as never), { error: 'invalid MountPropagation mode: "Sideways"' });
});

test("missing subPath directories are created inside the volume with the volume's mode", withDir(async (dir) => {
  const vol = join(dir, "vol");
  mkdirSync(vol, { mode: 0o777 });
  await nodeFs.chmod(vol, 0o777);
  await safeMakeSubPathDir(nodeFs, new FakeMounter(), vol, "a/b/c");
  assert.is(statSync(join(vol, "a/b/c")).mode & 0o777, 0o777);
}));

test("a symlink in the volume pointing outside cannot be used to create directories outside", withDir(async (dir) => {
  const vol = join(dir, "vol");
  const outside = join(dir, "outside");
  mkdirSync(vol);
  mkdirSync(outside);
  symlinkSync(outside, join(vol, "evil"));
  await safeMakeSubPathDir(nodeFs, new FakeMounter(), vol, "evil/new").then(
    () => assert.unreachable("created through an escaping symlink"),
    (err: Error) => assert.match(err.message, /is outside of allowed base/),
  );
  assert.ok(!existsSync(join(outside, "new")));
}));

const podWith = (container: Container, extra: Partial<Pod["spec"]> = {}): Pod => ({
  metadata: { name: "web", namespace: "prod", uid: "u-1" },
  spec: {
    containers: [container],
    volumes: [{ name: "data", emptyDir: {} }, { name: "cfg", configMap: { name: "cfg" } }, { name: "host", hostPath: { path: "/srv" } }],
    ...extra,
  },
});

function options(dir: string, mounter: FakeMounter, extra: Partial<MountOptions> = {}): MountOptions {
  return { fs: nodeFs, mounter, podDir: join(dir, "pods/u-1"), env: [{ key: "NAME", value: "web" }], podIPs: ["10.88.0.7"], clusterDomain: "cluster.local", ...extra };
}

test("mounts resolve to volume host paths; data volumes are always read-only; /etc/hosts comes last", withDir(async (dir) => {
  const c: Container = { name: "app", volumeMounts: [
    { name: "data", mountPath: "/data" },
    { name: "cfg", mountPath: "/etc/cfg" },
    { name: "host", mountPath: "/srv", readOnly: true, mountPropagation: "HostToContainer" },
  ] };
  mkdirSync(join(dir, "pods/u-1"), { recursive: true });
  const r = await makeMounts(podWith(c), c, options(dir, new FakeMounter()));
  if ("error" in r) throw new Error(r.error);
  const pd = join(dir, "pods/u-1");
  assert.equal(r.mounts.map((m) => [m.containerPath, m.hostPath, m.readonly, m.propagation]), [
    ["/data", `${pd}/volumes/kubernetes.io~empty-dir/data`, false, "PROPAGATION_PRIVATE"],
    ["/etc/cfg", `${pd}/volumes/kubernetes.io~configmap/cfg`, true, "PROPAGATION_PRIVATE"],
    ["/srv", "/srv", true, "PROPAGATION_HOST_TO_CONTAINER"],
    ["/etc/hosts", `${pd}/etc-hosts`, false, "PROPAGATION_PRIVATE"],
  ]);
  assert.match(readFileSync(`${pd}/etc-hosts`, "utf8"), /\n10\.88\.0\.7\tweb\n$/);
}));

test("no /etc/hosts before the pod has an IP, nor when the container mounts its own", withDir(async (dir) => {
  const c: Container = { name: "app", volumeMounts: [{ name: "data", mountPath: "/etc/hosts" }] };
  const own = await makeMounts(podWith(c), c, options(dir, new FakeMounter()));
  assert.ok("mounts" in own && own.mounts.length === 1);
  const bare: Container = { name: "app" };
  const noIp = await makeMounts(podWith(bare), bare, options(dir, new FakeMounter(), { podIPs: [] }));
  assert.equal(noIp, { mounts: [] });
}));

test("subPath and subPathExpr are bound per mount under volume-subpaths; escapes are refused", withDir(async (dir) => {
  const pd = join(dir, "pods/u-1");
  const vol = `${pd}/volumes/kubernetes.io~empty-dir/data`;
  mkdirSync(vol, { recursive: true });
  writeFileSync(join(vol, "app.conf"), "x=1");
  symlinkSync("/etc", join(vol, "evil"));
  const mounter = new FakeMounter();
  const c: Container = { name: "app", volumeMounts: [
    { name: "data", mountPath: "/conf/app.conf", subPath: "app.conf" },
    { name: "data", mountPath: "/logs", subPathExpr: "logs/$(NAME)" },
  ] };
  const r = await makeMounts(podWith(c), c, options(dir, mounter, { podIPs: [] }));
  if ("error" in r) throw new Error(r.error);
  assert.equal(r.mounts.map((m) => m.hostPath), [`${pd}/volume-subpaths/data/app/0`, `${pd}/volume-subpaths/data/app/1`]);
  assert.ok(statSync(join(vol, "logs/web")).isDirectory());
  assert.equal(mounter.calls, [`subpath app.conf ${pd}/volume-subpaths/data/app/0`, `subpath logs/web ${pd}/volume-subpaths/data/app/1`]);

  const evil: Container = { name: "evil", volumeMounts: [{ name: "data", mountPath: "/x", subPath: "evil" }] };
  assert.equal(await makeMounts(podWith(evil), evil, options(dir, mounter)), { error: 'failed to prepare subPath for volumeMount "data" of container "evil"' });
  const dots: Container = { name: "dots", volumeMounts: [{ name: "data", mountPath: "/x", subPathExpr: "$(UP)/etc" }] };
  assert.equal(await makeMounts(podWith(dots), dots, options(dir, mounter, { env: [{ key: "UP", value: ".." }] })), { error: "unable to provision SubPath `../etc`: must not contain '..'" });
  const missing: Container = { name: "m", volumeMounts: [{ name: "nope", mountPath: "/x" }] };
  assert.equal(await makeMounts(podWith(missing), missing, options(dir, mounter)), { error: 'cannot find volume "nope" to mount into container "m"' });
}));

test.run();
