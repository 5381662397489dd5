// Tables and cases from BuildKit's frontend/dockerfile/shell (lex_test.go, envVarTest, wordsTest,
// buildkit v0.32.2 as vendored by moby), plus cases whose expected values were taken from running
// that Go code, for the places where JavaScript and Go differ (regexp replace, Unicode spaces, quoting).
import assert from "node:assert/strict";
import { test } from "node:test";
import { ShellLex, ShellLexError, envFromList, type ShellEnv } from "./shell-lex.ts";

function expectLexError(run: () => unknown, message: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ShellLexError, `expected a ShellLexError, got ${String(error)}`);
    assert.equal(error.message, message);
    return true;
  });
}

test("envVarTest: BuildKit's expansion table, Linux rows", () => {
  // As TestShellParser4EnvVars reads it: comments and blank lines skipped, `platform|source|expected`.
  const lex = new ShellLex("\\");
  const env = envFromList(["PWD=/home", "SHELL=bash", "KOREAN=한국어", "NULL="]);
  let rows = 0;
  envVarTestLines().forEach((raw, index) => {
    if (raw.startsWith("#")) return;
    const line = raw.trim();
    if (line === "") return;
    const fields = line.split("|");
    assert.equal(fields.length, 3, `line ${index + 1}`);
    const [platform, source, expected] = fields.map((field) => field.trim());
    assert.ok(["A", "U", "W"].includes(platform), `line ${index + 1}: platform ${platform}`);
    if (platform === "W") return;
    rows++;
    if (expected === "error") {
      assert.throws(() => lex.processWord(source, env), ShellLexError, `line ${index + 1}: ${source}`);
    } else {
      assert.equal(lex.processWord(source, env), expected, `line ${index + 1}: ${source}`);
    }
  });
  assert.equal(rows, 228);
});

test("wordsTest: BuildKit's word splitting table", () => {
  // As TestShellParser4Words reads it: `ENV k=v` lines accumulate, the expected words are comma-separated
  // and keep trailing spaces, a failure is written as the single word "error".
  const lex = new ShellLex("\\");
  const env: string[] = [];
  let rows = 0;
  wordsTestLines().forEach((line, index) => {
    if (line.startsWith("#")) return;
    if (line.startsWith("ENV ")) {
      env.push(line.slice(3).replace(/^ +/, ""));
      return;
    }
    const fields = line.split("|");
    assert.equal(fields.length, 2, `line ${index + 1}`);
    const source = fields[0].trim();
    const expected = fields[1].replace(/^ +/, "").split(",");
    let words: string[];
    try {
      words = lex.processWords(source, envFromList(env));
    } catch (error) {
      assert.ok(error instanceof ShellLexError);
      words = ["error"];
    }
    rows++;
    assert.deepEqual(words, expected, `line ${index + 1}: ${source}`);
  });
  assert.equal(rows, 24);
});

test("${VAR:?msg} rejects empty and unset values, ${VAR?msg} only unset ones, with the expanded message", () => {
  const lex = new ShellLex("\\");
  const set = envFromList(["VAR=plain", "ARG=x"]);
  const empty = envFromList(["VAR=", "ARG=x"]);
  const unset = envFromList(["ARG=x"]);
  const noEmpty = "${VAR:?message here$ARG}";
  const noUnset = "${VAR?message here$ARG}";

  assert.equal(lex.processWord(noEmpty, set), "plain");
  expectLexError(() => lex.processWord(noEmpty, empty), 'failed to process "${VAR:?message here$ARG}": VAR: message herex');
  expectLexError(() => lex.processWord(noEmpty, unset), 'failed to process "${VAR:?message here$ARG}": VAR: message herex');

  assert.equal(lex.processWord(noUnset, set), "plain");
  assert.equal(lex.processWord(noUnset, empty), "");
  expectLexError(() => lex.processWord(noUnset, unset), 'failed to process "${VAR?message here$ARG}": VAR: message herex');

  expectLexError(() => lex.processWord("${X:?}", envFromList(["X="])), 'failed to process "${X:?}": X: is not allowed to be empty');
  expectLexError(() => lex.processWord("${X?}", envFromList([])), 'failed to process "${X?}": X: is not allowed to be unset');
});

