import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseFlags } from "../../kubelet/config/flags.ts";
import { formatGoDuration, parseGoDuration } from "../../kubelet/config/goDuration.ts";
import {
  applyKubeletFlags, defaultKubeletConfiguration, KubeletConfigError, parseKubeletConfiguration,
} from "../../kubelet/config/kubeletConfiguration.ts";

const HEADER = "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n";
const parse = (body: string, file = "/etc/kubernetes/kubelet.yaml") => parseKubeletConfiguration(HEADER + body, file);

test("an empty KubeletConfiguration gets the upstream v1.20 defaults", () => {
  const { config, warnings } = parse("");
  assert.equal(warnings, []);
  assert.is(config.staticPodPath, undefined);
  assert.is(config.syncFrequencyMs, 60_000);
  assert.is(config.fileCheckFrequencyMs, 20_000);
  assert.is(config.address, "0.0.0.0");
  assert.is(config.port, 10250);
  assert.is(config.readOnlyPort, 0);
  assert.is(config.healthzBindAddress, "127.0.0.1");
  assert.is(config.healthzPort, 10248);
  assert.is(config.resolvConf, "/etc/resolv.conf");
  assert.is(config.cgroupDriver, "cgroupfs");
  assert.is(config.cgroupsPerQOS, true);
  assert.is(config.maxPods, 110);
  assert.is(config.podPidsLimit, -1);
  assert.is(config.nodeStatusUpdateFrequencyMs, 10_000);
  assert.is(config.nodeStatusReportFrequencyMs, 300_000);
  assert.is(config.nodeLeaseDurationSeconds, 40);
  assert.is(config.runtimeRequestTimeoutMs, 120_000);
  assert.is(config.serializeImagePulls, true);
  assert.is(config.eventRecordQPS, 5);
  assert.is(config.kubeAPIQPS, undefined, "unthrottled unless set");
  assert.is(config.kubeAPIBurst, 10);
  assert.is(config.imageGCHighThresholdPercent, 85);
  assert.is(config.imageGCLowThresholdPercent, 80);
  assert.is(config.imageMinimumGCAgeMs, 120_000);
  assert.equal(config.evictionSoft, {});
  assert.is(config.evictionPressureTransitionPeriodMs, 300_000);
  assert.is(config.evictionMaxPodGracePeriod, 0);
  assert.is(config.eventBurst, 10);
  assert.equal(config.evictionHard, {
    "memory.available": "100Mi", "nodefs.available": "10%", "nodefs.inodesFree": "5%", "imagefs.available": "15%",
  });
  assert.equal(config.enforceNodeAllocatable, ["pods"]);
  assert.is(config.containerLogMaxSize, "10Mi");
  assert.is(config.containerLogMaxFiles, 5);
  assert.is(config.hairpinMode, "promiscuous-bridge");
  assert.is(config.registerNode, true);
  assert.is(config.authentication.anonymous.enabled, false);
  assert.is(config.authentication.webhook.cacheTTLMs, 120_000);
  assert.is(config.authorization.mode, "Webhook");
  assert.is(config.shutdownGracePeriodMs, 0);
  assert.equal(defaultKubeletConfiguration(), config);
});

test("image GC settings; a 0 percentage is a value (pointer fields upstream)", () => {
  const { config } = parse("imageGCHighThresholdPercent: 0\nimageGCLowThresholdPercent: 0\nimageMinimumGCAge: 30s");
  assert.is(config.imageGCHighThresholdPercent, 0);
  assert.is(config.imageGCLowThresholdPercent, 0);
  assert.is(config.imageMinimumGCAgeMs, 30_000);
});

test("kubeAPIQPS/kubeAPIBurst when set", () => {
  const { config } = parse("kubeAPIQPS: 20\nkubeAPIBurst: 40");
  assert.is(config.kubeAPIQPS, 20);
  assert.is(config.kubeAPIBurst, 40);
});

test("eventRecordQPS 0 means unlimited (a pointer field upstream); eventBurst 0 takes the default", () => {
  const { config } = parse("eventRecordQPS: 0\neventBurst: 0");
  assert.is(config.eventRecordQPS, 0);
  assert.is(config.eventBurst, 10);
  assert.throws(() => parse("eventRecordQPS: -1"), /eventRecordQPS: expected an integer >= 0/);
});

