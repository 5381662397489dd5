import { test } from "node:test";
import assert from "node:assert/strict";
import { compileTemplate, formatDirective, TemplateError, type ExecuteOptions } from "./go-template.ts";

// Expected strings are what the real thing printed. Rows without data were run through the
// docker 28.2.2 CLI (Go 1.24), as `docker context ls --format TEMPLATE`; rows with data through
// Go 1.19's text/template with docker's function map (cli/templates/templates.go), where a struct
// stood for an object with methods, a map[string]any for a Map, and JSON-decoded values (integral
// numbers as int) for the rest. Where Go 1.19 and 1.24 differ, a row follows 1.24 and says so.

/** docker's volumeContext: methods only, no fields. */
function volumeContext(name: string, labels: Record<string, string>) {
  return {
    Name: () => name,
    Driver: () => "local",
    Labels: () =>
      Object.entries(labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(","),
    Label: (label: string) => labels[label] ?? "",
  };
}

const nested = {
  Name: "n1",
  Size: 42,
  Tags: ["x", "y"],
  Labels: { env: "prod" },
  Inner: { Value: "iv", Count: 3 },
  Vol: volumeContext("v2", {}),
};

type Row = [template: string, data: unknown, expected: string];

function render(template: string, data: unknown, options?: ExecuteOptions): string {
  return compileTemplate(template).execute(data, options);
}

function checkOutputs(rows: Row[]): void {
  for (const [template, data, expected] of rows) {
    assert.equal(render(template, data), expected, template);
  }
}

function thrown(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof TemplateError, `expected a TemplateError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected a TemplateError");
}

test("formatDirective reads --format as docker's formatter does", () => {
  const rows: Array<[string, ReturnType<typeof formatDirective>]> = [
    ["", { kind: "table", template: "" }],
    ["table", { kind: "table", template: "" }],
    ["table {{.Name}}\\t{{.Driver}}", { kind: "table", template: "{{.Name}}\t{{.Driver}}" }],
    ["table\t{{.Name}}", { kind: "table", template: "\t{{.Name}}" }],
    ["tableau {{.Name}}", { kind: "table", template: "au {{.Name}}" }],
    ["json", { kind: "json", template: "{{json .}}" }],
    ["JSON", { kind: "template", template: "JSON" }],
    ["{{.Name}}", { kind: "template", template: "{{.Name}}" }],
    ["  {{.Name}}  ", { kind: "template", template: "{{.Name}}" }],
    ["{{.Name}}\\n", { kind: "template", template: "{{.Name}}\n" }],
    ["\t{{.Name}}\n", { kind: "template", template: "\t{{.Name}}\n" }],
    ["a\\\\tb", { kind: "template", template: "a\\\tb" }],
    ["{{json .}}", { kind: "template", template: "{{json .}}" }],
  ];
  for (const [format, expected] of rows) assert.deepEqual(formatDirective(format), expected, format);
});

test("an action prints its value as Go's fmt does", () => {
  checkOutputs([
    ["", null, ""],
    ["plain text", null, "plain text"],
    ["{{.}}", "hello", "hello"],
    ["{{.}}", 42, "42"],
    ["{{.}}", 1.5, "1.5"],
    ["{{.}}", true, "true"],
    ["{{.}}", null, "<no value>"],
    ["{{.}}", undefined, "<no value>"],
    ["{{.}}", [1, "a", null, true], "[1 a <nil> true]"],
    ["{{.}}", { b: 1, a: "x", c: null, d: [1, 2], e: { z: 1 } }, "map[a:x b:1 c:<nil> d:[1 2] e:map[z:1]]"],
    ["{{.}}", [], "[]"],
    ["{{.}}", {}, "map[]"],
    ["{{.}}", [[1, 2], { a: [3] }], "[[1 2] map[a:[3]]]"],
    ["{{.}} {{len .}}", "中文", "中文 6"],
    ["{{9223372036854775807}}", null, "9223372036854775807"],
  ]);
});

test("fields, methods and pipelines", () => {
  const volume = volumeContext("myvol", { "com.example": "yes" });
  checkOutputs([
    ["{{.Name}}", volume, "myvol"],
    ["{{.Name}} {{.Driver}}", volume, "myvol local"],
    ['{{.Label "com.example"}}|{{.Label "missing"}}', volume, "yes|"],
    ["{{.Labels}}", volume, "com.example=yes"],
    ['{{"x" | .Label}}', volume, ""],
    ["{{.Name | upper}}", volume, "MYVOL"],
    ['{{.Name | printf "%s-%s" "x"}}', volume, "x-myvol"],
    ["{{upper .Name | lower}}", volume, "myvol"],
    ['{{printf "%s" .Name | printf "%s!"}}', volume, "myvol!"],
    ["{{.Name | len}}", volume, "5"],
    ['{{len .Name | printf "%03d"}}', volume, "005"],
    ["{{.Inner.Value}} {{.Inner.Count}}", nested, "iv 3"],
    ['{{.Vol.Name}} {{.Vol.Label "x"}}|', nested, "v2 |"],
    ["{{.Tags}} {{.Size}} {{.Labels}}", nested, "[x y] 42 map[env:prod]"],
    ["{{with .Vol}}{{.Name}}{{end}}", nested, "v2"],
    ['{{$v := .Vol}}{{$v.Name}} {{$v.Label "z"}}|', nested, "v2 |"],
    ["{{(.Vol).Name}}", nested, "v2"],
    ['{{.Size | printf "%d" | upper}}', nested, "42"],
    ["{{truncate .Name .Size}}", nested, "n1"],
    ["{{join .Tags .Name}}", nested, "xn1y"],
    ["{{.a.b.c}}", { a: { b: { c: "deep" } } }, "deep"],
    ['{{(.).a}} {{(index . "b").c}}', { a: "x", b: { c: "y" } }, "x y"],
    ['{{printf "%d-%d" (len .) (index . 0)}}', [7, 8], "2-7"],
    ["{{.Name|}}", undefined, "<no value>"],
    ["{{.Name | }}x", undefined, "<no value>x"],
    ["{{.Name}}}}", undefined, "<no value>}}"],
  ]);
});

test("docker's functions", () => {
  checkOutputs([
    ['{{join .a ", "}}', { a: ["x", "y", "z"] }, "x, y, z"],
    ['{{join .a ", "}}', { a: [] }, ""],
    ['{{join nil ","}}|', null, "|"],
    ['{{split .a ","}}', { a: "x,y,,z" }, "[x y  z]"],
    ['{{split .a ""}}', { a: "héllo" }, "[h é l l o]"],
    ['{{split .a ","}}', { a: "" }, "[]"],
    ['{{index (split .a ",") 1}}', { a: "x,y,z" }, "y"],
    ['{{len (split .a ",")}}', { a: "x,y,z" }, "3"],
    [
      "{{lower .}} {{upper .}} {{title .}}",
      "hello wORLD foo_bar x-y ßtraße éa 1a a1",
      "hello world foo_bar x-y ßtraße éa 1a a1 HELLO WORLD FOO_BAR X-Y ßTRAßE ÉA 1A A1 Hello WORLD Foo_bar X-Y ßtraße Éa 1a A1",
    ],
    ["{{title .}}", "hello\u00a0world, 'quoted' (paren) ünïcode x.y", "Hello\u00a0World, 'Quoted' (Paren) Ünïcode X.Y"],
    ["[{{pad . 2 3}}]", "ab", "[  ab   ]"],
    ["[{{pad . 2 3}}]", "", "[]"],
    ['{{pad "a" 1.0 1}}|', null, " a |"],
    ["{{truncate . 3}}|{{truncate . 10}}|{{truncate . 0}}|{{truncate . 5}}", "hello", "hel|hello||hello"],
    // Go cuts bytes, leaving half a character, which is written out as U+FFFD.
    ["{{truncate . 2}}", "héllo", "h\ufffd"],
  ]);
});

test("json writes what docker's json function writes", () => {
  checkOutputs([
    ["{{json .}}", { b: [1, 2.5, "x<y>&z"], a: null, c: { e: true, d: "\u2028" } }, '{"a":null,"b":[1,2.5,"x<y>&z"],"c":{"d":"\\u2028","e":true}}'],
    ["{{json .}}", 'tab\there "q" \\ \u0001 \u007f é 😀', '"tab\\there \\"q\\" \\\\ \\u0001 \u007f é 😀"'],
    ["{{json .}}", null, "null"],
    ["{{json .}}", 1e21, "1e+21"],
    ["{{json .}}", 1.5e-7, "1.5e-7"],
    ["{{json .}}", 0.000001, "0.000001"],
    ["{{json .}}", 123456789, "123456789"],
    ["{{json .x}}", new Map(), "null"],
    ["{{json .Tags}} {{json .Labels}} {{json .Size}}", nested, '["x","y"] {"env":"prod"} 42'],
    ["{{json .Inner}}", nested, '{"Count":3,"Value":"iv"}'],
    [
      "{{json .}}",
      { Size: 1.5, Big: 12345678901, Neg: -3, Tiny: 1e-9, Arr: [], Obj: {}, Unicode: "é中😀", Ctl: "\u0000\u001f", Html: "<&>" },
      '{"Arr":[],"Big":12345678901,"Ctl":"\\u0000\\u001f","Html":"<&>","Neg":-3,"Obj":{},"Size":1.5,"Tiny":1e-9,"Unicode":"é中😀"}',
    ],
    // Go 1.22 and later write \b and \f as such (Go 1.19 wrote \u0008 and \u000c).
    ["{{json .}}", "\b\f", '"\\b\\f"'],
    // Go cannot encode NaN: the encoder fails, and docker's json prints nothing.
    ["[{{json .}}]", { a: [Number.NaN] }, "[]"],
    // Like JSON.stringify: toJSON is used, and undefined properties and methods are left out.
    ["{{json .}}", { when: new Date(0), gone: undefined, method: () => 1 }, '{"when":"1970-01-01T00:00:00.000Z"}'],
  ]);
});

test("print, println and printf", () => {
  checkOutputs([
    ['{{println 1 2 "a" "b" 3}}', null, "1 2 a b 3\n"],
    ['{{print 1 2 "a" "b" 3 nil .x}}', new Map(), "1 2ab3 <nil> <nil>"],
    ['{{print 1 "a" 2.5 true nil}}', null, "1a2.5 true <nil>"],
    ['{{println "a" 1 nil}}', null, "a 1 <nil>\n"],
    ["{{println}}", null, "\n"],
    ["{{print}}", null, ""],
    ["{{print .}}", { b: "2", a: "1" }, "map[a:1 b:2]"],
    [
      '{{printf "%s|%d|%v|%q|%%|%5s|%-5s|%05d|%x|%t|%.2f|%v" "a" 3 .x "q\\n" "r" "l" 42 255 true 3.14159 1.5}}',
      new Map(),
      'a|3|<nil>|"q\\n"|%|    r|l    |00042|ff|true|3.14|1.5',
    ],
    ['{{printf "%d %s" "x" 3}}', null, "%!d(string=x) %!s(int=3)"],
    ['{{printf "%d %d" 1}}', null, "1 %!d(MISSING)"],
    ['{{printf "%d" 1 2}}', null, "1%!(EXTRA int=2)"],
    ['{{printf "%s %d" .Name}}', nested, "n1 %!d(MISSING)"],
    ['{{.Name | printf "%s %s" "a" "b"}}', nested, "a b%!(EXTRA string=n1)"],
    ['{{printf "%z" 1}}|{{printf "%"}}|{{printf "abc%" }}|{{printf "%!" 2}}', null, "%!z(int=1)|%!(NOVERB)|abc%!(NOVERB)|%!!(int=2)"],
    ['{{printf "%s" nil}}|{{printf "%v" nil}}|{{printf "%d" nil}}', null, "%!s(<nil>)|<nil>|%!d(<nil>)"],
    ['{{printf "%s" .x}}|{{.x | printf "%v"}}', new Map(), "%!s(<nil>)|<nil>"],
    ['{{printf "%v %v" .a .b}}', { a: [1, "x"], b: { k: "v" } }, "[1 x] map[k:v]"],
    ['{{printf "%s" .}}', ["a", "b"], "[a b]"],
    ['{{printf "%q" .}}', ["a", "b"], '["a" "b"]'],
    ['{{printf "%d" .}}', [1, "a", null], "[1 %!d(string=a) <nil>]"],
    ['{{printf "%d" .}}', { y: 2, z: 1 }, "map[%!d(string=y):2 %!d(string=z):1]"],
    ['{{printf "%s %v" . .}}', { k: [1, "a"] }, "map[k:[%!s(int=1) a]] map[k:[1 a]]"],
    ['{{printf "%v" .}}', { a: null }, "map[a:<nil>]"],
    ['{{printf "%5d" .}}', [1, 2], "[    1     2]"],
    ['{{printf "%T %T %T %T %T %T" 1 1.5 "s" true nil .}}', [1], "int float64 string bool <nil> []interface {}"],
    ['{{.Field.Method 1 2 | printf "%s" 5 | upper}}', null, "%!S(INT=5)%!(EXTRA <NIL>)"],
  ]);
});

test("printf verbs, flags, widths and precisions", () => {
  checkOutputs([
    ['{{printf "%5v|%-5v|%05v|%5v" "ab" 12 12 .}}', [1, 22], "   ab|12   |00012|[    1    22]"],
    ['{{printf "%c|%q|%U|%#U|%x|%X|%o|%b|%#x|%+d|% d|%8.3d" 65 66 9731 9731 -255 255 8 5 255 5 5 -7}}', null, "A|'B'|U+2603|U+2603 '☃'|-ff|FF|10|101|0xff|+5| 5|    -007"],
    ['{{printf "%x %X %o %O %b %c %U" 3054 3054 8 8 5 20013 128512}}', null, "bee BEE 10 0o10 101 中 U+1F600"],
    ['{{printf "%3c|%-3c|" 65 66}}', null, "  A|B  |"],
    ['{{printf "%.3d|%.0d|%5.0d|" 7 0 0}}', null, "007||     |"],
    ['{{printf "%#o %#b %#X" 8 5 255}}', null, "010 0b101 0XFF"],
    ['{{printf "%x"  -1}} {{printf "%o" -8}}', null, "-1 -10"],
    ['{{printf "%08d|%-08d|%+08d|% 08d" -42 42 42 42}}', null, "-0000042|42      |+0000042| 0000042"],
    ['{{printf "%-8s%5d" .Name .Size}}', { Name: "vol", Size: 42 }, "vol        42"],
    ['{{printf "%5.1s|%.2s|%+q|%#q|%#q|%x|% x|%X" "xyz" "héllo" "é" "a`b" "ab" "hé" "hi" "hi"}}', null, '    x|hé|"\\u00e9"|"a`b"|`ab`|68c3a9|68 69|6869'],
    ['{{printf "%.2s|%.0s|%.10s" "abc" "abc" "abc"}}', null, "ab||abc"],
    ['{{printf "%q" .}}', "中\u0000😀\u200b", '"中\\x00😀\\u200b"'],
    ['{{printf "%+q" .}}', "中😀", '"\\u4e2d\\U0001f600"'],
    ['{{printf "%5t|%-6t|%q" true false true}}', null, " true|false |%!q(bool=true)"],
    ['{{printf "%6.2f|%e|%g|%.3g|%G" 3.14159 1234.5678 0.000012 1234.5678 1e-7}}', null, "  3.14|1.234568e+03|1.2e-05|1.23e+03|1E-07"],
    ['{{printf "%v %v %v %v %v" 1000000.5 0.00001 123456.7 1e20 0.1}}', null, "1.0000005e+06 1e-05 123456.7 1e+20 0.1"],
    ['{{printf "%v %v" 1e-7 123456789.123}}', null, "1e-07 1.23456789123e+08"],
    ['{{printf "%10.3v|%-10v|%v" 3.14159 "x" 1e100}}', null, "      3.14|x         |1e+100"],
    ['{{printf "%e %E %.0e %g %.10g %G" 123456.789 0.000123 5.5 1e21 1.0 1e-10}}', null, "1.234568e+05 1.230000E-04 6e+00 1e+21 1 1E-10"],
    ['{{printf "%f %.3f %10.2f %-10.2f| %F" 1e21 0.0005 -1.5 2.25 3.0}}', null, "1000000000000000000000.000000 0.001      -1.50 2.25      | 3.000000"],
    // Exact halves round to even, as Go rounds the exact binary value.
    ['{{printf "%.0f %.0f %.1f %.1f %.2f" 2.5 3.5 0.25 0.35 1.005}}', null, "2 4 0.2 0.3 1.00"],
    ['{{printf "%08.3f|%+.1e|%-8.3e|%+05d" -3.14159 -0.000123 1234.5 42}}', null, "-003.142|-1.2e-04|1.234e+03|+0042"],
    ['{{printf "%d" 1.5}}', null, "%!d(float64=1.5)"],
    ['{{printf "%#v" 1}}', null, "1"],
  ]);
});

test("comparisons and boolean functions", () => {
  checkOutputs([
    ['{{if eq .a "b"}}B{{else if eq .a "c"}}C{{else}}other{{end}}', { a: "c" }, "C"],
    ['{{if eq .a "x" "y" "b"}}any{{end}}', { a: "b" }, "any"],
    ['{{if ne .a "b"}}ne{{else}}eq{{end}}', { a: "b" }, "eq"],
    ["{{eq 1 1}} {{eq 1 2}} {{eq \"a\" \"a\"}} {{eq true false}} {{eq .x nil}} {{eq nil nil}}", new Map(), "true false true false true true"],
    ["{{eq .Size 42}} {{eq .Name \"n1\"}} {{ne .Size 1}} {{lt .Size 50}}", nested, "true true true true"],
    ['{{lt 1 2}} {{le 2 2}} {{gt 1 2}} {{ge 2 2}} {{lt "a" "b"}} {{gt 1.5 1.2}}', null, "true true false true true true"],
    ['{{and 1 0 2}} {{and 1 2}} {{or 0 "" 3}} {{or 0 ""}}', null, "0 2 3 "],
    // and/or stop at the deciding argument: the failing index is never evaluated.
    ["{{and 1 0 (index .x 5)}} {{or 1 (index .x 5)}}", { x: [] }, "0 1"],
    ['{{1 | and 2}} {{0 | or ""}}', null, "1 0"],
    ["{{not 0}} {{not 1}} {{not .}}", [], "true false true"],
    ["{{if not .a}}empty{{end}}", { a: "" }, "empty"],
    ["{{if and .a .b}}both{{else if or .a .b}}one{{else}}none{{end}}", { a: 1, b: 0 }, "one"],
  ]);
});

test("len, index and slice", () => {
  checkOutputs([
    ["{{len .}}", "héllo", "6"],
    ["{{len .}}|{{.}}", "🎉", "4|🎉"],
    ["{{len .}}", [1, 2, 3], "3"],
    ["{{len .}}", { a: 1, b: 2 }, "2"],
    ["{{index . 1}}", ["a", "b", "c"], "b"],
    // Indexing a string gives a byte.
    ["{{index . 1}}", "hello", "101"],
    ['{{index . "a"}}|{{index . "missing"}}|', { a: "b" }, "b||"],
    ['{{index . "a"}}|{{index . "missing"}}|', new Map<string, unknown>([["a", 1]]), "1|<no value>|"],
    ['{{index . "a"}}|{{index . "missing"}}|', { a: 1 }, "1|<no value>|"],
    ['{{index .Labels "env"}} {{index .Labels "none"}}|', nested, "prod |"],
    ['{{index . "a" 1}}', { a: ["x", "y"] }, "y"],
    ['{{index . "a" "b"}}', { a: { b: "deep" } }, "deep"],
    ["{{index .}}", [1], "[1]"],
    ["{{slice . 1 2}}|{{slice .}}|{{slice . 1}}", [1, 2, 3], "[2]|[1 2 3]|[2 3]"],
    ["{{slice . 1 3}}", "hello", "el"],
    ["{{slice . 1 5}}", "hello", "ello"],
    ["{{slice . 0 1 2}}", [1, 2, 3], "[1]"],
  ]);
});

test("if, with, range and variables", () => {
  checkOutputs([
    ["{{if .a}}yes{{else}}no{{end}}", { a: true }, "yes"],
    ["{{if .a}}yes{{else}}no{{end}}", { a: 0 }, "no"],
    ["{{if .a}}yes{{else}}no{{end}}", { a: 0.5 }, "yes"],
    ["{{if .a}}yes{{else}}no{{end}}", { a: "" }, "no"],
    ["{{if .a}}yes{{else}}no{{end}}", { a: [] }, "no"],
    ["{{if .a}}yes{{else}}no{{end}}", { a: {} }, "no"],
    ["{{if .a}}yes{{else}}no{{end}}", { a: null }, "no"],
    ["{{if .Inner}}{{.Inner.Count}}{{end}}", nested, "3"],
    ["{{with .a}}has {{.}}{{else}}none{{end}}", { a: "x" }, "has x"],
    ["{{with .a}}has {{.}}{{else}}none{{end}}", { a: "" }, "none"],
    ["{{with .a}}{{.b}}{{end}}", { a: { b: "c" } }, "c"],
    ["{{with $v := .a}}{{$v}}{{end}}", { a: "x" }, "x"],
    // {{else with}} is Go 1.23's; this row is from Go's own exec_test.go.
    ["{{with 0}}{{.}}{{else with true}}{{.}}{{end}}", null, "true"],
    ["{{range .}}[{{.}}]{{end}}", ["a", "b"], "[a][b]"],
    ["{{range .}}[{{.}}]{{else}}none{{end}}", [], "none"],
    ["{{range .}}[{{.}}]{{else}}none{{end}}", null, "none"],
    ["{{range $i, $v := .}}{{$i}}={{$v}};{{end}}", ["a", "b"], "0=a;1=b;"],
    ["{{range $k, $v := .}}{{$k}}={{$v}};{{end}}", { b: 2, a: 1, c: 3 }, "a=1;b=2;c=3;"],
    ["{{range $v := .}}{{$v}};{{end}}", { b: 2, a: 1 }, "1;2;"],
    ["{{range $k, $v := .Labels}}{{$k}}={{$v}}{{end}}", nested, "env=prod"],
    ["{{range .}}{{if eq . 2}}{{continue}}{{end}}{{if eq . 4}}{{break}}{{end}}{{.}}{{end}}", [1, 2, 3, 4, 5], "13"],
    ["{{range $i, $e := .}}{{range $e}}{{$i}}{{.}} {{end}}{{end}}", [["a"], ["b", "c"]], "0a 1b 1c "],
    ["{{range $i, $x := .}}{{if $i}}, {{end}}{{$x}}{{end}}", ["a", "b", "c"], "a, b, c"],
    ["{{range .}}{{.Name}}:{{.Size}} {{end}}", [{ Name: "a", Size: 1 }, { Name: "b", Size: 2 }], "a:1 b:2 "],
    ["{{range .items}}{{$.top}}-{{.}} {{end}}", { top: "T", items: [1, 2] }, "T-1 T-2 "],
    // Ranging over an integer is Go 1.22's.
    ["{{range 3}}x{{end}}", null, "xxx"],
    ["{{range $i := 3}}{{$i}}{{end}}", null, "012"],
    ["{{range 1000000000}}x{{break}}{{end}}", null, "x"],
    ["{{$x := 1}}{{range .}}{{$x = .}}{{end}}{{$x}}", [5, 6], "6"],
    ['{{$x := "outer"}}{{range .}}{{$x := .}}{{$x}}{{end}} {{$x}}', ["a"], "a outer"],
    ["{{$x := .a}}{{$x}}", { a: "x" }, "x"],
    ["{{$x := 1}}{{$x = 2}}{{$x}}", null, "2"],
    ["{{$x := 1}}{{if true}}{{$x := 2}}{{$x}}{{end}}{{$x}}", null, "21"],
    ["{{$}}", "root", "root"],
    ["{{$.a}}", { a: "x" }, "x"],
    ["{{$x := .}}{{$x.a}}", { a: "x" }, "x"],
  ]);
});

test("trim markers, comments and literals", () => {
  checkOutputs([
    ["  {{- .a -}}  \n  x {{- .a}} {{.a -}} \n y", { a: "A" }, "AxA Ay"],
    ["{{range .}}\n{{.}}\n{{- end}}", ["a", "b"], "\na\nb"],
    ["{{range .}}\n  {{- .}}\n{{end -}}\n", ["a", "b"], "a\nb\n"],
    ['a  {{- "b" -}}  c\n{{-\t"d"\t-}}\ne', null, "abcde"],
    ["a {{- /* comment */ -}} b", null, "ab"],
    ["a {{/* comment */}} b", null, "a  b"],
    // "{{-3}}" is the number -3: a trim marker needs a space after it.
    ["{{- 3}}{{-3}}{{3 -}}", null, "3-33"],
    ['{{"a\\tb\\n\\\\\\"\\x41\\u00e9\\101"}}', null, 'a\tb\n\\"AéA'],
    ["{{`raw \\n {{ }}`}}", null, "raw \\n {{ }}"],
    ["{{`a\rb`}}", null, "ab"],
    ["{{'a'}} {{'\\n'}} {{'\\u00e9'}} {{'\\x41'}}", null, "97 10 233 65"],
    ["{{1}} {{-1}} {{1.5}} {{1e3}} {{0x1F}} {{0o17}} {{017}} {{0b101}} {{1_000}} {{.5}} {{+3}} {{0x1p-2}}", null, "1 -1 1.5 1000 31 15 15 5 1000 0.5 3 0.25"],
    ["{{true}} {{false}}", null, "true false"],
    ['{{printf "%v" 3.0}} {{3.0}} {{print 2.50}}', null, "3 3 2.5"],
  ]);
});

test("html, js and urlquery escape like Go's", () => {
  checkOutputs([
    ["{{html .}}", "<a href=\"x\">'&'</a>", "&lt;a href=&#34;x&#34;&gt;&#39;&amp;&#39;&lt;/a&gt;"],
    ["{{js .}}", "it's \"q\" <b> & = \\ \n é \u2028", "it\\'s \\\"q\\\" \\u003Cb\\u003E \\u0026 \\u003D \\\\ \\u000A é \\u2028"],
    ["{{urlquery .}}", "a b&c=d/é~_.-", "a+b%26c%3Dd%2F%C3%A9~_.-"],
    ['{{html .x 1 "s"}}', new Map(), "&lt;no value&gt;1s"],
  ]);
});

test("parse errors carry Go's message", () => {
  const rows: Array<[string, string]> = [
    ["{{foo}}", 'template: :1: function "foo" not defined'],
    ["{{.Name", "template: :1: unclosed action"],
    ["line1\n{{", "template: :2: unclosed action"],
    ['line1\n{{"x"\n"y"\n', "template: :4: unclosed action started at :2"],
    ["{{\n\n\n\n\n", "template: :6: unclosed action started at :1"],
    ["line1\n{{\nx\n}}", 'template: :3: function "x" not defined'],
    ["line1\n{{.Name}}\n{{.Foo | bar}}", 'template: :3: function "bar" not defined'],
    ["{{/*}}", "template: :1: unclosed comment"],
    ["{{/*\nhello\n}}", "template: :1: unclosed comment"],
    ["{{/* a */ x}}", "template: :1: comment ends before closing delimiter"],
    ["{{.X (1 2 3}}", "template: :1: unclosed left paren"],
    // Go 1.24's lexer rejects the paren itself (Go 1.19 said: unexpected ")" in command).
    ["{{.X 1 2 3 ) }}", "template: :1: unexpected right paren"],
    ["{{(.X 1 2 3", "template: :1: unclosed action"],
    ["{{`x`3}}", 'template: :1: unexpected "3" in operand'],
    ["{{a#}}", "template: :1: bad character U+0023 '#'"],
    ["{{'a}}", "template: :1: unterminated character constant"],
    ['{{"a}}', "template: :1: unterminated quoted string"],
    ["{{`a}}", "template: :1: unterminated raw quoted string"],
    ["{{0xi}}", 'template: :1: illegal number syntax: "0xi"'],
    ["{{range .X}}", "template: :1: unexpected EOF"],
    ["{{if .X}}a", "template: :1: unexpected EOF"],
    ["hello{{range .x}}{{else}}", "template: :1: unexpected EOF"],
    ["{{$x := 23}}{{with $x.y := 3}}{{$x 23}}{{end}}", 'template: :1: unexpected ":=" in operand'],
    ["{{$a,$b,$c := 23}}", "template: :1: too many declarations in command"],
    ["{{with $v, $u := 3}}{{end}}", "template: :1: too many declarations in with"],
    ["{{range $u, $v, $w := 3}}{{end}}", "template: :1: too many declarations in range"],
    ["{{$a}}", 'template: :1: undefined variable "$a"'],
    ["{{with $x := 4}}{{end}}{{$x}}", 'template: :1: undefined variable "$x"'],
    ["{{$x += 1}}{{$x}}", 'template: :1: undefined variable "$x"'],
    ["{{range $k}}{{end}}", 'template: :1: undefined variable "$k"'],
    ["{{range $k,}}{{end}}", "template: :1: missing value for range"],
    ["{{range $k, $v := }}{{end}}", "template: :1: missing value for range"],
    ["{{range $k, .}}{{end}}", "template: :1: range can only initialize variables"],
    ["{{range $k, 123 := .}}{{end}}", "template: :1: range can only initialize variables"],
    ["{{true.any}}", 'template: :1: unexpected . after term "true"'],
    ['{{"hello".guys}}', 'template: :1: unexpected . after term "\\"hello\\""'],
    ["{{..E}}", 'template: :1: unexpected . after term "."'],
    ["{{nil.E}}", 'template: :1: unexpected . after term "nil"'],
    ["{{12|false}}", "template: :1: non executable command in pipeline stage 2"],
    ["{{12|.}}", "template: :1: non executable command in pipeline stage 2"],
    ["{{.|12|printf}}", "template: :1: non executable command in pipeline stage 2"],
    ["{{'c'|nil}}", "template: :1: non executable command in pipeline stage 2"],
    ["{{ ( ) }}", "template: :1: missing value for parenthesized pipeline"],
    ['{{printf "%d" ( ) }}', "template: :1: missing value for parenthesized pipeline"],
    ["{{ $v := `\n` }} {{", "template: :2: unclosed action"],
    ["{{}}", "template: :1: missing value for command"],
    ["{{\n}}", "template: :2: missing value for command"],
    ["{{if}}{{end}}", "template: :1: missing value for if"],
    ["{{range}}{{end}}", "template: :1: missing value for range"],
    ["{{with}}{{end}}", "template: :1: missing value for with"],
    ["{{end}}", "template: :1: unexpected {{end}}"],
    ["{{else}}", "template: :1: unexpected {{else}}"],
    ["x\n{{end}}", "template: :2: unexpected {{end}}"],
    ["{{if 1}}\n{{else}}\n{{end}}\n{{end}}", "template: :4: unexpected {{end}}"],
    ["{{if .X}}hello{{end}}{{else}}", "template: :1: unexpected {{else}}"],
    ["{{if .X}}1{{else}}2{{else}}3{{end}}", "template: :1: expected end; found {{else}}"],
    ["{{if .X}}a{{else if .Y}}b{{end}}{{end}}", "template: :1: unexpected {{end}}"],
    // Go 1.23 and later: "else with" belongs to with, so after if the with is out of place.
    ["{{if 1}}{{else with 2}}{{end}}", "template: :1: unexpected <with> in input"],
    ["{{printf 3, 4}}", 'template: :1: unexpected "," in operand'],
    ["{{printf (printf .).}}", "template: :1: unexpected <.> in operand"],
    ["{{printf 3`x`}}", 'template: :1: unexpected "`x`" in operand'],
    ["{{printf `x`.}}", "template: :1: unexpected <.> in operand"],
    ["{{.A:=1}}", 'template: :1: unexpected ":=" in operand'],
    ["{{ # }}", 'template: :1: unexpected "#" in command'],
    ["{{break}}", "template: :1: {{break}} outside {{range}}"],
    ["{{range .}}{{end}} {{break}}", "template: :1: {{break}} outside {{range}}"],
    ["{{range .}}{{else}}{{break}}{{end}}", "template: :1: {{break}} outside {{range}}"],
    ["{{range .}}{{break 1}}{{end}}", 'template: :1: unexpected "1" in {{break}}'],
    ["{{$x := .}}{{$x!2}}", "template: :1: bad character U+0021 '!'"],
    ["{{$x:=.}}{{$x+2}}", "template: :1: bad character U+002B '+'"],
    ["{{.Name}", "template: :1: bad character U+007D '}'"],
    ["{{.Na-me}}", "template: :1: bad character U+002D '-'"],
    ["{{ .Name -}", 'template: :1: illegal number syntax: "-"'],
    ["{{-.Name}}", 'template: :1: bad number syntax: "-.N"'],
    ["{{:}}", "template: :1: expected :="],
    ["{{$ x}}", 'template: :1: function "x" not defined'],
    ["{{ é }}", 'template: :1: function "é" not defined'],
    ["{{\u0001}}", "template: :1: unrecognized character in action: U+0001"],
    ['{{"\\q"}}', "template: :1: invalid syntax"],
    ['{{"\\x"}}', "template: :1: invalid syntax"],
    ['{{"\\ud800"}}', "template: :1: invalid syntax"],
    ["{{'\\''}}{{\"\\'\"}}", "template: :1: invalid syntax"],
    ["{{'ab'}}", "template: :1: malformed character constant: 'ab'"],
    ["{{089}}", 'template: :1: integer overflow: "089"'],
    ["{{print 99999999999999999999}}", 'template: :1: integer overflow: "99999999999999999999"'],
    ["{{print 1e400}}", 'template: :1: illegal number syntax: "1e400"'],
    ["{{1__2}}", 'template: :1: illegal number syntax: "1__2"'],
    ["{{1.E}}", 'template: :1: illegal number syntax: "1.E"'],
  ];
  for (const [template, message] of rows) {
    const error = thrown(() => compileTemplate(template));
    assert.equal(error.message, message, template);
    assert.equal(error.output, "");
  }
});

