import assert from "node:assert/strict";
import { test } from "node:test";
import { extractBuilderFlags, parseDockerfile, parseWords, type Command } from "./dockerfile.ts";

function commands(text: string): Command[] {
  return parseDockerfile(`FROM scratch\n${text}`).stages[0].commands;
}

test("continuation lines join as BuildKit joins them: escape removed, comments and blank lines inside skipped", () => {
  const [run] = commands("RUN echo a \\\n    b && \\\n  # a comment\n\n  echo c\n");
  assert.equal(run.code, "RUN echo a     b &&   echo c");
  assert.deepEqual(run.kind === "RUN" && run.cmdLine, ["echo a     b &&   echo c"]);
  assert.equal(run.line, 2);
});

test("the escape directive changes the continuation character", () => {
  const parsed = parseDockerfile("# escape=`\nFROM scratch\nRUN dir c:\\ `\n  && echo x\n");
  assert.equal(parsed.escapeToken, "`");
  assert.equal(parsed.stages[0].commands[0].code, "RUN dir c:\\   && echo x");
});

test("exec and shell forms: a JSON array of strings is exec form, anything else the shell's", () => {
  const [exec, shell, broken, entrypoint] = commands('CMD ["echo", "x y"]\nCMD echo $HOME\nRUN [not json\nENTRYPOINT []\n');
  assert.deepEqual(exec, { line: 2, code: 'CMD ["echo", "x y"]', kind: "CMD", cmdLine: ["echo", "x y"], prependShell: false });
  assert.deepEqual(shell.kind === "CMD" && [shell.cmdLine, shell.prependShell], [["echo $HOME"], true]);
  assert.deepEqual(broken.kind === "RUN" && broken.cmdLine, ["[not json"]);
  assert.equal(entrypoint.kind === "ENTRYPOINT" && entrypoint.cmdLine, null, "ENTRYPOINT [] clears the entrypoint");
  assert.throws(() => commands('CMD ["a", 1]\n'), { message: "failed to parse Dockerfile: when using JSON array syntax, arrays must be comprised of strings only" });
});

test("ENV and LABEL keep quotes for expansion; the legacy `ENV key value` form takes the rest of the line", () => {
  const [env, legacy, label] = commands('ENV A=1 B="two words" C=\nENV KEY a value with spaces\nLABEL "a b"=c d=e\n');
  assert.deepEqual(env.kind === "ENV" && env.pairs, [
    { key: "A", value: "1" },
    { key: "B", value: '"two words"' },
    { key: "C", value: "" },
  ]);
  assert.deepEqual(legacy.kind === "ENV" && legacy.pairs, [{ key: "KEY", value: "a value with spaces" }]);
  assert.deepEqual(label.kind === "LABEL" && label.pairs, [
    { key: '"a b"', value: "c" },
    { key: "d", value: "e" },
  ]);
  assert.throws(() => commands("ENV A=1 B\n"), { message: 'failed to parse Dockerfile: Syntax error - can\'t find = in "B". Must be of the form: name=value' });
});

test("COPY and ADD: flags, sources, destination and heredoc sources", () => {
  const [copy, heredoc] = commands('COPY --chown=1:2 --from=build a.txt "b c" /dst/\nCOPY <<-"EOT" /f.txt\n\tcontent $X\n\tEOT\n');
  assert.deepEqual(copy, {
    line: 2,
    code: 'COPY --chown=1:2 --from=build a.txt "b c" /dst/',
    kind: "COPY",
    from: "build",
    source: { paths: ["a.txt", '"b', 'c"'], contents: [] },
    dest: "/dst/",
    chown: "1:2",
    chmod: "",
  });
  assert.deepEqual(heredoc.kind === "COPY" && heredoc.source.contents, [{ name: "EOT", content: "content $X\n", expand: false }]);
});

