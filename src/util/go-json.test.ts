import { test } from "node:test";
import assert from "node:assert/strict";
import { goJsonDecodeError, goJsonSyntaxError } from "./go-json.ts";

// Every expected string below is what Go 1.19's encoding/json printed for the same input, via
// json.Unmarshal(input, &v) and json.NewDecoder(bytes.NewReader(input)).Decode(&v) into an
// interface{}. The scanner has not changed since, so these hold for the Go dockerd is built with.

type Row = [input: string, unmarshalError: string | null, decodeError: string | null];

function check(rows: Row[]): void {
  for (const [input, unmarshalError, decodeError] of rows) {
    assert.equal(goJsonSyntaxError(input), unmarshalError, `Unmarshal of ${JSON.stringify(input)}`);
    assert.equal(goJsonDecodeError(input), decodeError, `Decode of ${JSON.stringify(input)}`);
  }
}

test("valid JSON is no error for either", () => {
  check([
    ["{}", null, null],
    ["[]", null, null],
    ["null", null, null],
    ["true", null, null],
    ["false", null, null],
    ["0", null, null],
    ["-0", null, null],
    ["12.5e-3", null, null],
    ["1E5", null, null],
    ["1e05", null, null],
    ['"a\\u00e9"', null, null],
    ['"\\uABCD\\uabcd"', null, null],
    ['"\\/\\b\\f\\n\\r\\t\\\\\\""', null, null],
    ['["é", "\\ud83d"]', null, null],
    [' {"a": [1, 2, {"b": null}]} ', null, null],
    ["1\n", null, null],
    ['{"a":"b"}\n\n', null, null],
    ["  [1]  ", null, null],
  ]);
});

test("no value at all: Unmarshal says end of input, the Decoder says EOF", () => {
  check([
    ["", "unexpected end of JSON input", "EOF"],
    [" ", "unexpected end of JSON input", "EOF"],
    [" \n\t\r ", "unexpected end of JSON input", "EOF"],
  ]);
});

test("a value cut short: the Decoder says unexpected EOF", () => {
  check([
    ["{", "unexpected end of JSON input", "unexpected EOF"],
    ["[", "unexpected end of JSON input", "unexpected EOF"],
    ["[[[", "unexpected end of JSON input", "unexpected EOF"],
    ['{"a"', "unexpected end of JSON input", "unexpected EOF"],
    ['{"a":', "unexpected end of JSON input", "unexpected EOF"],
    ['{"a":1', "unexpected end of JSON input", "unexpected EOF"],
    ['{"a":1,', "unexpected end of JSON input", "unexpected EOF"],
    ['"abc', "unexpected end of JSON input", "unexpected EOF"],
    // Unmarshal feeds a space at the end, so a cut literal or number complains about that space.
    ["tru", "invalid character ' ' in literal true (expecting 'e')", "unexpected EOF"],
    ["nul", "invalid character ' ' in literal null (expecting 'l')", "unexpected EOF"],
    ["-", "invalid character ' ' in numeric literal", "unexpected EOF"],
    ["1.", "invalid character ' ' after decimal point in numeric literal", "unexpected EOF"],
    ["1e", "invalid character ' ' in exponent of numeric literal", "unexpected EOF"],
    ["1e+", "invalid character ' ' in exponent of numeric literal", "unexpected EOF"],
    ['"\\', "invalid character ' ' in string escape code", "unexpected EOF"],
  ]);
});