test("envFromList: KEY=VALUE lines, the last one wins, a bare KEY is empty", () => {
  const lex = new ShellLex("\\");
  assert.equal(lex.processWord("[$foo]", envFromList([])), "[]");
  assert.equal(lex.processWord("[${foo-unset}]", envFromList(["foo"])), "[]");
  assert.equal(lex.processWord("[${foo-unset}]", envFromList(["foo="])), "[]");
  assert.equal(lex.processWord("[$foo]", envFromList(["foo=bar"])), "[bar]");
  assert.equal(lex.processWord("[$foo $car]", envFromList(["foo=bar", "car=hat"])), "[bar hat]");
  assert.equal(lex.processWord("[$car]", envFromList(["foo=bar", "car=hat", "car=bike"])), "[bike]");
  assert.equal(lex.processWord("[$a]", envFromList(["a=b=c"])), "[b=c]");
});

interface MatchCase {
  input: string;
  env: Record<string, string>;
  expected?: string;
  error?: true;
  matched?: string[];
  unmatched?: string[];
}

const fooBar = { FOO: "xxx", BAR: "" };

const matchCases: MatchCase[] = [
  { input: "x", env: { DUMMY: "dummy" }, expected: "x" },
  { input: "x ${UNUSED}", env: { DUMMY: "dummy" }, expected: "x ", unmatched: ["UNUSED"] },
  { input: "x ${FOO}", env: { FOO: "y" }, expected: "x y", matched: ["FOO"] },
  { input: "${FOO-aaa} ${BAR-bbb} ${BAZ-ccc}", env: fooBar, expected: "xxx  ccc", matched: ["FOO", "BAR"], unmatched: ["BAZ"] },
  { input: "${FOO:-aaa} ${BAR:-bbb} ${BAZ:-ccc}", env: fooBar, expected: "xxx bbb ccc", matched: ["FOO", "BAR"], unmatched: ["BAZ"] },
  { input: "${FOO:-}", env: fooBar, expected: "xxx", matched: ["FOO"] },
  { input: "${FOO:-}", env: {}, expected: "", unmatched: ["FOO"] },
  { input: "${FOO+aaa} ${BAR+bbb} ${BAZ+ccc}", env: fooBar, expected: "aaa bbb ", matched: ["FOO", "BAR"], unmatched: ["BAZ"] },
  { input: "${FOO:+aaa} ${BAR:+bbb} ${BAZ:+ccc}", env: fooBar, expected: "aaa  ", matched: ["FOO", "BAR"], unmatched: ["BAZ"] },
  { input: "${FOO?aaa}", env: fooBar, expected: "xxx", matched: ["FOO"] },
  { input: "${BAR?bbb}", env: fooBar, expected: "", matched: ["BAR"] },
  { input: "${BAZ?ccc}", env: fooBar, error: true },
  { input: "${FOO:?aaa}", env: fooBar, expected: "xxx", matched: ["FOO"] },
  { input: "${BAR:?bbb}", env: fooBar, error: true },
  { input: "${BAZ:?ccc}", env: fooBar, error: true },
  { input: "${BAZ:?}", env: fooBar, error: true },
  { input: "${FOO=aaa}", env: fooBar, error: true },
  { input: "${FOO=:aaa}", env: fooBar, error: true },
  { input: "${FOO=}", env: {}, error: true },
  // Regular expression metacharacters are literal; `\}` keeps the brace from closing the ${}.
  { input: "${FOO#()[]{\\}^$.\\*\\?|\\\\}", env: { FOO: "()[]{}^$.*?|\\x" }, expected: "x", matched: ["FOO"] },
  { input: "${FOO%%\\**}", env: { FOO: "xx**" }, expected: "xx", matched: ["FOO"] },
  { input: "${FOO#*x*y}", env: { FOO: "xxyy" }, expected: "y", matched: ["FOO"] },
  { input: "${FOO#*}", env: { FOO: "xxyy" }, expected: "xxyy", matched: ["FOO"] },
  { input: "${FOO#$BAR}", env: { FOO: "xxyy", BAR: "x" }, expected: "xyy", matched: ["FOO", "BAR"] },
  { input: "${FOO#$BAR}", env: { FOO: "xxyy", BAR: "" }, expected: "xxyy", matched: ["FOO", "BAR"] },
  { input: "${FOO#}", env: { FOO: "xxyy" }, expected: "xxyy", matched: ["FOO"] },
  { input: "${FOO##*x}", env: { FOO: "xxyy" }, expected: "yy", matched: ["FOO"] },
  { input: "${FOO##}", env: { FOO: "xxyy" }, expected: "xxyy", matched: ["FOO"] },
  { input: "${FOO#?\\?}", env: { FOO: "???y" }, expected: "?y", matched: ["FOO"] },
  { input: "${ABC:-.}${FOO%x}${ABC:-.}", env: { FOO: "xxyy" }, expected: ".xxyy.", matched: ["FOO"], unmatched: ["ABC"] },
  { input: "${FOO%%\\**\\*}", env: { FOO: "a***yy*" }, expected: "a", matched: ["FOO"] },
  { input: "${FOO%}", env: { FOO: "xxyy" }, expected: "xxyy", matched: ["FOO"] },
  { input: "${FOO%%$BAR}", env: { FOO: "xxyy", BAR: "" }, expected: "xxyy", matched: ["FOO", "BAR"] },
  { input: "${FOO:#}", env: {}, error: true },
  { input: "${FOO:##}", env: {}, error: true },
  { input: "${FOO:%}", env: {}, error: true },
  { input: "${FOO:%%}", env: {}, error: true },
  { input: "${FOO/$NEEDLE/.} - ${FOO//$NEEDLE/.}", env: { FOO: "/foo*/*/*.txt", NEEDLE: "\\*/" }, expected: "/foo.*/*.txt - /foo..*.txt", matched: ["FOO", "NEEDLE"] },
  { input: "${FOO/$NEEDLE/} - ${FOO//$NEEDLE/}", env: { FOO: "/tmp/tmp/bar.txt", NEEDLE: "/tmp" }, expected: "/tmp/bar.txt - /bar.txt", matched: ["FOO", "NEEDLE"] },
  {
    input: "${FOO/$NEEDLE/$REPLACEMENT} - ${FOO//$NEEDLE/$REPLACEMENT}",
    env: { FOO: "/a/foo/b/c.txt", NEEDLE: "/?/", REPLACEMENT: "/" },
    expected: "/foo/b/c.txt - /foo/c.txt",
    matched: ["FOO", "NEEDLE", "REPLACEMENT"],
  },
  {
    input: "${FOO/$NEEDLE/$REPLACEMENT}",
    env: { FOO: "http://google.de", NEEDLE: "http://", REPLACEMENT: "https://" },
    expected: "https://google.de",
    matched: ["FOO", "NEEDLE", "REPLACEMENT"],
  },
  { input: "${FOO//\\//\\/}", env: { FOO: "/tmp/foo.txt" }, expected: "\\/tmp\\/foo.txt", matched: ["FOO"] },
  { input: "${FOO/$BAR/ww}", env: { FOO: "xxyy", BAR: "" }, expected: "wwxxyy", matched: ["FOO", "BAR"] },
  { input: "${FOO//ww}", env: { FOO: "xxyy" }, error: true },
  { input: "${FOO//}", env: { FOO: "xxyy" }, error: true },
  { input: "${FOO///}", env: { FOO: "xxyy" }, expected: "xxyy", matched: ["FOO"] },
  { input: "${FOO///}", env: {}, expected: "", unmatched: ["FOO"] },
];