test("RUN heredocs carry their content; FROM names stages; HEALTHCHECK and VOLUME forms", () => {
  const parsed = parseDockerfile('FROM busybox AS Build\nRUN <<EOF\necho hi\nEOF\nHEALTHCHECK --interval=5s --retries=2 CMD curl -f localhost\nHEALTHCHECK NONE\nVOLUME ["/a", "/b"]\nVOLUME /c /d\n');
  const stage = parsed.stages[0];
  assert.equal(stage.name, "build");
  assert.equal(stage.baseName, "busybox");
  const [run, health, none, jsonVolume, plainVolume] = stage.commands;
  assert.deepEqual(run.kind === "RUN" && run.files, [{ name: "EOF", content: "echo hi\n", expand: true }]);
  assert.deepEqual(health.kind === "HEALTHCHECK" && health.health, { Test: ["CMD-SHELL", "curl -f localhost"], Interval: 5_000_000_000, Retries: 2 });
  assert.deepEqual(none.kind === "HEALTHCHECK" && none.health, { Test: ["NONE"] });
  assert.deepEqual(jsonVolume.kind === "VOLUME" && jsonVolume.volumes, ["/a", "/b"]);
  assert.deepEqual(plainVolume.kind === "VOLUME" && plainVolume.volumes, ["/c", "/d"]);
});

test("ARGs before the first FROM are meta args; stages keep their own", () => {
  const parsed = parseDockerfile("ARG BASE=busybox\nARG EMPTY\nFROM ${BASE}\nARG VERSION=1 OTHER\n");
  assert.deepEqual(
    parsed.metaArgs.map((arg) => arg.args),
    [[{ key: "BASE", value: "busybox" }], [{ key: "EMPTY", value: undefined }]],
  );
  assert.deepEqual(parsed.stages[0].commands[0].kind === "ARG" && parsed.stages[0].commands[0].args, [
    { key: "VERSION", value: "1" },
    { key: "OTHER", value: undefined },
  ]);
});

test("errors read as dockerd's, with the line of the instruction", () => {
  const cases: Array<[string, string]> = [
    ["FROM busybox\nFOOBAR x\n", "dockerfile parse error on line 2: unknown instruction: FOOBAR"],
    ["RUN x\n", "no build stage in current context"],
    ["FROM a\nCOPY a\n", "dockerfile parse error on line 2: COPY requires at least two arguments, but only one was provided. Destination could not be determined"],
    ["FROM a\nCOPY --bogus=1 a b\n", "dockerfile parse error on line 2: Unknown flag: bogus"],
    ["FROM a\nCOPY --chown a b\n", "dockerfile parse error on line 2: Missing a value on flag: chown"],
    ["FROM a\nCOPY --from=x --from=y a b\n", "dockerfile parse error on line 2: Duplicate flag specified: from"],
    ["FROM a\nENV A\n", "failed to parse Dockerfile: ENV must have two arguments"],
    ["FROM a as 1x\n", 'dockerfile parse error on line 1: invalid name for build stage: "1x", name can\'t start with a number or contain symbols'],
    ["FROM a b\n", "dockerfile parse error on line 1: FROM requires either one or three arguments"],
    ["FROM a\nSHELL sh -c\n", "dockerfile parse error on line 2: SHELL requires the arguments to be in JSON form"],
    ["FROM a\nHEALTHCHECK --interval=1us CMD x\n", 'dockerfile parse error on line 2: Interval "interval" cannot be less than 1ms'],
    ["FROM a\nHEALTHCHECK --retries=-1 CMD x\n", "dockerfile parse error on line 2: --retries cannot be negative (-1)"],
    ["FROM a\nHEALTHCHECK WAT x\n", 'dockerfile parse error on line 2: Unknown type "WAT" in HEALTHCHECK (try CMD)'],
    ["FROM a\nONBUILD ONBUILD RUN x\n", "dockerfile parse error on line 2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"],
    ["FROM a\nONBUILD FROM x\n", "dockerfile parse error on line 2: FROM isn't allowed as an ONBUILD trigger"],
    ["FROM a\nUSER\n", "dockerfile parse error on line 2: USER requires exactly one argument"],
    ["FROM a\nARG =x\n", "dockerfile parse error on line 2: ARG names can not be blank"],
    ["FROM a\nCOPY a <<EOF\nx\nEOF\n", "dockerfile parse error on line 2: COPY cannot accept a heredoc as a destination"],
  ];
  for (const [text, message] of cases) assert.throws(() => parseDockerfile(text), { message }, text);
});

test("parseWords and extractBuilderFlags split as BuildKit's line parsers do", () => {
  assert.deepEqual(parseWords(`a "b c" 'd e'  f\\ g`, "\\"), ["a", '"b c"', "'d e'", "f\\ g"]);
  assert.deepEqual(extractBuilderFlags('--chown="1:2" --link src dst', "\\"), { rest: "src dst", flags: ["--chown=1:2", "--link"] });
  assert.deepEqual(extractBuilderFlags("-- --notaflag x", "\\"), { rest: " --notaflag x", flags: [] });
});
