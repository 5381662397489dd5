// Ported from compose-go's override tests (override/merge_*_test.go): `base` then `override`
// merged and de-duplicated as `docker compose -f base -f override` does, compared to `expected`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parse } from "yaml";
import { enforceUnicity, mergeDocuments, removePaths } from "./merge.ts";
import type { YamlMapping } from "./yaml-file.ts";

const merge = (base: string, override: string): YamlMapping => enforceUnicity(mergeDocuments(parse(base) as YamlMapping, parse(override) as YamlMapping));

const cases: Array<{ name: string; base: string; override: string; expected: string }> = [
  {
    name: "scalars are replaced",
    base: "services: {test: {image: foo, scale: 1}}",
    override: "services: {test: {image: bar, scale: 2}}",
    expected: "services: {test: {image: bar, scale: 2}}",
  },
  {
    name: "environment sequences append",
    base: "services: {test: {image: foo, environment: [FOO=BAR]}}",
    override: "services: {test: {environment: [QIX=ZOT, EMPTY=, NIL]}}",
    expected: "services: {test: {image: foo, environment: [FOO=BAR, QIX=ZOT, EMPTY=, NIL]}}",
  },
  {
    name: "environment mappings become sorted sequences",
    base: "services: {test: {image: foo, environment: {FOO: BAR}}}",
    override: 'services: {test: {environment: {EMPTY: "", NIL: null, QIX: ZOT}}}',
    expected: "services: {test: {image: foo, environment: [FOO=BAR, EMPTY=, NIL, QIX=ZOT]}}",
  },
  {
    name: "environment mapping and sequence mix",
    base: "services: {test: {image: foo, environment: {FOO: BAR}}}",
    override: "services: {test: {environment: [QIX=ZOT]}}",
    expected: "services: {test: {image: foo, environment: [FOO=BAR, QIX=ZOT]}}",
  },
  {
    name: "a later environment value replaces the earlier one in place",
    base: "services: {test: {environment: {FOO: 1, BAR: x}}}",
    override: "services: {test: {environment: {FOO: 3}}}",
    expected: "services: {test: {environment: [BAR=x, FOO=3]}}",
  },
  {
    name: "labels merge as environment does",
    base: "services: {test: {image: foo, labels: {FOO: BAR}}}",
    override: "services: {test: {labels: [QIX=ZOT]}}",
    expected: "services: {test: {image: foo, labels: [FOO=BAR, QIX=ZOT]}}",
  },
  {
    name: "volumes append, by target",
    base: "services: {test: {image: foo, volumes: [va:/a, {type: bind, source: ./b, target: /b}]}}",
    override: "services: {test: {volumes: [vc:/c, vd:/a, {type: volume, source: ve, target: /b}]}}",
    expected: "services: {test: {image: foo, volumes: [vd:/a, {type: volume, source: ve, target: /b}, vc:/c]}}",
  },
  {
    name: "ports de-duplicate by their spec",
    base: 'services: {test: {ports: ["8080:80", "9090:90"]}}',
    override: 'services: {test: {ports: ["8080:80", "7070:70"]}}',
    expected: 'services: {test: {ports: ["8080:80", "9090:90", "7070:70"]}}',
  },
  {
    name: "command and entrypoint are replaced whole",
    base: "services: {test: {command: [a, b], entrypoint: [sh, -c]}}",
    override: "services: {test: {command: [c], entrypoint: /init}}",
    expected: "services: {test: {command: [c], entrypoint: /init}}",
  },
  {
    name: "healthcheck merges, its test is replaced",
    base: "services: {test: {healthcheck: {test: [CMD, a], interval: 10s}}}",
    override: "services: {test: {healthcheck: {test: [CMD, b], retries: 3}}}",
    expected: "services: {test: {healthcheck: {test: [CMD, b], interval: 10s, retries: 3}}}",
  },
  {
    name: "build as a string merges with build as a mapping",
    base: "services: {test: {build: ., image: x}}",
    override: "services: {test: {build: {dockerfile: Other, args: {A: 1}}}}",
    expected: "services: {test: {build: {context: ., dockerfile: Other, args: {A: 1}}, image: x}}",
  },
  {
    name: "build args: list and mapping, later value wins",
    base: "services: {test: {build: {context: ., args: {FOO: BAR, KEEP: k}}}}",
    override: "services: {test: {build: {args: [FOO=BAZ, NIL]}}}",
    expected: "services: {test: {build: {context: ., args: [FOO=BAZ, KEEP=k, NIL]}}}",
  },
  {
    name: "depends_on short and long forms merge",
    base: "services: {test: {depends_on: [db]}}",
    override: "services: {test: {depends_on: {cache: {condition: service_healthy}, db: {condition: service_healthy}}}}",
    expected:
      "services: {test: {depends_on: {db: {condition: service_healthy, required: true}, cache: {condition: service_healthy}}}}",
  },
  {
    name: "logging with the same driver merges options",
    base: "services: {test: {logging: {driver: json-file, options: {frequency: '2000', timeout: '23'}}}}",
    override: "services: {test: {logging: {driver: json-file, options: {timeout: '360', pretty-print: 'on'}}}}",
    expected: "services: {test: {logging: {driver: json-file, options: {frequency: '2000', timeout: '360', pretty-print: 'on'}}}}",
  },
  {
    name: "logging with another driver is replaced",
    base: "services: {test: {logging: {driver: json-file, options: {frequency: '2000'}}}}",
    override: "services: {test: {logging: {driver: syslog, options: {pretty-print: 'on'}}}}",
    expected: "services: {test: {logging: {driver: syslog, options: {pretty-print: 'on'}}}}",
  },
  {
    name: "extra_hosts keep both values of a host, drop exact repeats",
    base: 'services: {test: {extra_hosts: ["a=1.1.1.1", "b=2.2.2.2"]}}',
    override: 'services: {test: {extra_hosts: {b: 3.3.3.3, a: 1.1.1.1}}}',
    expected: 'services: {test: {extra_hosts: ["a=1.1.1.1", "b=2.2.2.2", "b=3.3.3.3"]}}',
  },
  {
    name: "env_file: a string and a list, de-duplicated by path",
    base: "services: {test: {env_file: a.env}}",
    override: "services: {test: {env_file: [b.env, {path: a.env, required: false}]}}",
    expected: "services: {test: {env_file: [{path: a.env, required: false}, b.env]}}",
  },
  {
    name: "profiles, tmpfs and dns are unique",
    base: "services: {test: {profiles: [a, b], tmpfs: /run, dns: 1.1.1.1}}",
    override: "services: {test: {profiles: [b, c], tmpfs: [/run, /tmp], dns: [1.1.1.1, 8.8.8.8]}}",
    expected: "services: {test: {profiles: [a, b, c], tmpfs: [/run, /tmp], dns: [1.1.1.1, 8.8.8.8]}}",
  },
  {
    name: "service networks: list and mapping merge",
    base: "services: {test: {networks: [front, back]}}",
    override: "services: {test: {networks: {front: {aliases: [web]}}}}",
    expected: "services: {test: {networks: {front: {aliases: [web]}, back: null}}}",
  },
  {
    // compose-go has no unicity rule for volume labels: both values of `a` stay, the later one wins when typed.
    name: "top-level volumes merge; their labels append",
    base: "volumes: {data: {driver: local, labels: {a: '1'}}}",
    override: "volumes: {data: {labels: [a=2, b=3]}, other: {}}",
    expected: "volumes: {data: {driver: local, labels: [a=1, a=2, b=3]}, other: {}}",
  },
  {
    name: "a null override keeps the base",
    base: "services: {test: {image: foo}}",
    override: "services: {test: {image: null}}",
    expected: "services: {test: {image: foo}}",
  },
];

for (const { name, base, override, expected } of cases) {
  test(`merge: ${name}`, () => {
    assert.deepEqual(merge(base, override), parse(expected));
  });
}

test("merging a mapping with a sequence is refused", () => {
  assert.throws(() => merge("services: {test: {volumes: [a:/a]}}", "services: {test: {volumes: {a: b}}}"), { message: "cannot override services.test.volumes" });
});

test("!reset and !override paths remove what earlier files declared", () => {
  const document = parse("services: {test: {image: foo, ports: ['80:80'], environment: {A: '1'}}, other: {image: x}}") as YamlMapping;
  removePaths(document, [["services", "test", "ports"], ["services", "*", "image"]]);
  assert.deepEqual(document, { services: { test: { environment: { A: "1" } }, other: {} } });
});
