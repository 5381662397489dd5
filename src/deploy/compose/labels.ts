/**
 * The labels docker compose puts on a service's containers (docker/compose pkg/compose/loader.go
 * and create.go), so containers moor creates are found by compose and the other way round.
 *
 * The config hash is compose's ServiceHash (pkg/compose/hash.go): sha256 of Go's json.Marshal of
 * compose-go's types.ServiceConfig with build, pull_policy, scale, deploy.replicas, depends_on
 * and profiles cleared, env files folded into environment. It is reproduced here field by field
 * in the struct's order, for the keys moor supports; a service using any other key (listed in
 * Project.unsupported) hashes differently from compose, which then sees its container as changed.
 */
import { createHash } from "node:crypto";
import { goDurationString } from "../../util/go-duration.ts";
import { goJsonLine } from "../../util/go-json.ts";
import { isMapping } from "./canonical.ts";
import { parseComposeDuration } from "./duration.ts";
import { goFormat } from "./merge.ts";
import type { Project, Service } from "./model.ts";
import { splitShellWords } from "./shellwords.ts";
import type { YamlMapping, YamlValue } from "./yaml-file.ts";

export const projectLabel = "com.docker.compose.project";
export const serviceLabel = "com.docker.compose.service";
export const oneoffLabel = "com.docker.compose.oneoff";
export const configHashLabel = "com.docker.compose.config-hash";
export const workingDirLabel = "com.docker.compose.project.working_dir";
export const configFilesLabel = "com.docker.compose.project.config_files";
export const containerNumberLabel = "com.docker.compose.container-number";
export const dependsOnLabel = "com.docker.compose.depends_on";
export const volumeLabel = "com.docker.compose.volume";

/**
 * The labels compose sets on the one container of `service`: the user's labels, then compose's
 * own (which win). The compose version label and the image digest label are left to the caller.
 */
export function composeServiceLabels(project: Project, service: Service): Record<string, string> {
  return {
    ...service.labels,
    [projectLabel]: project.name,
    [serviceLabel]: service.name,
    [workingDirLabel]: project.workingDir,
    [configFilesLabel]: project.composeFiles.join(","),
    [oneoffLabel]: "False",
    [configHashLabel]: service.configHash,
    [containerNumberLabel]: "1",
    [dependsOnLabel]: Object.entries(service.dependsOn)
      .map(([name, dependency]) => `${name}:${dependency.condition}:${dependency.restart}`)
      .join(","),
  };
}

/** JSON of a Go map: keys sorted by bytes, as encoding/json writes them. */
function goMap(entries: Array<[string, string]>): string {
  const sorted = [...entries].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return `{${sorted.map(([key, value]) => `${goJsonLine(key)}:${value}`).join(",")}}`;
}

/** A Go struct's JSON: fields in declaration order, each already encoded or left out (undefined). */
function goStruct(fields: Array<[string, string | undefined]>): string {
  return `{${fields
    .filter((field): field is [string, string] => field[1] !== undefined)
    .map(([key, value]) => `${goJsonLine(key)}:${value}`)
    .join(",")}}`;
}

const str = (value: YamlValue | undefined): string | undefined => (value === undefined || value === null || value === "" ? undefined : goJsonLine(goFormat(value)));
const bool = (value: YamlValue | undefined): string | undefined => (value === true ? "true" : undefined);
const duration = (value: YamlValue | undefined): string | undefined => (value === undefined || value === null ? undefined : goJsonLine(goDurationString(parseComposeDuration(goFormat(value)))));
const strings = (value: YamlValue | undefined): string | undefined => {
  const list = typeof value === "string" ? [value] : Array.isArray(value) ? value : [];
  return list.length === 0 ? undefined : `[${list.map((item) => goJsonLine(goFormat(item))).join(",")}]`;
};

/** ShellCommand has no omitempty: null when unset, [] when explicitly empty. */
function command(value: YamlValue | undefined): string {
  if (value === undefined || value === null) return "null";
  const words = typeof value === "string" ? splitShellWords(value) : Array.isArray(value) ? value.map((item) => goFormat(item)) : [];
  return `[${words.map((word) => goJsonLine(word)).join(",")}]`;
}

function labels(value: YamlValue | undefined): string | undefined {
  const entries: Array<[string, string]> = [];
  if (isMapping(value)) for (const [key, item] of Object.entries(value)) entries.push([key, goJsonLine(item === null ? "" : goFormat(item))]);
  else if (Array.isArray(value)) {
    for (const item of value) {
      const text = goFormat(item);
      const equals = text.indexOf("=");
      entries.push(equals < 0 ? [text, goJsonLine("")] : [text.slice(0, equals), goJsonLine(text.slice(equals + 1))]);
    }
  }
  return entries.length === 0 ? undefined : goMap(entries);
}

