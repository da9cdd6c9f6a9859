/**
 * Removes every pod sandbox (and so every container) the benchmark's own containerd holds, through
 * CRI so that StopPodSandbox runs CNI DEL and the pod IPs go back to the shared IPAM store.
 * usage: node --import tsx bench/api-startup/criSweep.ts unix:///tmp/kts-bench/rt/containerd.sock
 */
import { connectCri } from "../../hosts/node/cri.ts";

const endpoint = process.argv[2];
if (!endpoint) throw new Error("usage: criSweep.ts <cri endpoint>");
const cri = await connectCri(endpoint);
const sandboxes = await cri.listPodSandbox();
for (const s of sandboxes) {
  await cri.stopPodSandbox(s.id).catch((e) => console.error(`stop ${s.id}: ${e instanceof Error ? e.message : e}`));
  await cri.removePodSandbox(s.id).catch((e) => console.error(`remove ${s.id}: ${e instanceof Error ? e.message : e}`));
}
if (sandboxes.length) console.log(`[criSweep] removed ${sandboxes.length} pod sandbox(es)`);
cri.close();
