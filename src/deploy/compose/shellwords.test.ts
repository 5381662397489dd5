// Cases from mattn/go-shellwords' tests that compose's command/entrypoint parsing meets.
import assert from "node:assert/strict";
import { test } from "node:test";
import { splitShellWords } from "./shellwords.ts";

test("shell-form commands split as go-shellwords splits them", () => {
  const cases: Array<[string, string[]]> = [
    ["", []],
    ["var --bar=baz", ["var", "--bar=baz"]],
    ['var --bar="baz"', ["var", "--bar=baz"]],
    ["var \"--bar=baz\"", ["var", "--bar=baz"]],
    ["var \"--bar='baz'\"", ["var", "--bar='baz'"]],
    ["var --bar=`baz`", ["var", "--bar=`baz`"]],
    ['var "--bar=\\"baz\'"', ["var", "--bar=\"baz'"]],
    ['var "--bar=\\\'baz\\\'"', ["var", "--bar='baz'"]],
    ["var --bar='\\'", ["var", "--bar=\\"]],
    ["var \"--bar baz\"", ["var", "--bar baz"]],
    ["var --\"bar baz\"", ["var", "--bar baz"]],
    ["var  --\"bar baz\"", ["var", "--bar baz"]],
    ["a \"\" b", ["a", "", "b"]],
    ["echo a\\ b", ["echo", "a b"]],
    ["sh -c 'echo $HOME'", ["sh", "-c", "echo $HOME"]],
    ["echo $(date)", ["echo", "$(date)"]],
    // Parsing stops at an unquoted operator, as in compose.
    ["echo a && echo b", ["echo", "a"]],
    ["echo a; echo b", ["echo", "a"]],
    ["echo 'a && b'", ["echo", "a && b"]],
    ["cmd 2>/dev/null", ["cmd"]],
  ];
  for (const [line, words] of cases) assert.deepEqual(splitShellWords(line), words, line);
});

test("unbalanced quotes and stray parentheses are invalid", () => {
  for (const line of ["echo 'a", 'echo "a', "echo a\\", "echo (a)", "echo a)"]) {
    assert.throws(() => splitShellWords(line), { message: "invalid command line string" }, line);
  }
});
