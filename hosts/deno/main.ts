/** kubelet-ts on Deno: `deno run -A hosts/deno/main.ts [flags]`. */
import { main } from "../../kubelet/cli/main.ts";
import { denoHost } from "./host.ts";

const code = await main(Deno.args, denoHost, (line) => console.error(line)).catch((err) => {
  console.error(`kubelet-ts: ${err instanceof Error ? err.message : String(err)}`);
  return 1;
});
Deno.exit(code);