test("execution errors carry Go's message, position and the output so far", () => {
  const volume = volumeContext("myvol", { "com.example": "yes" });
  const rows: Array<[template: string, data: unknown, message: string, output?: string]> = [
    // Go names the struct's type ("in type *formatter.volumeContext"); plain objects have none.
    ["{{.Bogus}}", volume, `template: :1:2: executing "" at <.Bogus>: can't evaluate field Bogus`],
    ["x{{.Name}}\n{{.Bogus}}", volume, `template: :2:2: executing "" at <.Bogus>: can't evaluate field Bogus`, "xmyvol\n"],
    // Columns count bytes, as in Go.
    ["héllo {{.Bogus}}", volume, `template: :1:9: executing "" at <.Bogus>: can't evaluate field Bogus`, "héllo "],
    ["a\nbé{{.Name}}{{.Bogus}}", volume, `template: :2:14: executing "" at <.Bogus>: can't evaluate field Bogus`, "a\nbémyvol"],
    ["{{.Name}}\n{{if .Name}}\n  {{.Bogus}}{{end}}", volume, `template: :3:4: executing "" at <.Bogus>: can't evaluate field Bogus`, "myvol\n\n  "],
    ["{{/* multi\nline */}}x{{.Bogus}}", volume, `template: :2:12: executing "" at <.Bogus>: can't evaluate field Bogus`, "x"],
    // A chain is placed at its second field, as Go places it.
    ["{{.Inner.Bogus}}", nested, `template: :1:8: executing "" at <.Inner.Bogus>: can't evaluate field Bogus`],
    ["{{.Name.Foo}}", volume, `template: :1:7: executing "" at <.Name.Foo>: can't evaluate field Foo in type string`],
    ["{{.Vol.Name.X}}", nested, `template: :1:6: executing "" at <.Vol.Name.X>: can't evaluate field X in type string`],
    ["{{.Size.Foo}}", nested, `template: :1:7: executing "" at <.Size.Foo>: can't evaluate field Foo in type int`],
    ["{{.Tags.Foo}}", nested, `template: :1:7: executing "" at <.Tags.Foo>: can't evaluate field Foo in type []string`],
    ['{{.Name "x"}}', nested, `template: :1:2: executing "" at <.Name>: Name has arguments but cannot be invoked as function`],
    ["{{.a 1}}", new Map([["a", "b"]]), `template: :1:2: executing "" at <.a>: a is not a method but has arguments`],
    ["{{.Label}}", volume, `template: :1:2: executing "" at <.Label>: wrong number of args for Label: want 1 got 0`],
    ["{{.a.b.c}}", { a: null }, `template: :1:4: executing "" at <.a.b.c>: nil pointer evaluating interface {}.b`],
    ["{{nil}}", null, `template: :1:2: executing "" at <nil>: nil is not a command`],
    ["{{1 2}}", null, `template: :1:2: executing "" at <1>: can't give argument to non-function 1`],
    ["{{. 1}}", "x", `template: :1:2: executing "" at <.>: can't give argument to non-function .`],
    ['{{"x" 1}}', null, `template: :1:2: executing "" at <"x">: can't give argument to non-function "x"`],
    ["{{$x := 1}}{{$x 2}}", null, `template: :1:13: executing "" at <$x>: can't give argument to non-function $x`],
    ["{{$x := 1}}{{3 | $x}}", null, `template: :1:17: executing "" at <$x>: can't give argument to non-function $x`],
    ["{{$x = 1}}", null, `template: :1:7: executing "" at <1>: undefined variable: $x`],
    ["{{18446744073709551615}}", null, `template: :1:2: executing "" at <18446744073709551615>: 18446744073709551615 overflows int`],
    ["{{range .}}{{.}}{{end}}", "str", `template: :1:8: executing "" at <.>: range can't iterate over str`],
    ["{{range .}}{{.}}{{end}}", true, `template: :1:8: executing "" at <.>: range can't iterate over true`],
    ["{{range .}}{{.}}{{end}}", 1.5, `template: :1:8: executing "" at <.>: range can't iterate over 1.5`],
    // Ranging over an integer is Go 1.22's, and gives one variable only.
    ["{{range $i, $v := 3}}{{end}}", null, `template: :1:18: executing "" at <3>: can't use 3 to iterate over more than one variable`],
    ["{{printf}}", null, `template: :1:2: executing "" at <printf>: wrong number of args for printf: want at least 1 got 0`],
    ["{{printf 3}}", null, `template: :1:9: executing "" at <3>: expected string; found 3`],
    ['{{and 1 0 2}} {{and 1 2}} {{or 0 "" 3}} {{or 0 ""}} {{and}}', null, `template: :1:54: executing "" at <and>: wrong number of args for and: want at least 1 got 0`, "0 2 3  "],
    ["{{not 1 2}}", null, `template: :1:2: executing "" at <not>: wrong number of args for not: want 1 got 2`],
    ["{{eq 1}}", null, `template: :1:2: executing "" at <eq 1>: error calling eq: missing argument for comparison`],
    ["{{eq}}", null, `template: :1:2: executing "" at <eq>: wrong number of args for eq: want at least 1 got 0`],
    ["{{eq . .}}", [1], `template: :1:2: executing "" at <eq . .>: error calling eq: non-comparable type [%!s(int=1)]: []interface {}`],
    ['{{eq .Size "42"}}', nested, `template: :1:2: executing "" at <eq .Size "42">: error calling eq: incompatible types for comparison`],
    ["{{lt .Name 1}}", nested, `template: :1:2: executing "" at <lt .Name 1>: error calling lt: incompatible types for comparison`],
    // An int and a float64 never compare.
    ["{{eq 1 1.5}}", null, `template: :1:2: executing "" at <eq 1 1.5>: error calling eq: incompatible types for comparison`],
    ["{{lt 1 1.5}}", null, `template: :1:2: executing "" at <lt 1 1.5>: error calling lt: incompatible types for comparison`],
    ['{{ne 1 "a"}}', null, `template: :1:2: executing "" at <ne 1 "a">: error calling ne: incompatible types for comparison`],
    ['{{le 1 "a"}}', null, `template: :1:2: executing "" at <le 1 "a">: error calling le: incompatible types for comparison`],
    ['{{eq (split "a" ",") (split "b" ",")}}', null, `template: :1:2: executing "" at <eq (split "a" ",") (split "b" ",")>: error calling eq: non-comparable type [b]: []string`],
    ['{{eq (split "a" ",") 1}}', null, `template: :1:2: executing "" at <eq (split "a" ",") 1>: error calling eq: incompatible types for comparison`],
    ['{{lt (split "a" ",") 1}}', null, `template: :1:2: executing "" at <lt (split "a" ",") 1>: error calling lt: invalid type for comparison`],
    ["{{len nil}}", null, `template: :1:2: executing "" at <len nil>: error calling len: reflect: call of reflect.Value.Type on zero Value`],
    ["{{lt true false}}", null, `template: :1:2: executing "" at <lt true false>: error calling lt: invalid type for comparison`],
    ["{{lt nil 1}}", null, `template: :1:2: executing "" at <lt nil 1>: error calling lt: invalid type for comparison`],
    ["{{len .}}", 3, `template: :1:2: executing "" at <len .>: error calling len: len of type int`],
    ["{{len 3}}", null, `template: :1:2: executing "" at <len 3>: error calling len: len of type int`],
    ["{{len .x}}", new Map(), `template: :1:2: executing "" at <len .x>: error calling len: reflect: call of reflect.Value.Type on zero Value`],
    ["{{index . 3}}", ["a", "b", "c"], `template: :1:2: executing "" at <index . 3>: error calling index: reflect: slice index out of range`],
    ["{{index . 4}}", ["a", "b", "c"], `template: :1:2: executing "" at <index . 4>: error calling index: index out of range: 4`],
    ["{{index . -1}}", ["a", "b", "c"], `template: :1:2: executing "" at <index . -1>: error calling index: index out of range: -1`],
    ['{{index . "x"}}', ["a", "b", "c"], `template: :1:2: executing "" at <index . "x">: error calling index: cannot index slice/array with type string`],
    ["{{index . nil}}", ["a", "b", "c"], `template: :1:2: executing "" at <index . nil>: error calling index: cannot index slice/array with nil`],
    ["{{index . 5}}", "hello", `template: :1:2: executing "" at <index . 5>: error calling index: reflect: string index out of range`],
    ["{{index . 1}}", { a: 1 }, `template: :1:2: executing "" at <index . 1>: error calling index: value has type int; should be string`],
    ['{{index . "x" "b"}}', { a: { b: "deep" } }, `template: :1:2: executing "" at <index . "x" "b">: error calling index: index of nil pointer`],
    ["{{index nil 1}}", null, `template: :1:2: executing "" at <index nil 1>: error calling index: index of untyped nil`],
    ["{{index 5 1}}", null, `template: :1:2: executing "" at <index 5 1>: error calling index: can't index item of type int`],
    ["{{slice . 2 1}}", [1, 2, 3], `template: :1:2: executing "" at <slice . 2 1>: error calling slice: invalid slice index: 2 > 1`],
    ["{{slice . 1 2 3}}", "hello", `template: :1:2: executing "" at <slice . 1 2 3>: error calling slice: cannot 3-index slice a string`],
    ["{{slice 3 1}}", null, `template: :1:2: executing "" at <slice 3 1>: error calling slice: can't slice item of type int`],
    ["[{{pad . -1 3}}]", "ab", `template: :1:3: executing "" at <pad . -1 3>: error calling pad: strings: negative Repeat count`, "["],
    ["{{truncate . -1}}", "hello", `template: :1:2: executing "" at <truncate . -1>: error calling truncate: runtime error: slice bounds out of range [:-1]`],
    ["{{upper .x}}", new Map(), `template: :1:8: executing "" at <.x>: invalid value; expected string`],
    ["{{upper 3}}", null, `template: :1:8: executing "" at <3>: expected string; found 3`],
    ["{{upper .}}", 3, `template: :1:8: executing "" at <.>: wrong type for value; expected string; got int`],
    ["{{upper .Size}}", nested, `template: :1:8: executing "" at <.Size>: wrong type for value; expected string; got int`],
    ["{{3 | upper}}", null, `template: :1:6: executing "" at <upper>: wrong type for value; expected string; got int`],
    ["{{.Size | upper}}", nested, `template: :1:10: executing "" at <upper>: wrong type for value; expected string; got int`],
    ['{{upper "a" "b"}}', null, `template: :1:2: executing "" at <upper>: wrong number of args for upper: want 1 got 2`],
    ["{{upper}}", null, `template: :1:2: executing "" at <upper>: wrong number of args for upper: want 1 got 0`],
    ["{{upper nil}}", null, `template: :1:8: executing "" at <nil>: cannot assign nil to string`],
    ['{{pad "a" 1.5 1}}', null, `template: :1:10: executing "" at <1.5>: expected integer; found 1.5`],
    ['{{pad "a" "1" 1}}', null, `template: :1:10: executing "" at <"1">: expected integer; found "1"`],
    ["{{pad .Name 1 .Name}}", nested, `template: :1:14: executing "" at <.Name>: wrong type for value; expected int; got string`],
    ['{{truncate "abc" .}}', 1.5, `template: :1:17: executing "" at <.>: wrong type for value; expected int; got float64`],
    ['{{join . ","}}', [1, 2], `template: :1:7: executing "" at <.>: wrong type for value; expected []string; got []interface {}`],
    ['{{join 3 ","}}', null, `template: :1:7: executing "" at <3>: can't handle 3 for arg of type []string`],
    ["{{json 1 2}}", null, `template: :1:2: executing "" at <json>: wrong number of args for json: want 1 got 2`],
  ];
  for (const [template, data, message, output = ""] of rows) {
    const error = thrown(() => render(template, data));
    assert.equal(error.message, message, template);
    assert.equal(error.output, output, template);
  }
});

