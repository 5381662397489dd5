import assert from "node:assert/strict";
import { test } from "node:test";
import { chooseMirrors, debianSourcesFile, parseDeb822Sources, parseOneLineSources } from "./apt-sources.ts";

// A Debian 12 machine's /etc/apt/sources.list.d/debian.sources, as the official image has it.
const bookwormDeb822 = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
# http://snapshot.debian.org/archive/debian-security/20250520T000000Z
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`;

test("deb822 stanzas expand to one source per URI and suite; deb-src and disabled stanzas are skipped", () => {
  const sources = parseDeb822Sources(`${bookwormDeb822}
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main

Types: deb
Enabled: no
URIs: http://disabled.example/debian
Suites: bookworm
Components: main

Types: deb
URIs: http://a.example/debian
  http://b.example/debian
Suites: trixie
Components: main contrib
`);
  assert.deepEqual(sources, [
    { uri: "http://deb.debian.org/debian", suite: "bookworm", components: ["main"] },
    { uri: "http://deb.debian.org/debian", suite: "bookworm-updates", components: ["main"] },
    { uri: "http://deb.debian.org/debian-security", suite: "bookworm-security", components: ["main"] },
    { uri: "http://a.example/debian", suite: "trixie", components: ["main", "contrib"] },
    { uri: "http://b.example/debian", suite: "trixie", components: ["main", "contrib"] },
  ]);
});

test("one-line sources: options in brackets, comments and deb-src lines", () => {
  const sources = parseOneLineSources(`# deb http://commented.example/debian bookworm main
deb-src http://deb.debian.org/debian bookworm main
deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://ftp.de.debian.org/debian/ bookworm main contrib # local mirror
deb http://security.debian.org/debian-security bookworm-security main
`);
  assert.deepEqual(sources, [
    { uri: "http://ftp.de.debian.org/debian/", suite: "bookworm", components: ["main", "contrib"] },
    { uri: "http://security.debian.org/debian-security", suite: "bookworm-security", components: ["main"] },
  ]);
});

test("the mirror serving the suite's main is chosen, with the configured security mirror", () => {
  const sources = [
    { uri: "https://packages.example.com/apt", suite: "stable", components: ["contrib"] },
    { uri: "mirror+file:/etc/apt/mirrors.txt", suite: "bookworm", components: ["main"] },
    ...parseOneLineSources("deb http://ftp.de.debian.org/debian/ bookworm main\ndeb http://security.debian.org/debian-security bookworm-security main\n"),
  ];
  assert.deepEqual(chooseMirrors(sources, "bookworm"), { mirror: "http://ftp.de.debian.org/debian", security: "http://security.debian.org/debian-security" });
  assert.deepEqual(chooseMirrors(parseDeb822Sources(bookwormDeb822), "bookworm"), {
    mirror: "http://deb.debian.org/debian",
    security: "http://deb.debian.org/debian-security",
  });
});

test("a host on another Debian release lends its mirror; without any Debian source there is none", () => {
  const trixie = parseOneLineSources("deb http://deb.debian.org/debian trixie main\ndeb http://deb.debian.org/debian-security trixie-security main\n");
  assert.deepEqual(chooseMirrors(trixie, "bookworm"), {
    mirror: "http://deb.debian.org/debian",
    security: "http://deb.debian.org/debian-security",
    borrowedFrom: "trixie",
  });
  assert.equal(chooseMirrors(parseOneLineSources("deb http://archive.ubuntu.com/ubuntu noble main\n"), "bookworm"), undefined);
  assert.deepEqual(chooseMirrors(parseOneLineSources("deb http://deb.debian.org/debian bookworm main\n"), "bookworm")?.security, "http://deb.debian.org/debian-security");
});

test("the image's debian.sources is the official image's: suite and -updates, then -security", () => {
  assert.equal(debianSourcesFile("bookworm", { mirror: "http://deb.debian.org/debian", security: "http://deb.debian.org/debian-security" }), bookwormDeb822.replace(/^# .*\n/gm, ""));
  assert.equal(
    debianSourcesFile("sid", { mirror: "http://deb.debian.org/debian", security: "http://deb.debian.org/debian-security" }),
    "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: sid\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n",
  );
});
