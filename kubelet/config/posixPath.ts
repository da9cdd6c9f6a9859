/**
 * POSIX path arithmetic for configuration paths (the kubelet layer cannot import `node:path`).
 * Upstream resolves relative paths in a KubeletConfiguration against the config file's directory.
 */

/** True for `/abs/path`. */
export function isAbsolutePath(path: string): boolean {
  return path.startsWith("/");
}

/** The directory part of `path` (`/a/b/c.yaml` -> `/a/b`, `c.yaml` -> `.`). */
export function dirName(path: string): string {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, "") : path;
  const slash = trimmed.lastIndexOf("/");
  if (slash < 0) return ".";
  if (slash === 0) return "/";
  return trimmed.slice(0, slash);
}

/** The last element of `path` (`/a/b/c.yaml` -> `c.yaml`). */
export function baseName(path: string): string {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, "") : path;
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

/** Joins and cleans path elements like Go's `filepath.Join` (`.` and `..` resolved, no trailing slash). */
export function joinPath(...parts: string[]): string {
  const joined = parts.filter((p) => p !== "").join("/");
  if (joined === "") return ".";
  const absolute = joined.startsWith("/");
  const out: string[] = [];
  for (const seg of joined.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!absolute) out.push("..");
      continue;
    }
    out.push(seg);
  }
  const body = out.join("/");
  return absolute ? `/${body}` : body || ".";
}

/** `path` unchanged when absolute or empty, else resolved against `baseDir` (upstream `resolveRelativePaths`). */
export function resolveAgainst(baseDir: string, path: string): string {
  if (path === "" || isAbsolutePath(path)) return path;
  return joinPath(baseDir, path);
}
