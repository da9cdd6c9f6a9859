#!/usr/bin/env node
/** kubelet-ts on Node. */
import { main } from "../../kubelet/cli/main.ts";
import { nodeHost } from "./host.ts";

main(process.argv.slice(2), nodeHost, (line) => console.error(line)).then((code) => process.exit(code), (err) => {
  console.error(`kubelet-ts: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
