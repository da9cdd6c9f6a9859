#!/usr/bin/env node
/** kubelet-ts on Node: parses upstream-style flags, then runs the kubelet or a sub-command. */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { formatPodsTable } from "../../kubelet/cli/podsTable.ts";
import { FLAG_NAMES, FlagError, parseFlags, type KubeletFlags } from "../../kubelet/config/flags.ts";
import { defaultKubeletConfiguration, parseKubeletConfiguration } from "../../kubelet/config/kubeletConfiguration.ts";
import { KUBERNETES_VERSION, VERSION } from "../../kubelet/version.ts";
import { runKubelet } from "./run.ts";

const USAGE = `usage: kubelet-ts [flags]           run the kubelet
       kubelet-ts pods [flags]      list the pods of the kubelet running with the same --config
flags: ${FLAG_NAMES.map((n) => "--" + n).join(" ")}`;

/** `kubelet-ts pods`: asks the running kubelet's API for /pods and prints a kubectl-like table. */
async function printPods(flags: KubeletFlags): Promise<number> {
  let config = defaultKubeletConfiguration();
  if (flags.config) {
    const file = resolve(flags.config);
    config = parseKubeletConfiguration(await readFile(file, "utf8"), file).config;
  }
  const host = config.address === "0.0.0.0" ? "127.0.0.1" : config.address;
  const url = `http://${host}:${config.port}/pods`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    console.error(`kubelet-ts pods: cannot reach the kubelet at ${url} (${(err as Error).message}); is it running?`);
    return 1;
  }
  if (!res.ok) {
    console.error(`kubelet-ts pods: ${url} answered ${res.status}`);
    return 1;
  }
  process.stdout.write(formatPodsTable(await res.json(), Date.now(), { allNamespaces: true }));
  return 0;
}

async function main(argv: string[]): Promise<number> {
  let flags: KubeletFlags;
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
    console.log(USAGE);
    return 0;
  }
  const [command, ...rest] = flags.args;
  if (command === "pods") return printPods(flags);
  if (command !== undefined) {
    console.error(`kubelet-ts: unknown command "${[command, ...rest].join(" ")}"\n${USAGE}`);
    return 2;
  }
  return runKubelet(flags);
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
  console.error(`kubelet-ts: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