test("processWordWithMatches: BuildKit's TestProcessWithMatches table", async (t) => {
  const lex = new ShellLex("\\");
  for (const c of matchCases) {
    await t.test(c.input, () => {
      const env = new Map(Object.entries(c.env));
      if (c.error) {
        assert.throws(() => lex.processWordWithMatches(c.input, env), ShellLexError);
        return;
      }
      const { result, matched, unmatched } = lex.processWordWithMatches(c.input, env);
      assert.equal(result, c.expected);
      assert.deepEqual([...matched].sort(), [...(c.matched ?? [])].sort());
      assert.deepEqual([...unmatched].sort(), [...(c.unmatched ?? [])].sort());
    });
  }
});

test("a release file name with an optional ${TARGETVARIANT:+-${TARGETVARIANT}}", () => {
  const lex = new ShellLex("\\");
  const release = "something-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tar.gz";
  const base = { VERSION: "v1.2.3", TARGETOS: "linux" };
  assert.equal(lex.processWord(release, { ...base, TARGETARCH: "arm", TARGETVARIANT: "v7" }), "something-v1.2.3.linux-arm-v7.tar.gz");
  assert.equal(lex.processWord(release, { ...base, TARGETARCH: "arm64", TARGETVARIANT: "" }), "something-v1.2.3.linux-arm64.tar.gz");
  const { result, unmatched } = lex.processWordWithMatches(release, { ...base, TARGETARCH: "arm64" });
  assert.equal(result, "something-v1.2.3.linux-arm64.tar.gz");
  assert.deepEqual([...unmatched], ["TARGETVARIANT"]);
});