test("soft eviction settings: thresholds, grace periods as durations, transition period, minimum reclaim", () => {
  const { config } = parse([
    "evictionSoft: {memory.available: 300Mi}", "evictionSoftGracePeriod: {memory.available: 1m30s}", "evictionPressureTransitionPeriod: 30s",
    "evictionMaxPodGracePeriod: 20", "evictionMinimumReclaim: {memory.available: 50Mi}",
  ].join("\n"));
  assert.equal(config.evictionSoft, { "memory.available": "300Mi" });
  assert.equal(config.evictionSoftGracePeriodMs, { "memory.available": 90_000 });
  assert.is(config.evictionPressureTransitionPeriodMs, 30_000);
  assert.is(config.evictionMaxPodGracePeriod, 20);
  assert.equal(config.evictionMinimumReclaim, { "memory.available": "50Mi" });
  assert.throws(() => parse("evictionSoftGracePeriod: {memory.available: soon}"), /evictionSoftGracePeriod.memory.available/);
});

test("given values override the defaults, durations become milliseconds", () => {
  const { config } = parse([
    "syncFrequency: 1m30s", "fileCheckFrequency: 500ms", "clusterDNS: [10.96.0.10]", "clusterDomain: cluster.local",
    "cgroupDriver: systemd", "maxPods: 20", "evictionHard: {memory.available: 200Mi}", "kubeReserved: {cpu: 100m, memory: 1}",
    "featureGates: {GracefulNodeShutdown: true}", "shutdownGracePeriod: 30s", "registerWithTaints: [{key: a, effect: NoSchedule}]",
  ].join("\n"));
  assert.is(config.syncFrequencyMs, 90_000);
  assert.is(config.fileCheckFrequencyMs, 500);
  assert.equal(config.clusterDNS, ["10.96.0.10"]);
  assert.is(config.clusterDomain, "cluster.local");
  assert.is(config.cgroupDriver, "systemd");
  assert.is(config.maxPods, 20);
  assert.equal(config.evictionHard, { "memory.available": "200Mi" });
  assert.equal(config.kubeReserved, { cpu: "100m", memory: "1" });
  assert.equal(config.featureGates, { GracefulNodeShutdown: true });
  assert.is(config.shutdownGracePeriodMs, 30_000);
  assert.equal(config.registerWithTaints, [{ key: "a", effect: "NoSchedule" }]);
});

test("nodeStatusReportFrequency follows an explicit nodeStatusUpdateFrequency, as upstream", () => {
  const { config } = parse("nodeStatusUpdateFrequency: 4s\n");
  assert.is(config.nodeStatusUpdateFrequencyMs, 4000);
  assert.is(config.nodeStatusReportFrequencyMs, 4000);
});

test("JSON config files are accepted", () => {
  const text = JSON.stringify({ apiVersion: "kubelet.config.k8s.io/v1beta1", kind: "KubeletConfiguration", maxPods: 7 });
  assert.is(parseKubeletConfiguration(text, "/c.json").config.maxPods, 7);
});

test("unknown fields are warnings naming the file and field, not errors", () => {
  const { config, warnings } = parse("maxPods: 9\nstaticPodPth: /x\n", "/etc/k.yaml");
  assert.is(config.maxPods, 9);
  assert.equal(warnings, ['kubelet config /etc/k.yaml: unknown field "staticPodPth" ignored']);
});

test("known upstream fields kubelet-ts does not use are not warned about", () => {
  assert.equal(parse("registryPullQPS: 5\nimageGCHighThresholdPercent: 85\n").warnings, []);
});

test("a wrong kind or apiVersion is an error naming the file and the expected value", () => {
  assert.throws(() => parseKubeletConfiguration("apiVersion: v1\nkind: Pod\n", "/etc/k.yaml"),
    (e: Error) => e instanceof KubeletConfigError && e.message === 'kubelet config /etc/k.yaml: kind: expected "KubeletConfiguration", got "Pod"');
  assert.throws(() => parseKubeletConfiguration("apiVersion: kubelet.config.k8s.io/v1alpha1\nkind: KubeletConfiguration\n", "/etc/k.yaml"),
    /kubelet config \/etc\/k.yaml: apiVersion: expected "kubelet.config.k8s.io\/v1beta1", got "kubelet.config.k8s.io\/v1alpha1"/);
});

