// Memory for the probe and backoff tables: fixed-size chunks reached through a small directory.
//
// The stub runtime never frees, so a table that grows by copying leaks every old copy, and the
// stub doubles linear memory whenever it needs more. Chunks are never moved (only the tiny
// directory is), and allocExact grows memory by exactly the pages a chunk needs, so a table's
// memory cost stays close to what it stores.

/** Payload bytes the stub allocator adds around a block, rounded up: header plus alignment slack. */
const SLACK: usize = 32;

/**
 * Allocates `bytes` from the runtime heap, first growing linear memory by only the pages needed
 * (the stub would otherwise double it). Returns 0 when memory cannot grow.
 */
export function allocExact(bytes: usize): usize {
  // A zero-size allocation tells where the next block will land (it costs 16 bytes, once per chunk).
  const top = heap.alloc(0);
  const end = top + SLACK + bytes;
  const have = (<usize>memory.size()) << 16;
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >>> 16);
    if (memory.grow(pages) < 0) return 0;
  }
  return heap.alloc(bytes);
}

/**
 * A directory of chunk pointers: `dirPtr` holds `dirCap` pointers, the first `chunks` in use.
 * Each table module keeps one and calls `addChunk` to extend it.
 */
export class ChunkDir {
  dirPtr: usize = 0;
  dirCap: u32 = 0;
  chunks: u32 = 0;

  /** Appends one zeroed chunk of `chunkBytes`; returns false when memory is exhausted. */
  addChunk(chunkBytes: usize): bool {
    if (this.chunks == this.dirCap) {
      const cap: u32 = this.dirCap == 0 ? 64 : this.dirCap << 1;
      const dir = allocExact(<usize>cap << alignof<usize>());
      if (dir == 0) return false;
      if (this.dirPtr != 0) memory.copy(dir, this.dirPtr, <usize>this.chunks << alignof<usize>());
      this.dirPtr = dir;
      this.dirCap = cap;
    }
    const chunk = allocExact(chunkBytes);
    if (chunk == 0) return false;
    memory.fill(chunk, 0, chunkBytes);
    store<usize>(this.dirPtr + ((<usize>this.chunks) << alignof<usize>()), chunk);
    this.chunks++;
    return true;
  }
}
