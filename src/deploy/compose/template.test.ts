// Ported from compose-go template/template_test.go and interpolation behaviour of loader/interpolate.go.
import assert from "node:assert/strict";
import { test } from "node:test";
import { interpolateDocument } from "./interpolate.ts";
import { InvalidTemplateError, MissingRequiredError, substitute } from "./template.ts";

const defaults: Record<string, string> = { FOO: "first", BAR: "", JSON: '{"json":2}' };
const lookup = (name: string) => (Object.hasOwn(defaults, name) ? defaults[name] : undefined);

const cases: Array<[template: string, expected: string]> = [
  ["$${foo}", "${foo}"],
  ["foo", "foo"],
  ["a $ string", "a $ string"],
  ["^REGEX$", "^REGEX$"],
  ["$}", "$}"],
  ["$", "$"],
  ["$FOO-bar", "first-bar"],
  ["This ${missing} var", "This  var"],
  ["This ${BAR} var", "This  var"],
  ["This $FOO var", "This first var"],
  ["This ${FOO} var", "This first var"],
  ["ok ${missing:-def}", "ok def"],
  ["ok ${missing-def}", "ok def"],
  ["${A:+${A},}B", "B"],
  ["${A:-${B}}", ""],
  ["ok ${BAR:-def}", "ok def"],
  ["ok ${FOO:-def}", "ok first"],
  ["ok ${BAR-def}", "ok "],
  ["ok ${UNSET_VAR:+presence_value}", "ok "],
  ["ok ${UNSET_VAR+presence_value}", "ok "],
  ["ok ${FOO:+presence_value}", "ok presence_value"],
  ["ok ${FOO+presence_value}", "ok presence_value"],
  ["ok ${BAR+presence_value}", "ok presence_value"],
  ["ok ${BAR:+presence_value}", "ok "],
  ["ok ${BAR:-/non:-alphanumeric}", "ok /non:-alphanumeric"],
  // TestInterpolationExternalInterference
  ["-ok ${BAR:-defaultValue}", "-ok defaultValue"],
  ["+ok ${UNSET:-${BAR-defaultValue}}", "+ok "],
  ["-ok ${FOO:-defaultValue}", "-ok first"],
  [":-ok ${UNSET-defaultValue}", ":-ok defaultValue"],
  [":-ok ${BAR-defaultValue}", ":-ok "],
  [":?ok ${BAR-defaultValue}", ":?ok "],
  [":?ok ${BAR:-defaultValue}", ":?ok defaultValue"],
  [":+ok ${BAR:-defaultValue}", ":+ok defaultValue"],
  ["+ok ${BAR-defaultValue}", "+ok "],
  ["?ok ${BAR:-defaultValue}", "?ok defaultValue"],
  // TestDefaultsWithNestedExpansion
  ["ok ${UNSET_VAR-$FOO}", "ok first"],
  ["ok ${UNSET_VAR-${FOO}}", "ok first"],
  ["ok ${UNSET_VAR-${FOO} ${FOO}}", "ok first first"],
  ["ok ${BAR:-$FOO}", "ok first"],
  ["ok ${BAR:-${FOO}}", "ok first"],
  ["ok ${BAR:-${FOO} ${FOO}}", "ok first first"],
  ["ok ${BAR+$FOO}", "ok first"],
  ["ok ${BAR+$FOO ${FOO:+second}}", "ok first second"],
  // TestDefaultsForMandatoryVariables
  ["ok ${FOO:?err}", "ok first"],
  ["ok ${FOO?err}", "ok first"],
  ["ok ${BAR?err}", "ok "],
  // TestPrecedence
  ["${UNSET_VAR-myerror?msg}", "myerror?msg"],
  ["${FOO?bar-baz}", "first"],
  ["${BAR:-default_value_for_empty_var}", "default_value_for_empty_var"],
  ["${UNSET_VAR-default_value_for_unset_var}", "default_value_for_unset_var"],
  // Curly braces inside defaults
  ['ok ${missing:-{"json":1}}', 'ok {"json":1}'],
  ['ok ${missing-{"json":1}}', 'ok {"json":1}'],
  ['ok ${JSON:-{"json":1}}', 'ok {"json":2}'],
  ['ok ${JSON-{"json":1}}', 'ok {"json":2}'],
  ["ok ${SUBDOMAIN:-redis}.${FOO:?}", "ok redis.first"],
  ["$$FOO and $${FOO:-x} stay", "$FOO and ${FOO:-x} stay"],
];

