/**
 * The CRI binding as shipped: the embedded schema matches api.proto, and the Node CRI port works
 * from an esbuild CJS bundle (as in dist/kubelet-ts.cjs and the single binary), where no .proto
 * file exists to be read.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { API_DESCRIPTOR_PATH, API_PROTO_PATH, renderApiDescriptorModule } from "../../bindings/cri/generateApiDescriptor.ts";
import { CRI_ENDPOINT } from "./support/cri.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const scratch = mkdtempSync(join(tmpdir(), "kts-cri-bundle-"));

test.after(() => rmSync(scratch, { recursive: true, force: true }));

test("apiDescriptor.ts is up to date with api.proto", () => {
  const expected = renderApiDescriptorModule(readFileSync(API_PROTO_PATH, "utf8"));
  assert.ok(readFileSync(API_DESCRIPTOR_PATH, "utf8") === expected,
    "bindings/cri/apiDescriptor.ts is stale; run: npx tsx bindings/cri/generateApiDescriptor.ts");
});

test("the CJS bundle of the Node CRI port talks to containerd without api.proto on disk", async () => {
  const outfile = join(scratch, "cri-probe.cjs");
  await build({
    stdin: {
      contents: `import { connectCri } from ${JSON.stringify(join(root, "hosts/node/cri.ts"))};
        (async () => {
          const cri = await connectCri(process.argv[2]);
          const v = await cri.version();
          const images = await cri.listImages();
          cri.close();
          console.log(JSON.stringify({ ...v, images: images.length }));
        })().catch((err) => { console.error(err.message); process.exit(1); });`,
      resolveDir: root,
      loader: "ts",
    },
    bundle: true, platform: "node", format: "cjs", target: "node20", outfile, logLevel: "warning",
  });
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, [outfile, CRI_ENDPOINT], { cwd: scratch, timeout: 30_000 }, (err, out, errOut) =>
      err ? reject(new Error(`bundle failed: ${errOut || err.message}`)) : resolve(out));
  });
  const result = JSON.parse(stdout);
  assert.is(result.runtimeName, "containerd");
  assert.is(result.runtimeApiVersion, "v1");
  assert.ok(result.images > 0);
});

test.run();
