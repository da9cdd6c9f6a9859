/**
 * Registry credentials as upstream 1.20's credentialprovider reads and matches them: pull secret and
 * docker config parsing, the keyring's URL matching and order, the node config search, and the image
 * manager trying credentials in order (against a fake CRI).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { AuthConfig } from "../../bindings/cri/types.ts";
import type { Pod } from "../../bindings/kube/types.ts";
import {
  CredentialsError, DockerKeyring, dockerConfigFromSecret, parseDockercfg, parseDockerConfigJson, registryMatches, type DockerConfig,
} from "../../kubelet/images/credentials.ts";
import { PullCredentials } from "../../kubelet/images/pullCredentials.ts";
import { ImageManager, repositoryToPull } from "../../kubelet/images/imageManager.ts";
import { CriError, type Cri } from "../../kubelet/ports/cri.ts";
import type { Backoff } from "../../kubelet/backoff.ts";
import { createLogger } from "../../kubelet/log.ts";
import type { KubeletEvent } from "../../kubelet/events/recorder.ts";
import type { Secret } from "../../kubelet/volumemanager/objectSource.ts";
import { memoryFs } from "./support/memoryFs.ts";

const b64 = (s: string) => btoa(s);
const entry = (username: string, password: string) => ({ username, password, email: "" });
const cfg = (entries: Record<string, { username: string; password: string; email: string }>): DockerConfig => new Map(Object.entries(entries));
const users = (auths: AuthConfig[]) => auths.map((a) => a.username);

function pullSecret(name: string, auths: Record<string, unknown>, type = "kubernetes.io/dockerconfigjson"): Secret {
  const key = type === "kubernetes.io/dockercfg" ? ".dockercfg" : ".dockerconfigjson";
  const doc = type === "kubernetes.io/dockercfg" ? auths : { auths };
  return { metadata: { name, namespace: "ns" }, type, data: { [key]: b64(JSON.stringify(doc)) } };
}

// ------------------------------------------------------------------ parsing

test("dockerconfigjson: entries per location; base64 auth is split into username and password", () => {
  const c = parseDockerConfigJson(JSON.stringify({ auths: {
    "127.0.0.1:5001": { auth: b64("kts:kts:secret"), email: "a@b" },
    "https://index.docker.io/v1/": { username: "u", password: "p" },
    "quay.io": { username: "x", password: "y", identitytoken: "idt", registrytoken: "rt" },
  } }), "config.json");
  assert.equal(c.get("127.0.0.1:5001"), { username: "kts", password: "kts:secret", email: "a@b" });
  assert.equal(c.get("https://index.docker.io/v1/"), { username: "u", password: "p", email: "" });
  assert.equal(c.get("quay.io"), { username: "x", password: "y", email: "", identityToken: "idt", registryToken: "rt" });
  assert.is(parseDockerConfigJson("{}", "f").size, 0);
});

test("dockercfg: the legacy flat format", () => {
  const c = parseDockercfg(JSON.stringify({ "reg.example.com": { auth: b64("a:b") } }), ".dockercfg");
  assert.equal(c.get("reg.example.com"), { username: "a", password: "b", email: "" });
});

test("pull secrets: both secret types; other types, the wrong key or an empty key give none", () => {
  const json = dockerConfigFromSecret(pullSecret("s", { "r.io": { auth: b64("a:b") } }))!;
  assert.equal(json.get("r.io")?.username, "a");
  const legacy = dockerConfigFromSecret(pullSecret("s", { "r.io": { username: "c", password: "d" } }, "kubernetes.io/dockercfg"))!;
  assert.equal(legacy.get("r.io")?.password, "d");
  assert.is(dockerConfigFromSecret({ metadata: { name: "o" }, type: "Opaque", data: { ".dockerconfigjson": b64("{}") } }), undefined);
  assert.is(dockerConfigFromSecret({ metadata: { name: "o" }, type: "kubernetes.io/dockercfg", data: { ".dockerconfigjson": b64("{}") } }), undefined);
  assert.is(dockerConfigFromSecret({ metadata: { name: "o" }, type: "kubernetes.io/dockerconfigjson", data: { ".dockerconfigjson": "" } }), undefined);
});

test("malformed secrets give a clear error naming the secret and field, never the credential", () => {
  const bad = (data: string) => ({ metadata: { name: "bad", namespace: "ns" }, type: "kubernetes.io/dockerconfigjson", data: { ".dockerconfigjson": data } });
  const message = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      assert.instance(err, CredentialsError);
      return (err as Error).message;
    }
    throw new Error("expected a CredentialsError");
  };
  assert.match(message(() => dockerConfigFromSecret(bad(b64("not json")))), /secret ns\/bad key "\.dockerconfigjson": not valid JSON/);
  assert.match(message(() => dockerConfigFromSecret(bad("%%%"))), /secret ns\/bad: data key "\.dockerconfigjson" is not valid base64/);
  assert.match(message(() => dockerConfigFromSecret(bad(b64(JSON.stringify({ auths: [] }))))), /expected an object of registry locations/);
  const noColon = message(() => dockerConfigFromSecret(bad(b64(JSON.stringify({ auths: { "r.io": { auth: b64("hunter2") } } })))));
  assert.match(noColon, /entry "r\.io": unable to parse auth field, must be formatted as base64\(username:password\)/);
  assert.not.match(noColon, /hunter2/);
  assert.match(message(() => dockerConfigFromSecret(bad(b64(JSON.stringify({ auths: { "r.io": { password: 7 } } }))))), /field "password" must be a string/);
});

// ------------------------------------------------------------------ keyring

test("image names normalize as upstream's repoToPull: docker.io/library, host:port kept, tag and digest dropped", () => {
  assert.is(repositoryToPull("busybox"), "docker.io/library/busybox");
  assert.is(repositoryToPull("busybox:1.36"), "docker.io/library/busybox");
  assert.is(repositoryToPull("team/app"), "docker.io/team/app");
  assert.is(repositoryToPull("index.docker.io/team/app:v1"), "docker.io/team/app");
  assert.is(repositoryToPull("127.0.0.1:5001/busybox:latest"), "127.0.0.1:5001/busybox");
  assert.is(repositoryToPull(`quay.io/coreos/etcd@sha256:${"a".repeat(64)}`), "quay.io/coreos/etcd");
  assert.is(repositoryToPull("localhost/app:x"), "localhost/app");
});

test("URL matching: ports must agree, globs per host label, paths by prefix", () => {
  assert.ok(registryMatches("127.0.0.1:5001", "127.0.0.1:5001/busybox"));
  assert.not.ok(registryMatches("127.0.0.1:5001", "127.0.0.1:5000/busybox"));
  assert.not.ok(registryMatches("127.0.0.1", "127.0.0.1:5001/busybox"));
  assert.ok(registryMatches("*.example.com", "reg.example.com/app"));
  assert.not.ok(registryMatches("*.example.com", "a.reg.example.com/app"));
  assert.not.ok(registryMatches("*.example.com", "example.com/app"));
  assert.ok(registryMatches("reg-[0-9].example.com", "reg-7.example.com/app"));
  assert.not.ok(registryMatches("reg-[0-9].example.com", "reg-x.example.com/app"));
  assert.ok(registryMatches("quay.io/coreos", "quay.io/coreos/etcd"));
  assert.not.ok(registryMatches("quay.io/coreos", "quay.io/other/etcd"));
  assert.not.ok(registryMatches("[.example.com", "a.example.com/x"), "a bad glob matches nothing");
});

test("keyring: most specific location first, scheme and /v1/ /v2/ dropped, duplicates of one key kept in order", () => {
  const k = new DockerKeyring();
  k.add(cfg({ "https://quay.io": entry("host", ""), "quay.io/coreos": entry("path", ""), "*.io": entry("glob", "") }));
  k.add(cfg({ "http://quay.io/v2/": entry("host2", ""), "quay.io/coreos/etcd": entry("deeper", "") }));
  assert.equal(users(k.lookup("quay.io/coreos/etcd")), ["deeper", "path", "host", "host2", "glob"]);
  assert.equal(users(k.lookup("quay.io/other/x")), ["host", "host2", "glob"]);
  assert.equal(users(k.lookup("gcr.io/x")), ["glob"]);
  assert.equal(k.lookup("127.0.0.1:5001/busybox"), []);
});

test("keyring: Docker Hub credentials (index.docker.io) serve docker.io images; explicit docker.io keys match directly", () => {
  const k = new DockerKeyring();
  k.add(cfg({ "https://index.docker.io/v1/": entry("hub", "") }));
  assert.equal(users(k.lookup(repositoryToPull("busybox"))), ["hub"]);
  assert.equal(users(k.lookup(repositoryToPull("team/app"))), ["hub"]);
  assert.equal(k.lookup("quay.io/team/app"), []);
  const d = new DockerKeyring();
  d.add(cfg({ "docker.io": entry("direct", "") }));
  assert.equal(users(d.lookup("docker.io/library/busybox")), ["direct"]);
});

test("keyring: AuthConfig carries user, password and tokens; auth and serverAddress stay empty as upstream", () => {
  const k = new DockerKeyring();
  assert.equal(k.add(cfg({ "r.io:bad": entry("x", "") })), ["r.io:bad"], "an invalid location is reported and skipped");
  k.add(parseDockerConfigJson(JSON.stringify({ auths: { "r.io": { auth: b64("u:p"), identitytoken: "it" } } }), "f"));
  assert.equal(k.lookup("r.io/app"), [{ username: "u", password: "p", auth: "", serverAddress: "", identityToken: "it", registryToken: "" }]);
});

// ------------------------------------------------------------------ pod secrets + node config

function podWith(secrets: string[]): Pod {
  return { metadata: { name: "p", namespace: "ns", uid: "u1" }, spec: { containers: [], imagePullSecrets: secrets.map((name) => ({ name })) } } as Pod;
}

function capture() {
  const lines: string[] = [];
  return { lines, log: createLogger(10, (l) => lines.push(l)) };
}

test("pod secrets come before node credentials; a missing or malformed secret is skipped with a warning, never its content", async () => {
  const secrets: Record<string, Secret> = {
    good: pullSecret("good", { "127.0.0.1:5001": { auth: b64("pod-user:pod-pass") } }),
    broken: { metadata: { name: "broken", namespace: "ns" }, type: "kubernetes.io/dockerconfigjson", data: { ".dockerconfigjson": b64("{\"auths\":{\"127.0.0.1:5001\":{\"auth\":\"" + b64("topsecret") + "\"}}}") } },
  };
  const fs = memoryFs({ "/var/lib/kubelet/config.json": JSON.stringify({ auths: { "127.0.0.1:5001": { username: "node-user", password: "node-pass" } } }) }).fs;
  const { lines, log } = capture();
  const pc = new PullCredentials({ objects: { getSecret: async (_ns, name) => secrets[name] }, fs, log, now: () => 0, rootDir: "/var/lib/kubelet" });
  const found = await pc.lookup("127.0.0.1:5001/busybox", podWith(["missing", "broken", "good"]));
  assert.equal(users(found), ["pod-user", "node-user"]);
  const text = lines.join("\n");
  assert.match(text, /Unable to retrieve pull secret.*secret="ns\/missing"/);
  assert.match(text, /Unable to use pull secret.*secret="ns\/broken".*unable to parse auth field/);
  for (const s of ["topsecret", "pod-pass", "node-pass", b64("topsecret")]) assert.not.ok(text.includes(s), s);
  assert.equal(users(await pc.lookup("127.0.0.1:5001/busybox", undefined)), ["node-user"], "without a pod: node credentials only");
});

test("a secret source that cannot be read (standalone) is skipped; node credentials still apply", async () => {
  const fs = memoryFs({ "/root/.docker/config.json": JSON.stringify({ auths: { "r.io": { auth: b64("home:pw") } } }) }).fs;
  const { lines, log } = capture();
  const pc = new PullCredentials({
    objects: { getSecret: () => Promise.reject(new Error("cannot get secret ns/s: the kubelet runs standalone")) },
    fs, log, now: () => 0, rootDir: "/var/lib/kubelet", cwd: "/work", home: "/root",
  });
  assert.equal(users(await pc.lookup("r.io/app", podWith(["s"]))), ["home"]);
  assert.match(lines.join("\n"), /runs standalone/);
});

test("node config search: root dir, cwd, $HOME/.docker, /.docker config.json first, then .dockercfg; invalid files are passed over", async () => {
  const auths = (u: string) => JSON.stringify({ auths: { "r.io": { username: u, password: "x" } } });
  const lookupWith = async (files: Record<string, string>) => {
    const pc = new PullCredentials({ objects: { getSecret: async () => undefined }, fs: memoryFs(files).fs, log: capture().log, now: () => 0, rootDir: "/var/lib/kubelet", cwd: "/work", home: "/home/k" });
    return users(await pc.lookup("r.io/app", undefined));
  };
  assert.equal(await lookupWith({ "/var/lib/kubelet/config.json": auths("root"), "/work/config.json": auths("cwd") }), ["root"]);
  assert.equal(await lookupWith({ "/var/lib/kubelet/config.json": "{broken", "/work/config.json": auths("cwd") }), ["cwd"]);
  assert.equal(await lookupWith({ "/home/k/.docker/config.json": auths("home"), "/.docker/config.json": auths("slash") }), ["home"]);
  assert.equal(await lookupWith({ "/.docker/config.json": auths("slash"), "/var/lib/kubelet/.dockercfg": JSON.stringify({ "r.io": entry("legacy", "") }) }), ["slash"]);
  assert.equal(await lookupWith({ "/home/k/.dockercfg": JSON.stringify({ "r.io": entry("legacy", "") }) }), ["legacy"]);
  assert.equal(await lookupWith({}), []);
});

test("node config is cached for 5 minutes, as upstream's caching provider", async () => {
  const fs = memoryFs({ "/k/.keep": "" }).fs;
  let now = 0;
  const pc = new PullCredentials({ objects: { getSecret: async () => undefined }, fs, log: capture().log, now: () => now, rootDir: "/k" });
  assert.equal(await pc.lookup("r.io/app", undefined), []);
  await fs.writeFileAtomic("/k/config.json", JSON.stringify({ auths: { "r.io": entry("late", "") } }));
  now = 299_000;
  assert.equal(await pc.lookup("r.io/app", undefined), []);
  now = 300_000;
  assert.equal(users(await pc.lookup("r.io/app", undefined)), ["late"]);
});

// ------------------------------------------------------------------ image manager

/** A fake CRI image service: accepts a pull only with the one right password (or anonymously when `open`). */
function fakeRegistryCri(opts: { password?: string; open?: boolean }) {
  const pulls: (AuthConfig | undefined)[] = [];
  const cri = {
    async imageStatus() {
      return { image: { id: "sha256:img", repoTags: [], repoDigests: [], size: 1, uid: null, username: "", spec: null, pinned: false }, info: {} };
    },
    async pullImage(_spec: unknown, auth?: AuthConfig) {
      pulls.push(auth);
      if (opts.open && !auth) return "sha256:img";
      if (auth && auth.password === opts.password) return "sha256:img";
      throw new CriError("Unknown", "PullImage", `failed to pull and unpack image "127.0.0.1:5001/busybox:latest": 401 Unauthorized (user ${auth?.username ?? "anonymous"})`);
    },
  } as unknown as Cri;
  return { cri, pulls };
}

