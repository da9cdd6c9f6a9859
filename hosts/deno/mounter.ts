/**
 * The `Mounter` port on Deno: the Node implementation through Deno's Node compatibility (the
 * mount/umount commands, /proc/self/mounts), except bindSubPath. Deno exposes no real file
 * descriptors (no O_PATH pinning through /proc/<pid>/fd), so here a subPath is resolved, checked,
 * bound by its resolved path and checked again afterwards; a swap between the checks is refused
 * after the fact rather than made impossible as on Node.
 */
import type { Mounter } from "../../kubelet/ports/mounter.ts";
import { nodeMounter } from "../node/mounter.ts";

const within = (path: string, root: string) => path === root || path.startsWith(root === "/" ? "/" : `${root}/`);

async function ensureTarget(target: string, isDir: boolean): Promise<void> {
  const parent = isDir ? target : target.slice(0, target.lastIndexOf("/"));
  await Deno.mkdir(parent, { recursive: true, mode: 0o750 });
  if (!isDir) await Deno.writeFile(target, new Uint8Array(), { append: true, mode: 0o640 });
}

/** Deno's Mounter for Linux. */
export const denoMounter: Mounter = {
  ...nodeMounter,
  async bindSubPath(volumeRoot, subPath, target) {
    const root = await Deno.realPath(volumeRoot);
    const full = `${volumeRoot}/${subPath}`;
    const resolved = await Deno.realPath(full);
    if (!within(resolved, root)) throw new Error(`subpath "${resolved}" not within volume path "${root}"`);
    const targetReal = await Deno.realPath(target).catch(() => target);
    if ((await nodeMounter.listMounts(target)).some((m) => m.mountPoint === targetReal)) return;
    await ensureTarget(target, (await Deno.stat(resolved)).isDirectory);
    await nodeMounter.bindMount(resolved, target);
    if ((await Deno.realPath(full)) !== resolved) {
      await nodeMounter.unmount(target);
      throw new Error(`subpath "${subPath}" changed while it was being mounted`);
    }
  },
};
