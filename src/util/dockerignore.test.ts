import assert from "node:assert/strict";
import { test } from "node:test";
import { compilePattern, matches, matchesOrParentMatches, PatternMatcher, PatternSyntaxError, readIgnoreFile, trimBuildFilesFromExcludes, type MatchInfo } from "./dockerignore.ts";

// Tables ported from moby/patternmatcher's patternmatcher_test.go and ignorefile_test.go.

/** What go-archive's tree walk sees: each parent directory matched in turn, its result handed down. */
function matchesWalkingParents(matcher: PatternMatcher, file: string): boolean {
  const parts = file.split("/");
  let info: MatchInfo | undefined;
  let matched = false;
  for (let i = 1; i <= parts.length; i++) ({ matched, info } = matcher.matchesUsingParentResults(parts.slice(0, i).join("/"), info));
  return matched;
}

const singlePatternCases: Array<[pattern: string, text: string, pass: boolean]> = [
  ["**", "file", true],
  ["**", "file/", true],
  ["**/", "file", true],
  ["**/", "file/", true],
  ["**", "/", true],
  ["**/", "/", true],
  ["**", "dir/file", true],
  ["**/", "dir/file", true],
  ["**", "dir/file/", true],
  ["**/", "dir/file/", true],
  ["**/**", "dir/file", true],
  ["**/**", "dir/file/", true],
  ["dir/**", "dir/file", true],
  ["dir/**", "dir/file/", true],
  ["dir/**", "dir/dir2/file", true],
  ["dir/**", "dir/dir2/file/", true],
  ["**/dir", "dir", true],
  ["**/dir", "dir/file", true],
  ["**/dir2/*", "dir/dir2/file", true],
  ["**/dir2/*", "dir/dir2/file/", true],
  ["**/dir2/**", "dir/dir2/dir3/file", true],
  ["**/dir2/**", "dir/dir2/dir3/file/", true],
  ["**file", "file", true],
  ["**file", "dir/file", true],
  ["**/file", "dir/file", true],
  ["**file", "dir/dir/file", true],
  ["**/file", "dir/dir/file", true],
  ["**/file*", "dir/dir/file", true],
  ["**/file*", "dir/dir/file.txt", true],
  ["**/file*txt", "dir/dir/file.txt", true],
  ["**/file*.txt", "dir/dir/file.txt", true],
  ["**/file*.txt*", "dir/dir/file.txt", true],
  ["**/**/*.txt", "dir/dir/file.txt", true],
  ["**/**/*.txt2", "dir/dir/file.txt", false],
  ["**/*.txt", "file.txt", true],
  ["**/**/*.txt", "file.txt", true],
  ["a**/*.txt", "a/file.txt", true],
  ["a**/*.txt", "a/dir/file.txt", true],
  ["a**/*.txt", "a/dir/dir/file.txt", true],
  ["a/*.txt", "a/dir/file.txt", false],
  ["a/*.txt", "a/file.txt", true],
  ["a/*.txt**", "a/file.txt", true],
  ["a[b-d]e", "ae", false],
  ["a[b-d]e", "ace", true],
  ["a[b-d]e", "aae", false],
  ["a[^b-d]e", "aze", true],
  [".*", ".foo", true],
  [".*", "foo", false],
  ["abc.def", "abcdef", false],
  ["abc.def", "abc.def", true],
  ["abc.def", "abcZdef", false],
  ["abc?def", "abcZdef", true],
  ["abc?def", "abcdef", false],
  ["a\\\\", "a\\", true],
  ["**/foo/bar", "foo/bar", true],
  ["**/foo/bar", "dir/foo/bar", true],
  ["**/foo/bar", "dir/dir2/foo/bar", true],
  ["abc/**", "abc", false],
  ["abc/**", "abc/def", true],
  ["abc/**", "abc/def/ghi", true],
  ["**/.foo", ".foo", true],
  ["**/.foo", "bar.foo", false],
  ["a(b)c/def", "a(b)c/def", true],
  ["a(b)c/def", "a(b)c/xyz", false],
  ["a.|)$(}+{bc", "a.|)$(}+{bc", true],
  ["dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true],
  ["dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true],
  ["a\\*b", "a*b", true],
];

const multiPatternCases: Array<[patterns: string[], text: string, pass: boolean]> = [
  [["**", "!util/docker/web"], "util/docker/web/foo", false],
  [["**", "!util/docker/web", "util/docker/web/foo"], "util/docker/web/foo", true],
  [["**", "!dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl"], "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", false],
  [["**", "!dist/*.whl"], "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", false],
];

test("patternmatcher's match table, by parent matches, by a walk handing results down, and without parent results", () => {
  const cases = [...singlePatternCases.map(([pattern, text, pass]) => [[pattern], text, pass] as const), ...multiPatternCases];
  for (const [patterns, text, pass] of cases) {
    const matcher = new PatternMatcher(patterns);
    const label = `${JSON.stringify(patterns)} ${JSON.stringify(text)}`;
    assert.equal(matcher.matchesOrParentMatches(text), pass, `matchesOrParentMatches ${label}`);
    assert.equal(matchesWalkingParents(matcher, text), pass, `walking parents ${label}`);
    assert.equal(matcher.matchesUsingParentResults(text).matched, pass, `no parent results ${label}`);
  }
});

test("Go's filepath.Match table through the package-level matches: results and syntax errors", () => {
  const bad = "syntax error in pattern";
  const cases: Array<[pattern: string, name: string, match: boolean, error?: string]> = [
    ["abc", "abc", true],
    ["*", "abc", true],
    ["*c", "abc", true],
    ["a*", "a", true],
    ["a*", "abc", true],
    ["a*", "ab/c", true],
    ["a*/b", "abc/b", true],
    ["a*/b", "a/c/b", false],
    ["a*b*c*d*e*/f", "axbxcxdxe/f", true],
    ["a*b*c*d*e*/f", "axbxcxdxexxx/f", true],
    ["a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false],
    ["a*b*c*d*e*/f", "axbxcxdxexxx/fff", false],
    ["a*b?c*x", "abxbbxdbxebxczzx", true],
    ["a*b?c*x", "abxbbxdbxebxczzy", false],
    ["ab[c]", "abc", true],
    ["ab[b-d]", "abc", true],
    ["ab[e-g]", "abc", false],
    ["ab[^c]", "abc", false],
    ["ab[^b-d]", "abc", false],
    ["ab[^e-g]", "abc", true],
    ["a\\*b", "a*b", true],
    ["a\\*b", "ab", false],
    ["a?b", "a☺b", true],
    ["a[^a]b", "a☺b", true],
    ["a???b", "a☺b", false],
    ["a[^a][^a][^a]b", "a☺b", false],
    ["[a-ζ]*", "α", true],
    ["*[a-ζ]", "A", false],
    ["a?b", "a/b", false],
    ["a*b", "a/b", false],
    ["[\\]a]", "]", true],
    ["[\\-]", "-", true],
    ["[x\\-]", "x", true],
    ["[x\\-]", "-", true],
    ["[x\\-]", "z", false],
    ["[\\-x]", "x", true],
    ["[\\-x]", "-", true],
    ["[\\-x]", "a", false],
    ["[]a]", "]", false, bad],
    ["[-]", "-", false, bad],
    ["[x-]", "x", false, bad],
    ["[x-]", "-", false, bad],
    ["[x-]", "z", false, bad],
    ["[-x]", "x", false, bad],
    ["[-x]", "-", false, bad],
    ["[-x]", "a", false, bad],
    ["\\", "a", false, bad],
    ["[a-b-c]", "a", false, bad],
    ["[", "a", false, bad],
    ["[^", "a", false, bad],
    ["[^bc", "a", false, bad],
    ["a[", "a", false, bad],
    ["a[", "ab", false, bad],
    ["*x", "xxx", true],
    // Newer Go checks the rest of the pattern after a failed chunk too.
    ["a*[", "b", false, bad],
  ];
  for (const [pattern, name, match, error] of cases) {
    if (error !== undefined) assert.throws(() => matches(name, [pattern]), { message: error }, pattern);
    else assert.equal(matches(name, [pattern]), match, `${pattern} ${name}`);
  }
});

test("the deprecated matches tries one parent, as deep as the pattern; matchesOrParentMatches tries them all", () => {
  assert.equal(matches("fileutils.go", ["*"]), true);
  assert.equal(matches("fileutils.go", ["!fileutils.go", "*.go"]), true);
  assert.equal(matches("docs/README.md", ["docs", "!docs/README.md"]), false);
  assert.equal(matches("docs/README.md", ["docs/", "!docs/README.md"]), false);
  assert.equal(matches("docs/README.md", ["docs/*", "!docs/README.md"]), false);
  assert.equal(matches("fileutils.go", ["*.go", "!fileutils.go"]), false);
  assert.equal(matches(".", ["*.go"]), false);
  assert.equal(matches("/any/path/there", []), false);
  assert.equal(matches("a/b/c", ["a"]), true);
  assert.equal(matches("a/b/c/d", ["*/b"]), true);
  assert.equal(matches("a/b/c/d", ["a/b/c"]), true);
  // "**/b" has two parts: matches tries "x/a" only, not "x/a/b".
  assert.equal(matches("x/a/b/c", ["**/b"]), false);
  assert.equal(matchesOrParentMatches("x/a/b/c", ["**/b"]), true);
});

test("patternmatcher's compile: match types and the Go regular expressions", () => {
  const cases: Array<[pattern: string, type: string, regexp: string]> = [
    ["*", "regexp", "^[^/]*$"],
    ["file*", "regexp", "^file[^/]*$"],
    ["*file", "regexp", "^[^/]*file$"],
    ["a*/b", "regexp", "^a[^/]*/b$"],
    ["**", "suffix", ""],
    ["**/**", "regexp", "^(.*/)?.*$"],
    ["dir/**", "prefix", ""],
    ["**/dir", "suffix", ""],
    ["**/dir2/*", "regexp", "^(.*/)?dir2/[^/]*$"],
    ["**/dir2/**", "regexp", "^(.*/)?dir2/.*$"],
    ["**file", "suffix", ""],
    ["**/file*txt", "regexp", "^(.*/)?file[^/]*txt$"],
    ["**/**/*.txt", "regexp", "^(.*/)?(.*/)?[^/]*\\.txt$"],
    ["a[b-d]e", "regexp", "^a[b-d]e$"],
    [".*", "regexp", "^\\.[^/]*$"],
    ["abc.def", "exact", ""],
    ["abc?def", "regexp", "^abc[^/]def$"],
    ["**/foo/bar", "suffix", ""],
    ["a(b)c/def", "exact", ""],
    ["a.|)$(}+{bc", "exact", ""],
    ["dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", "exact", ""],
    // Go's escape bitmap drops "{", "|" and "}".
    ["a|b*", "regexp", "^a|b[^/]*$"],
  ];
  for (const [pattern, type, regexp] of cases) assert.deepEqual(compilePattern(pattern), { type, goRegexp: regexp }, pattern);
});

test("Go regexp syntax that reaches the expression behaves as Go's regexp package does", () => {
  const cases: Array<[pattern: string, text: string, pass: boolean]> = [
    // "|" is not escaped: alternation, and the anchors bind to one side each.
    ["a|b*", "axyz", true],
    ["a|b*", "xb", true],
    ["a|b*", "xa", false],
    // "{n}" is a repetition; "{" that is no repetition is itself.
    ["a{2}?", "aax", true],
    ["a{2}?", "ax", false],
    ["x{,2}*", "x{,2}y", true],
    ["^{2}a*", "ab", true],
    // Escapes, Perl and POSIX classes, Unicode classes.
    ["\\d*", "42x", true],
    ["\\d*", "x42", false],
    ["\\x41*", "Ab", true],
    ["[[:alpha:]]?", "qz", true],
    ["[[:alpha:]]?", "1z", false],
    ["\\pL?", "éz", true],
    ["\\p{Greek}?", "αz", true],
    ["\\p{Greek}?", "az", false],
    // A newline: Go's "." does not match it, "[^/]" does.
    ["a**", "a\nb", true],
    ["a*b", "a\nb", true],
  ];
  for (const [pattern, text, pass] of cases) assert.equal(new PatternMatcher([pattern]).matchesOrParentMatches(text), pass, `${pattern} ${JSON.stringify(text)}`);
  assert.equal(new PatternMatcher(["**/x/**"]).matchesOrParentMatches("a\nb/x/c"), false);
});

test("patterns that filepath.Match accepts but Go's regexp parser rejects fail each time they are used", () => {
  for (const pattern of ["[Local-Only]/", "\\e*", "\\1*", "[[:nope:]]", "\\p{Nope}?", "a|{2}*", "x{1001}?"]) {
    const matcher = new PatternMatcher([pattern]);
    assert.throws(() => matcher.matchesOrParentMatches("x"), PatternSyntaxError, pattern);
    assert.throws(() => matcher.matchesOrParentMatches("x"), PatternSyntaxError, pattern);
  }
  // A pattern is tried only when it could change the result: an exception before any match is not.
  assert.equal(new PatternMatcher(["![bad-a]*", "x"]).matchesOrParentMatches("x"), true);
  assert.throws(() => new PatternMatcher(["x", "![bad-a]*"]).matchesOrParentMatches("x"), PatternSyntaxError);
});

test("making a matcher: trims, cleans, drops empty patterns, marks exceptions, rejects a lone !", () => {
  assert.equal(new PatternMatcher(["docs", "config", ""]).patterns.length, 2);
  const matcher = new PatternMatcher(["docs", "  !docs/README.md  ", "./a/../b/", "\u00a0c\u0085"]);
  assert.deepEqual(
    matcher.patterns.map((pattern) => [pattern.text, pattern.exclusion]),
    [["docs", false], ["docs/README.md", true], ["b", false], ["c", false]],
  );
  assert.throws(() => new PatternMatcher(["!"]), { message: 'illegal exclusion pattern: "!"' });
  assert.throws(() => new PatternMatcher(["["]), PatternSyntaxError);
});

test("reading a .dockerignore: comments, blank lines, trimming, cleaning, leading slash, exceptions", () => {
  const content = "test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n!\n! ";
  assert.deepEqual(readIgnoreFile(content), ["test1", "test2", "a/file/here", "lastfile", "!inverted/abs/path", "!", "!"]);
  assert.deepEqual(readIgnoreFile(""), []);
  // A byte order mark on the first line, CRLF line ends, "#" only at the very start, "/" alone stays.
  assert.deepEqual(readIgnoreFile("\uFEFFa/./b/\r\n  # not a comment\r\nc\\d\n/\n//x//\n"), ["a/b", "# not a comment", "c\\d", "/", "x"]);
  assert.throws(() => readIgnoreFile(`${"x".repeat(65536)}\n`), { message: "bufio.Scanner: token too long" });
  assert.deepEqual(readIgnoreFile(`${"x".repeat(65535)}\n`), ["x".repeat(65535)]);
});

test("the CLI keeps .dockerignore and the Dockerfile in the context when the patterns exclude them", () => {
  assert.deepEqual(trimBuildFilesFromExcludes(["*.go"], "Dockerfile", false), ["*.go"]);
  assert.deepEqual(trimBuildFilesFromExcludes(["*"], "Dockerfile", false), ["*", "!.dockerignore", "!Dockerfile"]);
  assert.deepEqual(trimBuildFilesFromExcludes(["build"], "build/Dockerfile", false), ["build", "!build/Dockerfile"]);
  assert.deepEqual(trimBuildFilesFromExcludes([".*"], "Dockerfile", false), [".*", "!.dockerignore"]);
  // A Dockerfile from stdin is not in the context.
  assert.deepEqual(trimBuildFilesFromExcludes(["*"], "-", true), ["*", "!.dockerignore"]);
  assert.deepEqual(trimBuildFilesFromExcludes(["*/a"], "x/a/Dockerfile", false), ["*/a", "!x/a/Dockerfile"]);
  // The deprecated matcher tries one parent only, so the CLI misses this one (and sends no Dockerfile).
  assert.deepEqual(trimBuildFilesFromExcludes(["**/a"], "x/y/a/Dockerfile", false), ["**/a"]);
  // Bad patterns are left for the build to report.
  assert.deepEqual(trimBuildFilesFromExcludes(["["], "Dockerfile", false), ["["]);
});