const noBackoff = { inBackoffSinceUpdate: () => false, next: () => 0 } as unknown as Backoff;
const container = { name: "c", image: "127.0.0.1:5001/busybox:latest", imagePullPolicy: "Always" as const };
const subject = { kind: "Pod" as const, name: "p", namespace: "ns" };

function manager(cri: Cri, creds: AuthConfig[] | undefined) {
  const events: KubeletEvent[] = [];
  const recorder = { event: (s: typeof subject, type: "Normal" | "Warning", reason: string, message: string) => events.push({ subject: s, type, reason, message } as KubeletEvent) };
  const lookups: string[] = [];
  const im = new ImageManager(cri, recorder, noBackoff, () => 0, creds && (async (_uid, repo) => (lookups.push(repo), creds)));
  return { im, events, lookups };
}

const auth = (username: string, password: string): AuthConfig => ({ username, password, auth: "", serverAddress: "", identityToken: "", registryToken: "" });

test("pull tries each matching credential in order and stops at the first success", async () => {
  const { cri, pulls } = fakeRegistryCri({ password: "right" });
  const { im, lookups } = manager(cri, [auth("a", "wrong1"), auth("b", "right"), auth("c", "never-tried")]);
  const r = await im.ensureImage("u1", subject, container, {} as never);
  assert.equal(r, { imageRef: "sha256:img", user: {} });
  assert.equal(pulls.map((p) => p?.username), ["a", "b"]);
  assert.equal(lookups, ["127.0.0.1:5001/busybox"]);
});