test("invalid YAML and empty files are errors naming the file", () => {
  assert.throws(() => parseKubeletConfiguration("a: [1\nb: 2", "/k.yaml"), /kubelet config \/k.yaml: not valid YAML or JSON/);
  assert.throws(() => parseKubeletConfiguration("", "/k.yaml"), /kubelet config \/k.yaml: expected a KubeletConfiguration object, got an empty document/);
});

test("a bad duration names the field and shows the expected form", () => {
  assert.throws(() => parse("syncFrequency: 10\n"), /syncFrequency: expected a duration string such as "10s", got number 10/);
  assert.throws(() => parse("syncFrequency: 10 seconds\n"), /syncFrequency: invalid duration "10 seconds": expected a duration such as "10s"/);
  assert.throws(() => parse("authentication: {webhook: {cacheTTL: 2x}}\n"), /authentication\.webhook\.cacheTTL: invalid duration "2x"/);
});

test("wrong value types and enum values name the field", () => {
  assert.throws(() => parse("maxPods: lots\n"), /maxPods: expected an integer, got string "lots"/);
  assert.throws(() => parse("cgroupDriver: cgroupv2\n"), /cgroupDriver: expected one of "cgroupfs", "systemd", got "cgroupv2"/);
  assert.throws(() => parse("clusterDNS: 10.0.0.10\n"), /clusterDNS: expected a list of strings/);
  assert.throws(() => parse("registerWithTaints: [{key: a, effect: Sometimes}]\n"), /registerWithTaints\[0\]\.effect: expected one of/);
});

test("relative paths resolve against the config file's directory", () => {
  const { config } = parse("staticPodPath: pods\ntlsCertFile: ../pki/kubelet.crt\nauthentication: {x509: {clientCAFile: ca.crt}}\n", "/etc/kubernetes/kubelet.yaml");
  assert.is(config.staticPodPath, "/etc/kubernetes/pods");
  assert.is(config.tlsCertFile, "/etc/pki/kubelet.crt");
  assert.is(config.authentication.x509.clientCAFile, "/etc/kubernetes/ca.crt");
  assert.is(parse("staticPodPath: /srv/manifests\n").config.staticPodPath, "/srv/manifests");
});

test("--pod-manifest-path overrides staticPodPath; flags not given leave the file's value", () => {
  const { config } = parse("staticPodPath: /from/file\n");
  assert.is(applyKubeletFlags(config, parseFlags([]), "/cwd").staticPodPath, "/from/file");
  assert.is(applyKubeletFlags(config, parseFlags(["--pod-manifest-path=/from/flag"]), "/cwd").staticPodPath, "/from/flag");
  assert.is(applyKubeletFlags(config, parseFlags(["--pod-manifest-path", "rel"]), "/cwd").staticPodPath, "/cwd/rel");
});

test("Go duration strings parse as time.ParseDuration does", () => {
  assert.is(parseGoDuration("0"), 0);
  assert.is(parseGoDuration("1h2m3s"), 3_723_000);
  assert.is(parseGoDuration("1.5h"), 5_400_000);
  assert.is(parseGoDuration("-2s"), -2000);
  assert.is(parseGoDuration("250us"), 0.25);
  assert.is(parseGoDuration(".5s"), 500);
  for (const bad of ["", "10", "1d", "s", "1m 2s", ".s", "+"]) assert.throws(() => parseGoDuration(bad), /invalid duration/);
  assert.is(formatGoDuration(90_000), "1m30s");
  assert.is(formatGoDuration(500), "500ms");
  assert.is(formatGoDuration(3_600_000), "1h0m0s");
});

test("examples/kubelet-config.yaml is a valid standalone configuration", () => {
  const file = join(dirname(fileURLToPath(import.meta.url)), "../../examples/kubelet-config.yaml");
  const { config, warnings } = parseKubeletConfiguration(readFileSync(file, "utf8"), file);
  assert.equal(warnings, []);
  assert.is(config.staticPodPath, join(dirname(file), "pods"));
  assert.is(config.clusterDomain, "cluster.local");
  assert.is(config.cgroupDriver, "cgroupfs");
  assert.is(config.healthzBindAddress, "127.0.0.1");
  assert.ok(config.clusterDNS.length > 0);
});

test.run();
