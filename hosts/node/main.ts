#!/usr/bin/env node
/** kubelet-ts on Node: parses upstream-style flags and starts the kubelet with Node ports. */
import { FLAG_NAMES, FlagError, parseFlags } from "../../kubelet/config/flags.ts";
import { KUBERNETES_VERSION, VERSION } from "../../kubelet/version.ts";

async function main(argv: string[]): Promise<number> {
  let flags;
  try {
    flags = parseFlags(argv);
  } catch (err) {
    if (err instanceof FlagError) {
      console.error(`kubelet-ts: ${err.message}`);
      return 2;
    }
    throw err;
  }
  if (flags.version) {
    console.log(`kubelet-ts v${VERSION} (kubelet ${KUBERNETES_VERSION})`);
    return 0;
  }
  if (flags.help) {
    console.log(`usage: kubelet-ts [flags]           run the kubelet\n       kubelet-ts pods [flags]      list the pods of a running kubelet\nflags: ${FLAG_NAMES.map((n) => "--" + n).join(" ")}`);
    return 0;
  }
  console.error("kubelet-ts: the kubelet loop is not built yet; see --help");
  return 1;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
  console.error(`kubelet-ts: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