test("errors carry BuildKit's texts, the word quoted as Go's %q", () => {
  const lex = new ShellLex("\\");
  const env = envFromList(["X=abc"]);
  const cases: [string, string][] = [
    ["${", `failed to process "\${": syntax error: missing '}'`],
    ["${}", `failed to process "\${}": syntax error: bad substitution`],
    ["${X:-a", `failed to process "\${X:-a": syntax error: missing '}'`],
    ["${X/a", `failed to process "\${X/a": syntax error: missing '/' in \${}`],
    // The end of input reads as Go's rune -1, which prints as U+FFFD.
    ["${PWD", `failed to process "\${PWD": unsupported modifier (\ufffd) in substitution`],
    ["x${X:=1}", `failed to process "x\${X:=1}": unsupported modifier (:=) in substitution`],
    ["x${X=1}", `failed to process "x\${X=1}": unsupported modifier (=) in substitution`],
    ["${X:#a}", `failed to process "\${X:#a}": unsupported modifier (:#) in substitution`],
    ['"abc', `failed to process "\\"abc": unexpected end of statement while looking for matching double-quote`],
    ["'abc", `failed to process "'abc": unexpected end of statement while looking for matching single-quote`],
    // An error at the end of the input inside ${...} is reported as the missing brace.
    ["${X:-'abc}", `failed to process "\${X:-'abc}": syntax error: missing '}'`],
    ["${X:-${Y:?oops}}", `failed to process "\${X:-\${Y:?oops}}": Y: oops`],
    ["${X:-${Y:?oops}", `failed to process "\${X:-\${Y:?oops}": syntax error: missing '}'`],
    ["${X#\\x}", `failed to process "\${X#\\\\x}": invalid pattern (\\x) in substitution: invalid escape '\\x'`],
    ["${X/\\a/}", `failed to process "\${X/\\\\a/}": invalid pattern (\\a) in substitution: invalid escape '\\a'`],
    // Suffix patterns are matched reversed, and the message shows them so.
    ["${X%ab\\c}", `failed to process "\${X%ab\\\\c}": invalid pattern (\\cba) in substitution: invalid escape '\\c'`],
    ["\ta\nb\u0001\u00a0\"\\안😀${", `failed to process "\\ta\\nb\\x01\\u00a0\\"\\\\안😀\${": syntax error: missing '}'`],
  ];
  for (const [word, message] of cases) expectLexError(() => lex.processWord(word, env), message);
});

test("ShellLexError keeps the word and the bare reason for the builder", () => {
  const lex = new ShellLex("\\");
  try {
    lex.processWord("a${B:?is required}", new Map());
    assert.fail("expected an error");
  } catch (error) {
    assert.ok(error instanceof ShellLexError);
    assert.ok(error instanceof Error);
    assert.equal(error.name, "ShellLexError");
    assert.equal(error.word, "a${B:?is required}");
    assert.equal(error.reason, "B: is required");
  }
});

test("${VAR//p/r} follows Go's ReplaceAllString: $0 is the match, $$ a dollar, no empty match right after a match", () => {
  const lex = new ShellLex("\\");
  // `\$` keeps the dollar away from the shell expansion so the regexp replacement sees it.
  assert.equal(lex.processWord("${X//a/<\\$0>}", { X: "banana" }), "b<\\a>n<\\a>n<\\a>");
  assert.equal(lex.processWord("${X//a/\\$$}", { X: "banana" }), "b\\$n\\$n\\$");
  assert.equal(lex.processWord("${X//a/\\$9}", { X: "banana" }), "b\\n\\n\\");
  // A single replacement is inserted as is.
  assert.equal(lex.processWord("${X/a/<\\$0>}", { X: "banana" }), "b<\\$0>nana");
  // JavaScript's "abc".replace(/.*/g, "-") gives "--".
  assert.equal(lex.processWord("${X//*/-}", { X: "abc" }), "-");
  assert.equal(lex.processWord("${X//a*/-}", { X: "baaac" }), "b-");
  assert.equal(lex.processWord("${X//$EMPTY/-}", { X: "banana", EMPTY: "" }), "-b-a-n-a-n-a-");
  assert.equal(lex.processWord("${X//$EMPTY/-}", { X: "", EMPTY: "" }), "-");
});

test("pattern wildcards do not match a newline, as Go's regexp dot", () => {
  const lex = new ShellLex("\\");
  const value = { X: "a\nb\nb" };
  assert.equal(lex.processWord("${X#*b} ${X##*b} ${X%b*} ${X%%b*}", value), "a\nb\nb a\nb\nb a\nb\n a\nb\n");
  assert.equal(lex.processWord("${X#?}", { X: "\nb" }), "\nb");
  assert.equal(lex.processWord("${X%%\\\\*}", { X: "a\\*b" }), "a");
});