test("substitution matches compose-go's template tests", () => {
  for (const [template, expected] of cases) assert.equal(substitute(template, lookup), expected, template);
});

test("invalid templates are refused with the whole value", () => {
  for (const template of ["${", "${}", "${ }", "${ foo}", "${foo }", "${foo!}"]) {
    assert.throws(
      () => substitute(template, lookup),
      (error: unknown) => error instanceof InvalidTemplateError && error.template === template,
      template,
    );
  }
});

test("required variables fail with compose's message", () => {
  const required: Array<[string, string]> = [
    ["not ok ${UNSET_VAR:?Mandatory Variable Unset}", "required variable UNSET_VAR is missing a value: Mandatory Variable Unset"],
    ["not ok ${BAR:?Mandatory Variable Empty}", "required variable BAR is missing a value: Mandatory Variable Empty"],
    ["not ok ${UNSET_VAR:?}", "required variable UNSET_VAR is missing a value"],
    ["not ok ${UNSET_VAR?Mandatory Variable Unset}", "required variable UNSET_VAR is missing a value: Mandatory Variable Unset"],
    ["not ok ${UNSET_VAR?}", "required variable UNSET_VAR is missing a value"],
    ["not ok ${UNSET_VAR:?Mandatory Variable ${FOO}}", "required variable UNSET_VAR is missing a value: Mandatory Variable first"],
    ["not ok ${UNSET_VAR?Mandatory Variable ${FOO}}", "required variable UNSET_VAR is missing a value: Mandatory Variable first"],
    ["${UNSET_VAR?bar-baz}", "required variable UNSET_VAR is missing a value: bar-baz"],
  ];
  for (const [template, message] of required) {
    assert.throws(() => substitute(template, lookup), (error: unknown) => error instanceof MissingRequiredError && error.message === message, template);
  }
});

test("an unset variable is reported once used, not when only its default is", () => {
  const unsetWhenSkipped: string[] = [];
  substitute("${A:+${A},}B", lookup, (name) => unsetWhenSkipped.push(name));
  assert.deepEqual(unsetWhenSkipped, []);
  const unsetWhenUsed: string[] = [];
  substitute("${A:-${B}} $C", lookup, (name) => unsetWhenUsed.push(name));
  assert.deepEqual(unsetWhenUsed, ["B", "C"]);
});

test("interpolation touches values, never keys, and casts typed fields", () => {
  const warnings: string[] = [];
  const document = interpolateDocument(
    {
      services: {
        $FOO: { image: "app:${FOO}", read_only: "${RO:-yes}", ports: [{ target: "${PORT:-80}", published: "${PORT:-80}" }], healthcheck: { retries: "3" } },
      },
    },
    { lookup, warn: (message) => warnings.push(message) },
  );
  assert.deepEqual(document, { services: { $FOO: { image: "app:first", read_only: true, ports: [{ target: 80, published: "80" }], healthcheck: { retries: 3 } } } });
  assert.deepEqual(warnings, ['"yes" for boolean is not supported by YAML 1.2, please use `true`']);
});

test("interpolation errors name the path as compose does", () => {
  const options = { lookup, warn: () => {} };
  assert.throws(() => interpolateDocument({ services: { web: { command: ["echo", "${oops"] } } }, options), {
    message: "invalid interpolation format for services.web.command.[].\nYou may need to escape any $ with another $.\n${oops",
  });
  assert.throws(() => interpolateDocument({ services: { web: { image: "${TAG:?set TAG}" } } }, options), {
    message: "error while interpolating services.web.image: required variable TAG is missing a value: set TAG",
  });
  assert.throws(() => interpolateDocument({ services: { web: { read_only: "maybe" } } }, options), {
    message: "error while interpolating services.web.read_only: failed to cast to expected type: invalid boolean: maybe",
  });
  assert.throws(() => interpolateDocument({ services: { web: { healthcheck: { retries: "x" } } } }, options), {
    message: 'error while interpolating services.web.healthcheck.retries: failed to cast to expected type: strconv.Atoi: parsing "x": invalid syntax',
  });
});
