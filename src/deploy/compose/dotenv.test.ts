// Ported from compose-go dotenv/godotenv_test.go and parser_test.go.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseDotenv } from "./dotenv.ts";

function parse(source: string, lookup: (name: string) => string | undefined = () => undefined): Record<string, string> {
  const out: Record<string, string> = {};
  parseDotenv(source, out, lookup);
  return out;
}

const single: Array<[line: string, key: string, value: string]> = [
  ["FOO=bar", "FOO", "bar"],
  ["FOO =bar", "FOO", "bar"],
  ["FOO= bar", "FOO", "bar"],
  ['FOO="bar"', "FOO", "bar"],
  ["FOO='bar'", "FOO", "bar"],
  ['FOO="escaped\\"bar"', "FOO", 'escaped"bar'],
  ['FOO="\\"quoted\\""', "FOO", '"quoted"'],
  ["FOO=\"'d'\"", "FOO", "'d'"],
  ["OPTION_A: 1", "OPTION_A", "1"],
  ["OPTION_A: Foo=bar", "OPTION_A", "Foo=bar"],
  ["OPTION_A=1:B", "OPTION_A", "1:B"],
  ["export OPTION_A=2", "OPTION_A", "2"],
  ["export OPTION_B='\\n'", "OPTION_B", "\\n"],
  ["export exportFoo=2", "exportFoo", "2"],
  ["exportFOO=2", "exportFOO", "2"],
  ["export_FOO =2", "export_FOO", "2"],
  ["export.FOO= 2", "export.FOO", "2"],
  ["export\tOPTION_A=2", "OPTION_A", "2"],
  ["  export OPTION_A=2", "OPTION_A", "2"],
  ["\texport OPTION_A=2", "OPTION_A", "2"],
  ['export OPTION_A="export A"', "OPTION_A", "export A"],
  ['FOO="bar\\nbaz"', "FOO", "bar\nbaz"],
  ["FOO=a\\tb", "FOO", "a\\tb"],
  ['FOO="a\\tb"', "FOO", "a\tb"],
  ['KEY="Z\\aZ\\bZ\\fZ\\nZ\\rZ\\tZ\\vZ\\\\Z\\0123Z"', "KEY", "Z\x07Z\bZ\fZ\nZ\rZ\tZ\vZ\\ZSZ"],
  ["FOO.BAR=foobar", "FOO.BAR", "foobar"],
  ["FOO=foobar=", "FOO", "foobar="],
  ["FOO=bar ", "FOO", "bar"],
  ["FOO=bar # this is foo", "FOO", "bar"],
  ["FOO=bar #this is foo", "FOO", "bar"],
  ["FOO=bar #", "FOO", "bar"],
  ["FOO=123#not-an-inline-comment", "FOO", "123#not-an-inline-comment"],
  ['FOO="bar#baz"', "FOO", "bar#baz"],
  ['FOO="bar#baz"#', "FOO", "bar#baz"],
  ['FOO="bar#baz" # comment', "FOO", "bar#baz"],
  ["FOO='bar#baz' # comment", "FOO", "bar#baz"],
  ['FOO="bar#baz#bang" # comment', "FOO", "bar#baz#bang"],
  ['FOO="bar\\n\\ b\\az"', "FOO", "bar\n\\ b\x07z"],
  ['FOO="bar\\\\\\n\\ b\\az"', "FOO", "bar\\\n\\ b\x07z"],
  ['FOO="bar\\\\r\\ b\\az"', "FOO", "bar\\r\\ b\x07z"],
  ['FOO="bar\\nbaz\\\\"', "FOO", "bar\nbaz\\"],
  ['="value"', "", "value"],
  [" KEY =value", "KEY", "value"],
  ["   KEY=value", "KEY", "value"],
  ["\tKEY=value", "KEY", "value"],
  ['KEY="\\0123"', "KEY", "S"],
  ['KEY="\\x07"', "KEY", "\\x07"],
  ['KEY="\\u12e4"', "KEY", "\\u12e4"],
  ['KEY="\\U00101234"', "KEY", "\\U00101234"],
  ["árvíztűrő-TÜKÖRFÚRÓGÉP=ÁRVÍZTŰRŐ-tükörfúrógép", "árvíztűrő-TÜKÖRFÚRÓGÉP", "ÁRVÍZTŰRŐ-tükörfúrógép"],
  ["a[1]=c", "a[1]", "c"],
  ["\uFEFFBOM=stripped", "BOM", "stripped"],
];

test("single lines parse as compose-go's TestParsing", () => {
  for (const [line, key, value] of single) assert.equal(parse(line)[key], value, line);
});

test("several lines, quotes spanning lines and comments", () => {
  assert.deepEqual(parse("ONE=1\nTWO='2'\nTHREE = \"3\""), { ONE: "1", TWO: "2", THREE: "3" });
  assert.deepEqual(parse('TEST_URLS="stratum+tcp://a:3333\nstratum+tcp://b:443"\n# comment\n\n  # indented\nNEXT=1'), { TEST_URLS: "stratum+tcp://a:3333\nstratum+tcp://b:443", NEXT: "1" });
});

test("values expand earlier keys and the lookup, not in single quotes, not when escaped", () => {
  const expanding: Array<[string, Record<string, string>]> = [
    ["FOO=test\nBAR=$FOO", { FOO: "test", BAR: "test" }],
    ["FOO=test\nBAR=${FOO}bar", { FOO: "test", BAR: "testbar" }],
    ["BAR=$FOO", { BAR: "" }],
    ['FOO=test\nBAR="quote $FOO"', { FOO: "test", BAR: "quote test" }],
    ["BAR='quote $FOO'", { BAR: "quote $FOO" }],
    ['FOO="foo\\$BAR"', { FOO: "foo$BAR" }],
    ['FOO="foo\\${BAR}"', { FOO: "foo${BAR}" }],
    ['FOO=test\nBAR="foo\\${FOO} ${FOO}"', { FOO: "test", BAR: "foo${FOO} test" }],
    ["A=1\nB=${A:-x}_${A}\nC=${UNSET:-d}", { A: "1", B: "1_1", C: "d" }],
  ];
  for (const [source, expected] of expanding) assert.deepEqual(parse(source), expected, source);
  // The lookup (the process environment) wins over keys of the file itself.
  assert.deepEqual(parse("FOO=file\nBAR=$FOO", (name) => (name === "FOO" ? "process" : undefined)), { FOO: "file", BAR: "process" });
});

test("a bare KEY takes the lookup's value, or nothing", () => {
  const lookup = (name: string) => (name === "FROM_ENV" ? "yes" : undefined);
  assert.deepEqual(parse("FROM_ENV\nMISSING\nX=1\n", lookup), { FROM_ENV: "yes", X: "1" });
});

test("errors read as compose-go's", () => {
  assert.throws(() => parse("%!(EXTRA string)=foo"), { message: 'line 1: unexpected character "%" in variable name "%!(EXTRA string)=foo"' });
  assert.throws(() => parse("lol$wut"), { message: 'line 1: unexpected character "$" in variable name "lol$wut"' });
  assert.throws(() => parse("A=1\n\nKEY WITH SPACE=1"), { message: "line 3: key cannot contain a space" });
  for (const source of ['KEY="', 'KEY="value', 'KEY="value\\"', "KEY=\"value'", "KEY='", "KEY='value", "KEY='value\\'", "KEY='value\""]) {
    assert.throws(() => parse(source), /unterminated quoted value/, source);
  }
});
