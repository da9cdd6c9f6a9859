/**
 * Command-line flags with the upstream kubelet's names, so existing systemd units and docs apply.
 * Parsing is pure: argv in, a typed value or an error out.
 */

/** The flags kubelet-ts understands; `undefined` means "not given". */
export interface KubeletFlags {
  kubeconfig?: string;
  bootstrapKubeconfig?: string;
  config?: string;
  hostnameOverride?: string;
  nodeLabels: Record<string, string>;
  containerRuntimeEndpoint?: string;
  podManifestPath?: string;
  rootDir?: string;
  /** The sandbox image the runtime uses (upstream default k8s.gcr.io/pause:3.2); image GC never removes it. */
  podInfraContainerImage?: string;
  verbosity: number;
  version: boolean;
  help: boolean;
  /** Positional words, e.g. the `pods` sub-command. */
  args: string[];
}

/** An invalid command line, with a message naming the flag and what was expected. */
export class FlagError extends Error {}

type Kind = "string" | "labels" | "int" | "bool";
const SPEC: Record<string, [keyof KubeletFlags, Kind]> = {
  "kubeconfig": ["kubeconfig", "string"],
  "bootstrap-kubeconfig": ["bootstrapKubeconfig", "string"],
  "config": ["config", "string"],
  "hostname-override": ["hostnameOverride", "string"],
  "node-labels": ["nodeLabels", "labels"],
  "container-runtime-endpoint": ["containerRuntimeEndpoint", "string"],
  "pod-manifest-path": ["podManifestPath", "string"],
  "root-dir": ["rootDir", "string"],
  "pod-infra-container-image": ["podInfraContainerImage", "string"],
  "v": ["verbosity", "int"],
  "version": ["version", "bool"],
  "help": ["help", "bool"],
};

/** Names of all accepted flags (for help output). */
export const FLAG_NAMES = Object.keys(SPEC);

/** Parses `key=value,key2=value2` as upstream's `--node-labels`. */
export function parseLabelList(flag: string, text: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (text.trim() === "") return out;
  for (const part of text.split(",")) {
    const eq = part.indexOf("=");
    const key = (eq < 0 ? part : part.slice(0, eq)).trim();
    if (key === "") throw new FlagError(`--${flag}: "${part}" has an empty label key; expected key=value`);
    out[key] = eq < 0 ? "" : part.slice(eq + 1).trim();
  }
  return out;
}

/** Parses argv (without the program name) into KubeletFlags; `--flag value` and `--flag=value` both work. */
export function parseFlags(argv: readonly string[]): KubeletFlags {
  const flags: KubeletFlags = { nodeLabels: {}, verbosity: 0, version: false, help: false, args: [] };
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (!word.startsWith("-") || word === "-") {
      flags.args.push(word);
      continue;
    }
    const body = word.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    const spec = SPEC[name];
    if (!spec) throw new FlagError(`unknown flag --${name}; known flags: ${FLAG_NAMES.map((n) => "--" + n).join(", ")}`);
    const [field, kind] = spec;
    let value: string | undefined = eq < 0 ? undefined : body.slice(eq + 1);
    if (kind === "bool") {
      if (value !== undefined && value !== "true" && value !== "false") {
        throw new FlagError(`--${name}: expected true or false, got "${value}"`);
      }
      (flags[field] as boolean) = value !== "false";
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new FlagError(`--${name} needs a value`);
    }
    if (kind === "int") {
      if (!/^-?\d+$/.test(value)) throw new FlagError(`--${name}: expected an integer, got "${value}"`);
      (flags[field] as number) = Number(value);
    } else if (kind === "labels") {
      flags.nodeLabels = { ...flags.nodeLabels, ...parseLabelList(name, value) };
    } else {
      (flags[field] as string) = value;
    }
  }
  return flags;
}