test("processWords splits on Go's Unicode spaces, keeps heredoc markers whole and drops empty quotes", () => {
  const lex = new ShellLex("\\");
  assert.deepEqual(lex.processWords("a\u00a0b\ufeffc\u0085d", {}), ["a", "b\ufeffc", "d"]);
  assert.deepEqual(lex.processWords("$V x", { V: "1\u00a02\ufeff3 4" }), ["1", "2\ufeff3", "4", "x"]);
  assert.deepEqual(lex.processWords("a  << EOF b", {}), ["a", "<< EOF", "b"]);
  assert.deepEqual(lex.processWords(`a""b "" ''`, {}), ["ab"]);
  assert.deepEqual(lex.processWords("80/tcp  ${PORTS}", { PORTS: "443 8080/udp" }), ["80/tcp", "443", "8080/udp"]);
});

test("processWords keeps BuildKit's quirk: a nested ${V:-...} drops the text before it from the word", () => {
  const lex = new ShellLex("\\");
  assert.deepEqual(lex.processWords("a${X:-c}d e", {}), ["cd", "e"]);
  assert.equal(lex.processWord("a${X:-c}d e", {}), "acd e");
});

test("the escape directive can make ` the escape character", () => {
  const lex = new ShellLex("`");
  assert.equal(lex.processWord('he`$PWD "a`"b" c\\d', { PWD: "/home" }), 'he$PWD a"b c\\d');
  assert.equal(lex.processWord("C:\\path\\$D", { D: "dir" }), "C:\\path\\dir");
  assert.throws(() => new ShellLex("ab"), TypeError);
  assert.throws(() => new ShellLex(""), TypeError);
});

test("names: Unicode letters, digits, _, positional digits and special parameters", () => {
  const lex = new ShellLex("\\");
  const env = envFromList(["안녕=hi", "_a1=u", "é=e"]);
  const { result, matched, unmatched } = lex.processWordWithMatches("$안녕 ${안녕}x $_a1 $1a $@@ $é", env);
  assert.equal(result, "hi hix u a @ e");
  assert.deepEqual([...matched].sort(), ["_a1", "é", "안녕"]);
  assert.deepEqual([...unmatched].sort(), ["1", "@"]);
  // A leading byte order mark is dropped, as Go's text/scanner does.
  assert.equal(lex.processWord("\ufeff$X", { X: "1" }), "1");
});

test("a plain-object env only counts its own properties", () => {
  const lex = new ShellLex("\\");
  const env: ShellEnv = {};
  const { result, unmatched } = lex.processWordWithMatches("$constructor ${__proto__:-u} $toString", env);
  assert.equal(result, " u ");
  assert.deepEqual([...unmatched].sort(), ["__proto__", "constructor", "toString"]);
});

test("parser modes: skipUnsetEnv, rawQuotes, rawEscapes and skipProcessQuotes", () => {
  const keepUnset = new ShellLex("\\");
  keepUnset.skipUnsetEnv = true;
  keepUnset.rawQuotes = true;
  assert.equal(
    keepUnset.processWord(`$X \${Y} \${Z:-d} \${X/a/b} \${Z//a/b} \${Z%x} '$Y' "$X" \${Z:?x}`, { X: "1" }),
    `1 \${Y} \${Z:-d} 1 \${Z/a/b} \${Z%x} '$Y' "1" \${Z:?x}`,
  );

  const raw = new ShellLex("\\");
  raw.rawQuotes = true;
  raw.rawEscapes = true;
  raw.skipUnsetEnv = true;
  assert.deepEqual(raw.processWords(`a\\ b "c\\"d" 'e'`, {}), ["a\\ b", `"c\\"d"`, "'e'"]);

  const mount = new ShellLex("\\");
  mount.skipProcessQuotes = true;
  assert.equal(mount.processWord(`type=cache,target='/a b' "$X"`, { X: "1" }), `type=cache,target='/a b' "1"`);
});