test("a bad character inside the first value is the same error for both", () => {
  const rows: Array<[string, string]> = [
    ["{b}", "invalid character 'b' looking for beginning of object key string"],
    ["x", "invalid character 'x' looking for beginning of value"],
    ["nulo", "invalid character 'o' in literal null (expecting 'l')"],
    ["nul x", "invalid character ' ' in literal null (expecting 'l')"],
    ["tx", "invalid character 'x' in literal true (expecting 'r')"],
    ["fals3", "invalid character '3' in literal false (expecting 'e')"],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a":1]', "invalid character ']' after object key:value pair"],
    ['{"a":1 "b":2}', "invalid character '\"' after object key:value pair"],
    ["[1}", "invalid character '}' after array element"],
    ["[1 2]", "invalid character '2' after array element"],
    ["{,}", "invalid character ',' looking for beginning of object key string"],
    ['{"a":1,}', "invalid character '}' looking for beginning of object key string"],
    ["[,]", "invalid character ',' looking for beginning of value"],
    ["[1,]", "invalid character ']' looking for beginning of value"],
    ['["a",]', "invalid character ']' looking for beginning of value"],
    ["]", "invalid character ']' looking for beginning of value"],
    ["}", "invalid character '}' looking for beginning of value"],
    [":", "invalid character ':' looking for beginning of value"],
    [",", "invalid character ',' looking for beginning of value"],
    ["+1", "invalid character '+' looking for beginning of value"],
    [".5", "invalid character '.' looking for beginning of value"],
    ["-a", "invalid character 'a' in numeric literal"],
    ["1.a", "invalid character 'a' after decimal point in numeric literal"],
    ["1ea", "invalid character 'a' in exponent of numeric literal"],
    ['"\\x"', "invalid character 'x' in string escape code"],
    ['"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"],
    ['"a\nb"', "invalid character '\\n' in string literal"],
    ['"a\tb"', "invalid character '\\t' in string literal"],
  ];
  check(rows.map(([input, error]) => [input, error, error]));
});

test("data after the first value: an error for Unmarshal, ignored by the Decoder", () => {
  check([
    ['{"a":1}}', "invalid character '}' after top-level value", null],
    ["{}x", "invalid character 'x' after top-level value", null],
    ["{} x", "invalid character 'x' after top-level value", null],
    ["[] ]", "invalid character ']' after top-level value", null],
    ["[1] [2]", "invalid character '[' after top-level value", null],
    ['{"a":true}garbage', "invalid character 'g' after top-level value", null],
    ["1 2", "invalid character '2' after top-level value", null],
    ["2 x", "invalid character 'x' after top-level value", null],
    ["123x", "invalid character 'x' after top-level value", null],
    ['"a"b', "invalid character 'b' after top-level value", null],
    ["nullnull", "invalid character 'n' after top-level value", null],
    ["truex", "invalid character 'x' after top-level value", null],
    ["01", "invalid character '1' after top-level value", null],
    ["-01", "invalid character '1' after top-level value", null],
    ["1.5.2", "invalid character '.' after top-level value", null],
  ]);
});

test("the offending byte is quoted as a Go character literal", () => {
  const rows: Array<[string, string]> = [
    ["'a'", "invalid character '\\'' looking for beginning of value"],
    ["{'a':1}", "invalid character '\\'' looking for beginning of object key string"],
    ["\\", "invalid character '\\\\' looking for beginning of value"],
    ["\u0000", "invalid character '\\x00' looking for beginning of value"],
    ["\u0007", "invalid character '\\a' looking for beginning of value"],
    ["\u001b", "invalid character '\\x1b' looking for beginning of value"],
    ["\u007f", "invalid character '\\x7f' looking for beginning of value"],
    // Only the first UTF-8 byte is looked at, quoted as the Latin-1 rune of that number.
    ["é", "invalid character 'Ã' looking for beginning of value"],
    ["{é}", "invalid character 'Ã' looking for beginning of object key string"],
    ["\u00a0", "invalid character 'Â' looking for beginning of value"],
  ];
  check(rows.map(([input, error]) => [input, error, error]));
});

test("raw bytes that are not UTF-8 are quoted as Go quotes them", () => {
  const rows: Array<[number, string]> = [
    [0xff, "invalid character 'ÿ' looking for beginning of value"],
    [0xa1, "invalid character '¡' looking for beginning of value"],
    [0x80, "invalid character '\\u0080' looking for beginning of value"],
    [0x9f, "invalid character '\\u009f' looking for beginning of value"],
    [0xa0, "invalid character '\\u00a0' looking for beginning of value"],
    [0xad, "invalid character '\\u00ad' looking for beginning of value"],
  ];
  for (const [byte, error] of rows) {
    assert.equal(goJsonSyntaxError(Uint8Array.of(byte)), error);
    assert.equal(goJsonDecodeError(Uint8Array.of(byte)), error);
  }
  assert.equal(goJsonSyntaxError(Uint8Array.of(0x22, 0x5c, 0x22)), "unexpected end of JSON input");
  assert.equal(goJsonDecodeError(Uint8Array.of(0x22, 0x5c, 0x22)), "unexpected EOF");
});

test("nesting deeper than Go's limit of 10000 is refused", () => {
  check([
    ["[".repeat(10000) + "]".repeat(10000), null, null],
    ['{"a":'.repeat(10000) + "1" + "}".repeat(10000), null, null],
    ["[".repeat(10001), "invalid character '[' exceeded max depth", "invalid character '[' exceeded max depth"],
    ['{"a":'.repeat(10001), "invalid character '{' exceeded max depth", "invalid character '{' exceeded max depth"],
  ]);
});