test("header mode renders with docker's HeaderFunctions", () => {
  const headers = { Name: "NAME", Driver: "DRIVER", Labels: "LABELS", Size: "SIZE" };
  const row =
    '{{.Name}}\t{{upper .Driver}}\t{{json .Labels}}\t{{split .Size ","}}\t{{join .Size ","}}\t{{title .Name}}\t{{lower .Name}}\t{{truncate .Name 2}}\t{{pad .Name 1 1}}|';
  assert.equal(render(row, headers, { headerMode: true }), "NAME\tDRIVER\tLABELS\tSIZE\tSIZE\tNAME\tNAME\tNAME\t NAME |");
  assert.equal(render('{{printf "%-10s|" .Name}}{{len .Name}}', headers, { headerMode: true }), "NAME      |4");
  // docker ignores a header row's error and prints what the row wrote before it.
  const error = thrown(() => render('{{.Name}}\t{{.Label "x"}}\t{{.Driver}}', new Map(Object.entries(headers)), { headerMode: true }));
  assert.equal(error.message, `template: :1:12: executing "" at <.Label>: Label is not a method but has arguments`);
  assert.equal(error.output, "NAME\t");
  // Outside header mode the same template transforms as usual.
  assert.equal(render("{{upper .Name}}", { Name: "name" }), "NAME");
});

