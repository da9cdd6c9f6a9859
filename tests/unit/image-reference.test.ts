/** Image references checked as upstream's applyDefaultImageTag (docker/distribution v2.7.1 ParseNormalizedNamed). */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { invalidImageReason } from "../../kubelet/images/imageManager.ts";

test("valid references: bare names, registries with ports, tags, digests, localhost", () => {
  for (const ref of ["busybox", "library/busybox:1.36", "127.0.0.1:5000/busybox:latest", "localhost/app", "gcr.io/a/b/c:v1.2-rc_3",
    `busybox@sha256:${"a".repeat(64)}`, "registry.example.com:443/team/app:tag@sha256:" + "0".repeat(64), "a--b__c.d"]) {
    assert.is(invalidImageReason(ref), undefined, ref);
  }
});

test("upper case in the repository name is upstream's lowercase error, wherever the domain split puts it", () => {
  const lower = "invalid reference format: repository name must be lowercase";
  assert.is(invalidImageReason("UPPER/Case::bad"), lower);
  assert.is(invalidImageReason("127.0.0.1:5000/Bad_Name:x"), lower);
  assert.is(invalidImageReason("Busybox"), lower);
  // an upper-case registry host is fine; the name after it is not checked for case by the split
  assert.is(invalidImageReason("Registry.Example.com/app"), undefined);
});

test("other syntax errors are 'invalid reference format'; 64-hex names and over-long names have their own errors", () => {
  assert.is(invalidImageReason("busybox::tag"), "invalid reference format");
  assert.is(invalidImageReason("bad name"), "invalid reference format");
  assert.is(invalidImageReason(""), "invalid reference format");
  assert.is(invalidImageReason("a".repeat(64)), `invalid repository name (${"a".repeat(64)}), cannot specify 64-byte hexadecimal strings`);
  assert.is(invalidImageReason(`r.io/${"a".repeat(260)}`), "repository name must not be more than 255 characters");
});

test.run();
