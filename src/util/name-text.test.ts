import assert from "node:assert/strict";
import { test } from "node:test";
import { hasEscapedBytes, nameBytes, namePath, nameText, quotedName } from "./name-text.ts";

test("UTF-8 names read as themselves, with no byte escaped", () => {
  for (const name of ["plain", "é", "日本", "\u{1f600}", "a\nb", "\ufffd"]) {
    assert.equal(nameText(Buffer.from(name)), name);
    assert.equal(hasEscapedBytes(name), false);
    assert.equal(namePath(name), name);
  }
});

test("bytes outside valid UTF-8 read as lone U+DC80 to U+DCFF, and come back as the same bytes", () => {
  const cases: Array<[number[], string]> = [
    [[0x66, 0xff], "f\udcff"],
    [[0xc3], "\udcc3"], // a sequence cut short
    [[0xc0, 0x80], "\udcc0\udc80"], // an overlong NUL
    [[0xed, 0xa0, 0x80], "\udced\udca0\udc80"], // an encoded surrogate
    [[0xf4, 0x90, 0x80, 0x80], "\udcf4\udc90\udc80\udc80"], // past U+10FFFF
    [[0xe2, 0x82, 0xac, 0xfe, 0x61], "€\udcfea"],
  ];
  for (const [bytes, text] of cases) {
    assert.equal(nameText(Buffer.from(bytes)), text);
    assert.equal(hasEscapedBytes(text), true);
    assert.deepEqual(nameBytes(text), Buffer.from(bytes));
    assert.deepEqual(namePath(text), Buffer.from(bytes));
  }
});

test("two names that differ as bytes differ as text, where UTF-8 decoding would make them one", () => {
  const a = Buffer.from([0x66, 0xfe]);
  const b = Buffer.from([0x66, 0xff]);
  assert.equal(a.toString("utf8"), b.toString("utf8"));
  assert.notEqual(nameText(a), nameText(b));
});

test("a surrogate pair whose second half is in U+DC80 to U+DCFF is no escaped byte", () => {
  const text = "\u{1f4a9}"; // \ud83d\udca9
  assert.equal(hasEscapedBytes(text), false);
  assert.deepEqual(nameBytes(text), Buffer.from(text));
});

test("quotedName writes each byte that is not UTF-8 as \\xNN, and the rest as JSON does", () => {
  assert.equal(quotedName(nameText(Buffer.from([0x69, 0x6e, 0x2f, 0x66, 0xff]))), '"in/f\\xff"');
  assert.equal(quotedName('say "hi"\n'), '"say \\"hi\\"\\n"');
  assert.equal(quotedName("a\\udcff"), '"a\\\\udcff"', "a backslash and letters stay as they are");
  assert.equal(quotedName("\u{1f600}"), '"\u{1f600}"', "a surrogate pair is a character, not bytes");
});
