// The short port syntax, as compose-go's ParsePortConfig (docker/go-connections nat v0.4.0) reads it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parsePortSpec } from "./ports.ts";

const port = (target: number, published = "", hostIp = "", protocol = "tcp") => ({ hostIp, protocol, target, published, mode: "ingress" });

test("short port specs", () => {
  const cases: Array<[string, ReturnType<typeof port>[]]> = [
    ["80", [port(80)]],
    ["8080:80", [port(80, "8080")]],
    ["8080:80/udp", [port(80, "8080", "", "udp")]],
    ["127.0.0.1:8080:80", [port(80, "8080", "127.0.0.1")]],
    ["127.0.0.1::80", [port(80, "", "127.0.0.1")]],
    ["[::1]:8080:80", [port(80, "8080", "::1")]],
    ["8000-8001:80-81", [port(80, "8000"), port(81, "8001")]],
    ["9000-9010:80", [port(80, "9000-9010")]],
    ["80/SCTP", [port(80, "", "", "sctp")]],
    // Go sorts the "99/tcp" keys as strings.
    ["99-100", [port(100), port(99)]],
  ];
  for (const [spec, expected] of cases) assert.deepEqual(parsePortSpec(spec), expected, spec);
});

test("invalid port specs fail with go-connections' messages", () => {
  const cases: Array<[string, string]> = [
    ["", "No port specified: <empty>"],
    ["8080:", "No port specified: 8080:<empty>"],
    ["abc", "Invalid containerPort: abc"],
    ["abc:80", "Invalid hostPort: abc"],
    ["80/xyz", "Invalid proto: xyz"],
    ["1.2.3:80:80", "Invalid ip address: 1.2.3"],
    ["8000-8002:80-81", "Invalid ranges specified for container and host Ports: 80-81 and 8000-8002"],
    ["70000", "Invalid containerPort: 70000"],
  ];
  for (const [spec, message] of cases) assert.throws(() => parsePortSpec(spec), { message }, spec);
});
