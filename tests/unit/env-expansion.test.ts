import { test } from "uvu";
import * as assert from "uvu/assert";
import { expand, mappingFor } from "../../kubelet/envvars/expansion.ts";

const vars = mappingFor({ VAR_A: "A", VAR_B: "B", VAR_EMPTY: "" }, new Map([["SVC", "10.0.0.1"], ["VAR_A", "shadowed"]]));
const cases: [string, string][] = [
  ["$(VAR_A)", "A"],
  ["___$(VAR_B)___", "___B___"],
  ["$(VAR_A)-$(VAR_B)", "A-B"],
  ["x$(VAR_EMPTY)y", "xy"],
  ["$(SVC):80", "10.0.0.1:80"],
];

test("$(VAR) references expand to the variable's value, earlier contexts first", () => {
  for (const [input, want] of cases) assert.is(expand(input, vars), want, input);
});

test("an unresolved reference is left as written", () => {
  assert.is(expand("$(VAR_DNE)", vars), "$(VAR_DNE)");
  assert.is(expand("a $(NOPE) b $(VAR_A)", vars), "a $(NOPE) b A");
  assert.is(expand("$()", vars), "$()");
});

test("$$ escapes a dollar, so $$(VAR) stays a literal reference", () => {
  assert.is(expand("$$", vars), "$");
  assert.is(expand("$$$$", vars), "$$");
  assert.is(expand("$$(VAR_B)_$(VAR_A)", vars), "$(VAR_B)_A");
  assert.is(expand("$$$(VAR_A)", vars), "$A");
  assert.is(expand("$$$$(VAR_A)", vars), "$$(VAR_A)");
});

test("an unterminated $( is kept literally", () => {
  assert.is(expand("$(VAR_A", vars), "$(VAR_A");
  assert.is(expand("$(VAR_A)$(VAR_B", vars), "A$(VAR_B");
  assert.is(expand("$(", vars), "$(");
});

test("a $ not followed by ( or $ is plain text, including a trailing $", () => {
  assert.is(expand("$VAR_A", vars), "$VAR_A");
  assert.is(expand("$", vars), "$");
  assert.is(expand("$(VAR_A)$", vars), "A$");
  assert.is(expand("cost: 5$ or €$é", vars), "cost: 5$ or €$é");
});

test("a reference ends at the first closing parenthesis", () => {
  assert.is(expand("$(VAR_A))", vars), "A)");
  assert.is(expand("$($(VAR_A))", vars), "$($(VAR_A))");
});

test("text without references is returned unchanged", () => {
  assert.is(expand("plain text (with parens)", vars), "plain text (with parens)");
  assert.is(expand("", vars), "");
});

test.run();
