/** `kubelet-ts pods`: asks a running kubelet's API for /pods and prints a kubectl-like table. */
import type { PodList } from "../../bindings/kube/types.ts";
import type { KubeletFlags } from "../config/flags.ts";
import { loadKubeletConfiguration } from "../daemon.ts";
import { silentLogger } from "../log.ts";
import type { Host } from "../ports/host.ts";
import { formatPodsTable } from "./podsTable.ts";

/** Prints the pods of the kubelet that runs with the same --config; resolves to the exit code. */
export async function podsCommand(flags: KubeletFlags, host: Host, printError: (line: string) => void): Promise<number> {
  const config = await loadKubeletConfiguration(flags, host, silentLogger);
  const address = config.address === "0.0.0.0" ? "127.0.0.1" : config.address;
  const url = `http://${address}:${config.port}/pods`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    printError(`kubelet-ts pods: cannot reach the kubelet at ${url} (${(err as Error).message}); is it running?`);
    return 1;
  }
  if (!res.ok) {
    printError(`kubelet-ts pods: ${url} answered ${res.status}`);
    return 1;
  }
  host.print(formatPodsTable((await res.json()) as PodList, host.clock.now(), { allNamespaces: true }).trimEnd());
  return 0;
}