test("no matching credential: one anonymous pull, as upstream", async () => {
  const { cri, pulls } = fakeRegistryCri({ open: true });
  const r = await manager(cri, []).im.ensureImage("u1", subject, container, {} as never);
  assert.ok("imageRef" in r);
  assert.equal(pulls, [undefined]);
  const plain = fakeRegistryCri({ open: true });
  assert.ok("imageRef" in await manager(plain.cri, undefined).im.ensureImage("u1", subject, container, {} as never));
  assert.equal(plain.pulls, [undefined]);
});

test("all credentials failing: ErrImagePull with the aggregate of the runtime errors, no password anywhere", async () => {
  const { cri, pulls } = fakeRegistryCri({ password: "right" });
  const { im, events } = manager(cri, [auth("a", "pw-one"), auth("b", "pw-two")]);
  const r = await im.ensureImage("u1", subject, container, {} as never);
  assert.ok("error" in r);
  if (!("error" in r)) return;
  assert.is(r.error.reason, "ErrImagePull");
  assert.is(r.error.message, `[rpc error: code = Unknown desc = failed to pull and unpack image "127.0.0.1:5001/busybox:latest": 401 Unauthorized (user a), `
    + `rpc error: code = Unknown desc = failed to pull and unpack image "127.0.0.1:5001/busybox:latest": 401 Unauthorized (user b)]`);
  assert.is(pulls.length, 2);
  const failed = events.find((e) => e.reason === "Failed")!;
  assert.is(failed.message, `Failed to pull image "127.0.0.1:5001/busybox:latest": ${r.error.message}`);
  for (const e of events) assert.not.match(e.message, /pw-one|pw-two/);
});

test("one failing credential: its error alone, as Go's aggregate of one", async () => {
  const { cri } = fakeRegistryCri({ password: "right" });
  const r = await manager(cri, [auth("a", "nope")]).im.ensureImage("u1", subject, container, {} as never);
  assert.ok("error" in r && r.error.message.startsWith("rpc error: code = Unknown desc = failed to pull and unpack image") && !r.error.message.startsWith("["));
});

test.run();