/** frontend/dockerfile/shell/envVarTest, verbatim (one string per line: trailing spaces matter). */
function envVarTestLines(): string[] {
  return [
    "A|hello                    |     hello",
    "A|he'll'o                  |     hello",
    "A|he'llo                   |     error",
    "A|he\\'llo                  |     he'llo",
    "A|he\\\\'llo                 |     error",
    "A|abc\\tdef                 |     abctdef",
    "A|\"abc\\tdef\"               |     abc\\tdef",
    "A|\"abc\\\\tdef\"              |     abc\\tdef",
    "A|'abc\\tdef'               |     abc\\tdef",
    "A|hello\\                   |     hello",
    "A|hello\\\\                  |     hello\\",
    "A|\"hello                   |     error",
    "A|\"hello\\\"                 |     error",
    "A|\"hel'lo\"                 |     hel'lo",
    "A|'hello                   |     error",
    "A|'hello\\'                 |     hello\\",
    "A|'hello\\there'            |     hello\\there",
    "A|'hello\\\\there'           |     hello\\\\there",
    "A|\"''\"                     |     ''",
    "A|$.                       |     $.",
    "A|he$1x                    |     hex",
    "A|he$.x                    |     he$.x",
    "# Next one is different on Windows as $pwd==$PWD",
    "U|he$pwd.                  |     he.",
    "W|he$pwd.                  |     he/home.",
    "A|he$PWD                   |     he/home",
    "A|he\\$PWD                  |     he$PWD",
    "A|he\\\\$PWD                 |     he\\/home",
    "A|\"he\\$PWD\"                |     he$PWD",
    "A|\"he\\\\$PWD\"               |     he\\/home",
    "A|\\${}                     |     ${}",
    "A|\\${}aaa                  |     ${}aaa",
    "A|he\\${}                   |     he${}",
    "A|he\\${}xx                 |     he${}xx",
    "A|${}                      |     error",
    "A|${}aaa                   |     error",
    "A|he${}                    |     error",
    "A|he${}xx                  |     error",
    "A|he${hi}                  |     he",
    "A|he${hi}xx                |     hexx",
    "A|he${PWD}                 |     he/home",
    "A|he${.}                   |     error",
    "A|he${XXX:-000}xx          |     he000xx",
    "A|he${PWD:-000}xx          |     he/homexx",
    "A|he${XXX:-$PWD}xx         |     he/homexx",
    "A|he${XXX:-${PWD:-yyy}}xx  |     he/homexx",
    "A|he${XXX:-${YYY:-yyy}}xx  |     heyyyxx",
    "A|he${XXX:YYY}             |     error",
    "A|he${XXX?}                |     error",
    "A|he${XXX:?}               |     error",
    "A|he${PWD?}                |     he/home",
    "A|he${PWD:?}               |     he/home",
    "A|he${NULL?}               |     he",
    "A|he${NULL:?}              |     error",
    "A|he${XXX:+${PWD}}xx       |     hexx",
    "A|he${PWD:+${XXX}}xx       |     hexx",
    "A|he${PWD:+${SHELL}}xx     |     hebashxx",
    "A|he${XXX:+000}xx          |     hexx",
    "A|he${PWD:+000}xx          |     he000xx",
    "A|'he${XX}'                |     he${XX}",
    "A|\"he${PWD}\"               |     he/home",
    "A|\"he'$PWD'\"               |     he'/home'",
    "A|\"$PWD\"                   |     /home",
    "A|'$PWD'                   |     $PWD",
    "A|'\\$PWD'                  |     \\$PWD",
    "A|'\"hello\"'                |     \"hello\"",
    "A|he\\$PWD                  |     he$PWD",
    "A|\"he\\$PWD\"                |     he$PWD",
    "A|'he\\$PWD'                |     he\\$PWD",
    "A|he${PWD                  |     error",
    "A|he${PWD:=000}xx          |     error",
    "A|he${PWD:+${PWD}:}xx      |     he/home:xx",
    "A|he${XXX:-\\$PWD:}xx       |     he$PWD:xx",
    "A|he${XXX:-\\${PWD}z}xx     |     he${PWDz}xx",
    "A|안녕하세요                 |     안녕하세요",
    "A|안'녕'하세요               |     안녕하세요",
    "A|안'녕하세요                |     error",
    "A|안녕\\'하세요               |     안녕'하세요",
    "A|안\\\\'녕하세요              |     error",
    "A|안녕\\t하세요               |     안녕t하세요",
    "A|\"안녕\\t하세요\"             |     안녕\\t하세요",
    "A|'안녕\\t하세요              |     error",
    "A|안녕하세요\\                |     안녕하세요",
    "A|안녕하세요\\\\               |     안녕하세요\\",
    "A|\"안녕하세요                |     error",
    "A|\"안녕하세요\\\"              |     error",
    "A|\"안녕'하세요\"              |     안녕'하세요",
    "A|'안녕하세요                |     error",
    "A|'안녕하세요\\'              |     안녕하세요\\",
    "A|안녕$1x                    |     안녕x",
    "A|안녕$.x                    |     안녕$.x",
    "# Next one is different on Windows as $pwd==$PWD",
    "U|안녕$pwd.                  |     안녕.",
    "W|안녕$pwd.                  |     안녕/home.",
    "A|안녕$PWD                   |     안녕/home",
    "A|안녕\\$PWD                  |     안녕$PWD",
    "A|안녕\\\\$PWD                 |     안녕\\/home",
    "A|안녕\\${}                   |     안녕${}",
    "A|안녕\\${}xx                 |     안녕${}xx",
    "A|안녕${}                    |     error",
    "A|안녕${}xx                  |     error",
    "A|안녕${hi}                  |     안녕",
    "A|안녕${hi}xx                |     안녕xx",
    "A|안녕${PWD}                 |     안녕/home",
    "A|안녕${.}                   |     error",
    "A|안녕${XXX:-000}xx          |     안녕000xx",
    "A|안녕${PWD:-000}xx          |     안녕/homexx",
    "A|안녕${XXX:-$PWD}xx         |     안녕/homexx",
    "A|안녕${XXX:-${PWD:-yyy}}xx  |     안녕/homexx",
    "A|안녕${XXX:-${YYY:-yyy}}xx  |     안녕yyyxx",
    "A|안녕${XXX:YYY}             |     error",
    "A|안녕${XXX:+${PWD}}xx       |     안녕xx",
    "A|안녕${PWD:+${XXX}}xx       |     안녕xx",
    "A|안녕${PWD:+${SHELL}}xx     |     안녕bashxx",
    "A|안녕${XXX:+000}xx          |     안녕xx",
    "A|안녕${PWD:+000}xx          |     안녕000xx",
    "A|'안녕${XX}'                |     안녕${XX}",
    "A|\"안녕${PWD}\"               |     안녕/home",
    "A|\"안녕'$PWD'\"               |     안녕'/home'",
    "A|'\"안녕\"'                   |     \"안녕\"",
    "A|안녕\\$PWD                  |     안녕$PWD",
    "A|\"안녕\\$PWD\"                |     안녕$PWD",
    "A|'안녕\\$PWD'                |     안녕\\$PWD",
    "A|안녕${PWD                  |     error",
    "A|안녕${PWD:=000}xx          |     error",
    "A|안녕${PWD:+${PWD}:}xx      |     안녕/home:xx",
    "A|안녕${XXX:-\\$PWD:}xx       |     안녕$PWD:xx",
    "A|안녕${XXX:-\\${PWD}z}xx     |     안녕${PWDz}xx",
    "A|$KOREAN                    |     한국어",
    "A|안녕$KOREAN                |     안녕한국어",
    "A|${{aaa}                   |     error",
    "A|${aaa}}                   |     }",
    "A|${aaa                     |     error",
    "A|${{aaa:-bbb}              |     error",
    "A|${aaa:-bbb}}              |     bbb}",
    "A|${aaa:-bbb                |     error",
    "A|${aaa:-bbb}               |     bbb",
    "A|${aaa:-${bbb:-ccc}}       |     ccc",
    "A|${aaa:-bbb ${foo}         |     error",
    "A|${aaa:-bbb {foo}          |     bbb {foo",
    "A|${:}                      |     error",
    "A|${:-bbb}                  |     error",
    "A|${:+bbb}                  |     error",
    "",
    "# Positional parameters won't be set:",
    "# http://pubs.opengroup.org/onlinepubs/009695399/utilities/xcu_chap02.html#tag_02_05_01",
    "A|$1                        |",
    "A|${1}                      |",
    "A|${1:+bbb}                 |",
    "A|${1:-bbb}                 |     bbb",
    "A|$2                        |",
    "A|${2}                      |",
    "A|${2:+bbb}                 |",
    "A|${2:-bbb}                 |     bbb",
    "A|$3                        |",
    "A|${3}                      |",
    "A|${3:+bbb}                 |",
    "A|${3:-bbb}                 |     bbb",
    "A|$4                        |",
    "A|${4}                      |",
    "A|${4:+bbb}                 |",
    "A|${4:-bbb}                 |     bbb",
    "A|$5                        |",
    "A|${5}                      |",
    "A|${5:+bbb}                 |",
    "A|${5:-bbb}                 |     bbb",
    "A|$6                        |",
    "A|${6}                      |",
    "A|${6:+bbb}                 |",
    "A|${6:-bbb}                 |     bbb",
    "A|$7                        |",
    "A|${7}                      |",
    "A|${7:+bbb}                 |",
    "A|${7:-bbb}                 |     bbb",
    "A|$8                        |",
    "A|${8}                      |",
    "A|${8:+bbb}                 |",
    "A|${8:-bbb}                 |     bbb",
    "A|$9                        |",
    "A|${9}                      |",
    "A|${9:+bbb}                 |",
    "A|${9:-bbb}                 |     bbb",
    "A|$999                      |",
    "A|${999}                    |",
    "A|${999:+bbb}               |",
    "A|${999:-bbb}               |     bbb",
    "A|$999aaa                   |     aaa",
    "A|${999}aaa                 |     aaa",
    "A|${999:+bbb}aaa            |     aaa",
    "A|${999:-bbb}aaa            |     bbbaaa",
    "A|$001                      |",
    "A|${001}                    |",
    "A|${001:+bbb}               |",
    "A|${001:-bbb}               |     bbb",
    "A|$001aaa                   |     aaa",
    "A|${001}aaa                 |     aaa",
    "A|${001:+bbb}aaa            |     aaa",
    "A|${001:-bbb}aaa            |     bbbaaa",
    "",
    "# Special parameters won't be set in the Dockerfile:",
    "# http://pubs.opengroup.org/onlinepubs/009695399/utilities/xcu_chap02.html#tag_02_05_02",
    "A|$@                        |",
    "A|${@}                      |",
    "A|${@:+bbb}                 |",
    "A|${@:-bbb}                 |     bbb",
    "A|$@@@                      |     @@",
    "A|$@aaa                     |     aaa",
    "A|${@}aaa                   |     aaa",
    "A|${@:+bbb}aaa              |     aaa",
    "A|${@:-bbb}aaa              |     bbbaaa",
    "A|$*                        |",
    "A|${*}                      |",
    "A|${*:+bbb}                 |",
    "A|${*:-bbb}                 |     bbb",
    "A|$#                        |",
    "A|${#}                      |",
    "A|${#:+bbb}                 |",
    "A|${#:-bbb}                 |     bbb",
    "A|$?                        |",
    "A|${?}                      |",
    "A|${?:+bbb}                 |",
    "A|${?:-bbb}                 |     bbb",
    "A|$-                        |",
    "A|${-}                      |",
    "A|${-:+bbb}                 |",
    "A|${-:-bbb}                 |     bbb",
    "A|$$                        |",
    "A|${$}                      |",
    "A|${$:+bbb}                 |",
    "A|${$:-bbb}                 |     bbb",
    "A|$!                        |",
    "A|${!}                      |",
    "A|${!:+bbb}                 |",
    "A|${!:-bbb}                 |     bbb",
    "A|$0                        |",
    "A|${0}                      |",
    "A|${0:+bbb}                 |",
    "A|${0:-bbb}                 |     bbb",
  ];
}

