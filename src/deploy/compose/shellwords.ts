/**
 * Splits a shell-form `command:` or `entrypoint:` string into words, as compose-go does with
 * mattn/go-shellwords' Parse (no variable expansion, no backtick execution). Like it, parsing
 * stops at the first unquoted `;`, `&`, `|`, `<` or `>`: `echo a && echo b` gives [echo, a].
 */
export function splitShellWords(line: string): string[] {
  const invalid = () => new Error("invalid command line string");
  const args: string[] = [];
  let buffer = "";
  let escaped = false;
  let doubleQuoted = false;
  let singleQuoted = false;
  let backQuote = false;
  let dollarQuote = false;
  // Whether the buffer holds a word: a quoted empty string is still a word.
  let hasWord = false;

  loop: for (const char of line) {
    if (escaped) {
      buffer += char === "t" ? "\t" : char === "n" ? "\n" : char;
      escaped = false;
      hasWord = true;
      continue;
    }
    if (char === "\\") {
      if (singleQuoted) buffer += char;
      else escaped = true;
      continue;
    }
    if (char === " " || char === "\t" || char === "\r" || char === "\n") {
      if (singleQuoted || doubleQuoted || backQuote || dollarQuote) {
        buffer += char;
      } else if (hasWord) {
        args.push(buffer);
        buffer = "";
        hasWord = false;
      }
      continue;
    }
    switch (char) {
      case "`":
        if (!singleQuoted && !doubleQuoted && !dollarQuote) backQuote = !backQuote;
        break;
      case ")":
        if (!singleQuoted && !doubleQuoted && !backQuote) {
          if (!dollarQuote) throw invalid();
          buffer += char;
          dollarQuote = false;
          hasWord = true;
          continue;
        }
        break;
      case "(":
        if (!singleQuoted && !doubleQuoted && !backQuote) {
          if (dollarQuote || !buffer.endsWith("$")) throw invalid();
          dollarQuote = true;
          buffer += "(";
          continue;
        }
        break;
      case '"':
        if (!singleQuoted && !dollarQuote) {
          if (doubleQuoted) hasWord = true;
          doubleQuoted = !doubleQuoted;
          continue;
        }
        break;
      case "'":
        if (!doubleQuoted && !dollarQuote) {
          if (singleQuoted) hasWord = true;
          singleQuoted = !singleQuoted;
          continue;
        }
        break;
      case ";":
      case "&":
      case "|":
      case "<":
      case ">":
        if (!(singleQuoted || doubleQuoted || backQuote || dollarQuote)) {
          // `2>file`: the fd number is part of the redirection, not a word.
          if (char === ">" && /^[0-9]/.test(buffer)) hasWord = false;
          break loop;
        }
        break;
    }
    hasWord = true;
    buffer += char;
  }
  if (hasWord) args.push(buffer);
  if (escaped || singleQuoted || doubleQuoted || backQuote || dollarQuote) throw invalid();
  return args;
}
