import { MoorError } from "../../errors.ts";
import type { ContainerConfig } from "./image-config.ts";

/**
 * The Dockerfile instructions `docker import -c` and `docker commit -c` may carry, applied to
 * an image config as dockerd applies them (moby builder/dockerfile, BuildFromConfig).
 */
const allowed = new Set(["CMD", "ENTRYPOINT", "ENV", "EXPOSE", "LABEL", "ONBUILD", "USER", "VOLUME", "WORKDIR"]);

export function applyChanges(config: ContainerConfig, changes: string[]): ContainerConfig {
  const result: ContainerConfig = structuredClone(config);
  for (const change of changes) {
    const trimmed = change.trim();
    if (trimmed === "") continue;
    const space = trimmed.search(/\s/);
    const instruction = (space === -1 ? trimmed : trimmed.slice(0, space)).toUpperCase();
    const args = space === -1 ? "" : trimmed.slice(space).trim();
    if (!allowed.has(instruction)) {
      throw new MoorError("invalid", `${instruction.toLowerCase()} is not a valid change command`);
    }
    switch (instruction) {
      case "CMD":
        result.Cmd = commandForm(args);
        break;
      case "ENTRYPOINT":
        result.Entrypoint = commandForm(args);
        break;
      case "ENV":
        for (const [key, value] of keyValues(args, "ENV")) {
          const env = (result.Env ?? []).filter((entry) => entry.split("=")[0] !== key);
          env.push(`${key}=${value}`);
          result.Env = env;
        }
        break;
      case "LABEL":
        for (const [key, value] of keyValues(args, "LABEL")) result.Labels = { ...(result.Labels ?? {}), [key]: value };
        break;
      case "EXPOSE":
        for (const port of words(args)) {
          result.ExposedPorts = { ...(result.ExposedPorts ?? {}), [port.includes("/") ? port : `${port}/tcp`]: {} };
        }
        break;
      case "ONBUILD":
        result.OnBuild = [...(result.OnBuild ?? []), args];
        break;
      case "USER":
        result.User = args;
        break;
      case "VOLUME":
        for (const path of jsonArray(args) ?? words(args)) {
          if (path === "") throw new MoorError("invalid", "VOLUME specified can not be an empty string");
          result.Volumes = { ...(result.Volumes ?? {}), [path]: {} };
        }
        break;
      case "WORKDIR":
        result.WorkingDir = args.startsWith("/") ? args : `${result.WorkingDir || "/"}${(result.WorkingDir || "/").endsWith("/") ? "" : "/"}${args}`;
        break;
    }
  }
  return result;
}

/** Exec form (a JSON array) as is; shell form runs through /bin/sh -c, as in a Dockerfile. */
function commandForm(args: string): string[] {
  return jsonArray(args) ?? ["/bin/sh", "-c", args];
}

function jsonArray(args: string): string[] | undefined {
  if (!args.startsWith("[")) return undefined;
  try {
    const parsed: unknown = JSON.parse(args);
    if (Array.isArray(parsed) && parsed.every((item) => typeof item === "string")) return parsed;
  } catch {
    // not JSON: the shell form
  }
  return undefined;
}

function words(args: string): string[] {
  return args.split(/\s+/).filter((word) => word !== "");
}

/** `KEY=VALUE ...` (quotes allowed) or the legacy `KEY VALUE` form. */
function keyValues(args: string, instruction: string): Array<[string, string]> {
  if (!/^[^\s=]+=/.test(args)) {
    const space = args.search(/\s/);
    if (space === -1) throw new MoorError("invalid", `${instruction} requires at least two arguments`);
    return [[args.slice(0, space), args.slice(space).trim()]];
  }
  const pairs: Array<[string, string]> = [];
  for (const token of args.match(/(?:[^\s"']+|"(?:\\.|[^"\\])*"|'[^']*')+/g) ?? []) {
    const eq = token.indexOf("=");
    if (eq <= 0) throw new MoorError("invalid", `${instruction} names can not be blank`);
    pairs.push([token.slice(0, eq), unquote(token.slice(eq + 1))]);
  }
  return pairs;
}

function unquote(value: string): string {
  return value.replace(/"((?:\\.|[^"\\])*)"|'([^']*)'/g, (_, double: string | undefined, single: string | undefined) =>
    double !== undefined ? double.replace(/\\(.)/g, "$1") : (single ?? ""),
  );
}