/** frontend/dockerfile/shell/wordsTest, verbatim (one string per line: trailing spaces matter). */
function wordsTestLines(): string[] {
  return [
    "hello | hello",
    "hello${hi}bye | hellobye",
    "ENV hi=hi",
    "hello${hi}bye | hellohibye",
    "ENV space=abc  def",
    "hello${space}bye | helloabc,defbye",
    "hello\"${space}\"bye | helloabc  defbye",
    "hello \"${space}\"bye | hello,abc  defbye",
    "ENV leading=  ab c",
    "hello${leading}def | hello,ab,cdef",
    "hello\"${leading}\" def | hello  ab c,def",
    "hello\"${leading}\" | hello  ab c",
    "hello${leading} | hello,ab,c",
    "# next line MUST have 3 trailing spaces, don't erase them!",
    "ENV trailing=ab c   ",
    "hello${trailing} | helloab,c",
    "hello${trailing}d | helloab,c,d",
    "hello\"${trailing}\"d | helloab c   d",
    "# next line MUST have 3 trailing spaces, don't erase them!",
    "hel\"lo${trailing}\" | helloab c   ",
    "hello\" there  \" | hello there  ",
    "hello there     | hello,there",
    "hello\\ there | hello there",
    "hello\" there | error",
    "hello\\\" there | hello\",there",
    "hello\"\\\\there\" | hello\\there",
    "hello\"\\there\" | hello\\there",
    "hello'\\\\there' | hello\\\\there",
    "hello'\\there' | hello\\there",
    "hello'$there' | hello$there",
  ];
}
