/**
 * Kubernetes `$(VAR)` expansion, with upstream's exact semantics (third_party/forked/golang/expansion):
 * `$(NAME)` is replaced by NAME's value when known and left as written when not; `$$` is an escaped `$`;
 * a `$(` with no closing `)` is kept literally; a `$` before any other character is kept with it.
 * Used for env values, and for command and args against the container's final environment.
 */

/** Looks a variable name up; returns its value, or the reference as written (`$(NAME)`) when unknown. */
export type ExpansionMapping = (name: string) => string;

/** A mapping that consults each context in order and leaves unknown names unexpanded, as `$(NAME)`. */
export function mappingFor(...contexts: ReadonlyArray<Readonly<Record<string, string>> | ReadonlyMap<string, string>>): ExpansionMapping {
  return (name) => {
    for (const ctx of contexts) {
      if (isMap(ctx)) {
        const v = ctx.get(name);
        if (v !== undefined) return v;
      } else if (Object.prototype.hasOwnProperty.call(ctx, name)) {
        return ctx[name]!;
      }
    }
    return `$(${name})`;
  };
}

function isMap(ctx: unknown): ctx is ReadonlyMap<string, string> {
  return ctx instanceof Map;
}

/** `input` with every `$(NAME)` reference replaced through `mapping`, and `$$` unescaped to `$`. */
export function expand(input: string, mapping: ExpansionMapping): string {
  let out = "";
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    // A trailing `$` is plain text (upstream only acts when something follows it).
    if (input[cursor] !== "$" || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const next = input[cursor + 1];
    let advance = 1;
    if (next === "$") {
      out += "$";
    } else if (next === "(") {
      const close = input.indexOf(")", cursor + 2);
      if (close === -1) {
        out += "$(";
      } else {
        out += mapping(input.slice(cursor + 2, close));
        advance = close - cursor;
      }
    } else {
      out += "$" + next;
    }
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}
