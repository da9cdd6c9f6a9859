/** The kubelet-ts command line, shared by every host: flags, `--version`, `pods`, or the daemon. */
import { FLAG_NAMES, FlagError, parseFlags, type KubeletFlags } from "../config/flags.ts";
import { runDaemon } from "../daemon.ts";
import type { Host } from "../ports/host.ts";
import { KUBERNETES_VERSION, VERSION } from "../version.ts";
import { podsCommand } from "./podsCommand.ts";

const USAGE = `usage: kubelet-ts [flags]           run the kubelet
       kubelet-ts pods [flags]      list the pods of the kubelet running with the same --config
flags: ${FLAG_NAMES.map((n) => "--" + n).join(" ")}`;

/** Runs the command line `argv` (without the program name) on `host`; resolves to the exit code. */
export async function main(argv: string[], host: Host, printError: (line: string) => void): Promise<number> {
  let flags: KubeletFlags;
  try {
    flags = parseFlags(argv);
  } catch (err) {
    if (err instanceof FlagError) {
      printError(`kubelet-ts: ${err.message}`);
      return 2;
    }
    throw err;
  }
  if (flags.version) {
    host.print(`kubelet-ts v${VERSION} (kubelet ${KUBERNETES_VERSION})`);
    return 0;
  }
  if (flags.help) {
    host.print(USAGE);
    return 0;
  }
  const [command, ...rest] = flags.args;
  if (command === "pods") return podsCommand(flags, host, printError);
  if (command !== undefined) {
    printError(`kubelet-ts: unknown command "${[command, ...rest].join(" ")}"\n${USAGE}`);
    return 2;
  }
  return runDaemon(flags, host);
}
