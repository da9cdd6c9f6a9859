import { test } from "uvu";
import * as assert from "uvu/assert";
import { FlagError, parseFlags } from "../../kubelet/config/flags.ts";

test("upstream flag names parse in both --flag value and --flag=value forms", () => {
  const f = parseFlags(["--kubeconfig", "/k", "--container-runtime-endpoint=unix:///run/c.sock", "--v=4", "pods"]);
  assert.is(f.kubeconfig, "/k");
  assert.is(f.containerRuntimeEndpoint, "unix:///run/c.sock");
  assert.is(f.verbosity, 4);
  assert.equal(f.args, ["pods"]);
});

test("--pod-infra-container-image names the sandbox image (kept by image GC)", () => {
  assert.is(parseFlags(["--pod-infra-container-image=registry.local/pause:3.2"]).podInfraContainerImage, "registry.local/pause:3.2");
  assert.is(parseFlags([]).podInfraContainerImage, undefined);
});

test("--node-labels accumulates key=value pairs", () => {
  const f = parseFlags(["--node-labels=a=1,b=2", "--node-labels", "c=3"]);
  assert.equal(f.nodeLabels, { a: "1", b: "2", c: "3" });
});

test("an unknown flag is an error that lists the known ones", () => {
  assert.throws(() => parseFlags(["--kubeconfg=/x"]), (e: Error) => e instanceof FlagError && /unknown flag --kubeconfg/.test(e.message) && /--kubeconfig/.test(e.message));
});

test("a non-integer --v is rejected with the value quoted", () => {
  assert.throws(() => parseFlags(["--v", "loud"]), /--v: expected an integer, got "loud"/);
});

test("boolean flags accept no value, true or false", () => {
  assert.is(parseFlags(["--version"]).version, true);
  assert.is(parseFlags(["--version=false"]).version, false);
  assert.throws(() => parseFlags(["--version=yes"]), /expected true or false/);
});

test.run();