test("JS values stand in for Go's", () => {
  class Volume {
    constructor(private readonly name: string) {}
    get Name(): string {
      return this.name;
    }
    Greeting(who: string): string {
      return `${this.name} greets ${who}`;
    }
    Broken(): string {
      throw new Error("boom");
    }
  }
  class Size {
    constructor(private readonly bytes: number) {}
    toString(): string {
      return `${this.bytes}B`;
    }
  }
  checkOutputs([
    // Getters and prototype methods are fields and methods; `this` is the receiver.
    ['{{.Name}} {{.Greeting "you"}}', new Volume("v"), "v v greets you"],
    // A class instance is true like a Go struct, even with no enumerable property.
    ["{{if .}}yes{{end}}", new Volume("v"), "yes"],
    // A Map is a Go map: a missing key is no value, not an error.
    ["{{.missing}}|{{.a}}{{.missing.deeper}}", new Map([["a", "b"]]), "<no value>|b<no value>"],
    ["{{range $k, $v := .}}{{$k}}={{$v}} {{end}}", new Map([["b", 2], ["a", 1]]), "a=1 b=2 "],
    // A field of undefined is undefined; of null, an error (see the execution errors).
    ["{{.a.b}}", { a: undefined }, "<no value>"],
    // An object with its own toString prints through it, as a fmt.Stringer does.
    ['{{.}} {{printf "%s|%v|%q" . . .}}', new Size(3), '3B 3B|3B|"3B"'],
    ["{{.}}", 12345678901234567890n, "12345678901234567890"],
    ["{{json .}}", new Map<string, unknown>([["z", 1n], ["a", [true]]]), '{"a":[true],"z":1}'],
    // Map keys sort by code point, as Go sorts UTF-8 bytes.
    ["{{.}}", { "\u{1F600}": 1, "\uFF5E": 2 }, "map[～:2 😀:1]"],
  ]);
  const error = thrown(() => render("{{.Broken}}", new Volume("v")));
  assert.equal(error.message, `template: :1:2: executing "" at <.Broken>: error calling Broken: boom`);
});

test("a compiled template runs again and again", () => {
  const template = compileTemplate("{{.}};");
  assert.equal(template.execute(1), "1;");
  assert.equal(template.execute("two"), "two;");
  assert.throws(() => compileTemplate("{{define \"x\"}}{{end}}"), { message: "template: :1: {{define}} is not supported" });
});