function healthcheck(value: YamlValue | undefined): string | undefined {
  if (!isMapping(value)) return undefined;
  const test = typeof value.test === "string" ? ["CMD-SHELL", value.test] : value.test;
  return goStruct([
    ["test", strings(test)],
    ["timeout", duration(value.timeout)],
    ["interval", duration(value.interval)],
    ["retries", value.retries == null ? undefined : String(value.retries)],
    ["start_period", duration(value.start_period)],
    ["start_interval", duration(value.start_interval)],
    ["disable", bool(value.disable)],
  ]);
}

function networks(value: YamlValue | undefined): string | undefined {
  if (!isMapping(value) || Object.keys(value).length === 0) return undefined;
  return goMap(Object.keys(value).map((name) => [name, "null"]));
}

function ports(value: YamlValue | undefined): string | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  return `[${value
    .filter(isMapping)
    .map((port) =>
      goStruct([
        ["name", str(port.name)],
        ["mode", str(port.mode)],
        ["host_ip", str(port.host_ip)],
        ["target", port.target ? String(Number(port.target)) : undefined],
        ["published", str(port.published)],
        ["protocol", str(port.protocol)],
        ["app_protocol", str(port.app_protocol)],
      ]),
    )
    .join(",")}]`;
}

/** UnitBytes marshals as a quoted decimal. */
function bytes(value: YamlValue | undefined, parseSize: (text: string) => number): string | undefined {
  if (value === undefined || value === null) return undefined;
  const size = typeof value === "number" ? value : /^[+-]?\d+$/.test(String(value)) ? Number(value) : parseSize(String(value));
  return size === 0 ? undefined : `"${size}"`;
}

function volumes(value: YamlValue | undefined, parseSize: (text: string) => number): string | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const options = (mapping: YamlValue | undefined, fields: (options: YamlMapping) => Array<[string, string | undefined]>) => (isMapping(mapping) ? goStruct(fields(mapping)) : undefined);
  return `[${value
    .filter(isMapping)
    .map((volume) =>
      goStruct([
        ["type", str(volume.type)],
        ["source", str(volume.source)],
        ["target", str(volume.target)],
        ["read_only", bool(volume.read_only)],
        ["consistency", str(volume.consistency)],
        [
          "bind",
          options(volume.bind, (bind) => [
            ["selinux", str(bind.selinux)],
            ["propagation", str(bind.propagation)],
            // OptOut with omitzero: left out when true, its default.
            ["create_host_path", bind.create_host_path === false ? "false" : undefined],
            ["recursive", str(bind.recursive)],
          ]),
        ],
        ["volume", options(volume.volume, (options) => [["labels", labels(options.labels)], ["nocopy", bool(options.nocopy)], ["subpath", str(options.subpath)]])],
        [
          "tmpfs",
          options(volume.tmpfs, (tmpfs) => [
            ["size", bytes(tmpfs.size, parseSize)],
            ["mode", tmpfs.mode ? String(typeof tmpfs.mode === "number" ? tmpfs.mode : Number.parseInt(String(tmpfs.mode), 8)) : undefined],
          ]),
        ],
      ]),
    )
    .join(",")}]`;
}

/**
 * compose's ServiceHash for a service of the normalized document, with `environment` as
 * resolved for the container (env files folded in, null for a bare unset `KEY`).
 */
export function composeConfigHash(service: YamlMapping, environment: Readonly<Record<string, string | null>>, parseSize: (text: string) => number): string {
  const environmentEntries = Object.entries(environment).map(([key, value]): [string, string] => [key, value === null ? "null" : goJsonLine(value)]);
  const json = goStruct([
    ["command", command(service.command)],
    ["entrypoint", command(service.entrypoint)],
    ["environment", environmentEntries.length === 0 ? undefined : goMap(environmentEntries)],
    ["hostname", str(service.hostname)],
    ["healthcheck", healthcheck(service.healthcheck)],
    ["image", str(service.image)],
    ["labels", labels(service.labels)],
    ["network_mode", str(service.network_mode)],
    ["networks", networks(service.networks)],
    ["ports", ports(service.ports)],
    ["read_only", bool(service.read_only)],
    ["restart", str(service.restart)],
    ["stop_grace_period", duration(service.stop_grace_period)],
    ["stop_signal", str(service.stop_signal)],
    ["tmpfs", strings(service.tmpfs)],
    ["user", str(service.user)],
    ["volumes", volumes(service.volumes, parseSize)],
    ["volumes_from", strings(service.volumes_from)],
    ["working_dir", str(service.working_dir)],
  ]);
  return createHash("sha256").update(json).digest("hex");
}
