import { MoorError } from "../../errors.ts";
import type { ContainerConfig, HealthConfig, ImageConfig } from "../images/image-config.ts";
import { replaceOrAppendEnvValues } from "./oci-spec.ts";

/** The container config as the API carries it (Config), with the fields moor reads typed. */
export type RequestedConfig = Omit<Partial<ContainerConfig>, "Healthcheck"> & {
  /** null from clients that send none (Go's nil pointer). */
  Healthcheck?: HealthConfig | null;
  StopSignal?: string;
  StopTimeout?: number;
  [key: string]: unknown;
};

/**
 * The container's effective config: the request merged over the image's as dockerd merges
 * them (moby daemon/create.go merge): the image's env with the request's on top, labels and
 * volumes joined, and the image's entrypoint and command unless the request sets its own.
 */
export function mergeConfig(requested: RequestedConfig, image: ImageConfig, imageName: string, hostname: string): RequestedConfig {
  const imageConfig = image.config;
  const merged: RequestedConfig = { ...requested };
  merged.Hostname = requested.Hostname || hostname;
  merged.Domainname = requested.Domainname ?? "";
  merged.User = requested.User || imageConfig.User || "";
  merged.Env = replaceOrAppendEnvValues(imageConfig.Env ?? [], requested.Env ?? []);
  merged.Labels = { ...(imageConfig.Labels ?? {}), ...(requested.Labels ?? {}) };
  const entrypoint = requested.Entrypoint ?? null;
  const cmd = requested.Cmd ?? null;
  if (entrypoint === null || entrypoint.length === 0) {
    merged.Entrypoint = imageConfig.Entrypoint ?? null;
    merged.Cmd = cmd === null || cmd.length === 0 ? (imageConfig.Cmd ?? null) : cmd;
  } else {
    // [""] (`--entrypoint ""`) clears the image's entrypoint: no entrypoint at all.
    merged.Entrypoint = entrypoint.length === 1 && entrypoint[0] === "" ? null : entrypoint;
    merged.Cmd = cmd;
  }
  const healthcheck = mergeHealthcheck(requested.Healthcheck ?? null, imageConfig.Healthcheck ?? null);
  if (healthcheck === null) delete merged.Healthcheck;
  else merged.Healthcheck = healthcheck;
  merged.WorkingDir = requested.WorkingDir || imageConfig.WorkingDir || "";
  const volumes = { ...(imageConfig.Volumes ?? {}), ...(requested.Volumes ?? {}) };
  merged.Volumes = Object.keys(volumes).length > 0 ? volumes : null;
  const ports = { ...(imageConfig.ExposedPorts ?? {}), ...(requested.ExposedPorts ?? {}) };
  if (Object.keys(ports).length > 0) merged.ExposedPorts = ports;
  merged.Image = imageName;
  merged.OnBuild = imageConfig.OnBuild ?? null;
  for (const key of ["AttachStdin", "AttachStdout", "AttachStderr", "Tty", "OpenStdin", "StdinOnce"] as const) {
    merged[key] = Boolean(requested[key]);
  }
  return merged;
}

/** The command the container runs: entrypoint then cmd, as one argv. */
export function commandLine(config: RequestedConfig): string[] {
  return [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
}

const healthFields = ["Interval", "Timeout", "StartPeriod", "StartInterval", "Retries"] as const;

/**
 * The request's healthcheck over the image's as dockerd merges them (moby daemon/commit.go
 * merge): the image's when the request has none, else each field the request leaves empty
 * (zero) taken from the image's; the test too, so --no-healthcheck keeps the image's interval.
 * Fields are in dockerd's order and empty ones left out, as Go's omitempty marshals them.
 */
export function mergeHealthcheck(requested: HealthConfig | null, image: HealthConfig | null): HealthConfig | null {
  if (requested === null && image === null) return null;
  const merged: HealthConfig = {};
  const test = (requested?.Test ?? []).length > 0 ? requested!.Test : image?.Test;
  if (test && test.length > 0) merged.Test = test;
  for (const field of healthFields) {
    const value = requested?.[field] || image?.[field] || 0;
    if (value !== 0) merged[field] = value;
  }
  return merged;
}

/** dockerd's checks of a requested healthcheck (moby daemon/container.go validateHealthCheck). */
export function validateHealthcheck(healthcheck: HealthConfig | null | undefined): void {
  if (healthcheck === null || healthcheck === undefined) return;
  const millisecond = 1_000_000;
  for (const field of ["Interval", "Timeout"] as const) {
    const value = healthcheck[field] ?? 0;
    if (value !== 0 && value < millisecond) throw new MoorError("invalid", `${field} in Healthcheck cannot be less than 1ms`);
  }
  if ((healthcheck.Retries ?? 0) < 0) throw new MoorError("invalid", "Retries in Healthcheck cannot be negative");
  for (const field of ["StartPeriod", "StartInterval"] as const) {
    const value = healthcheck[field] ?? 0;
    if (value !== 0 && value < millisecond) throw new MoorError("invalid", `${field} in Healthcheck cannot be less than 1ms`);
  }
}

/**
 * Warnings for the create response, with dockerd's texts. Until moor has bridge networking,
 * the default mode ("", "default", "bridge") runs in the host's network as "host" does, so
 * published ports are discarded there too (dockerd warns for "host": moby daemon/daemon_unix.go
 * verifyPlatformContainerSettings).
 */
export function createWarnings(hostConfig: { NetworkMode?: string; PortBindings?: unknown }): string[] {
  const mode = hostConfig.NetworkMode ?? "";
  const usesHostNetwork = mode === "" || mode === "default" || mode === "bridge" || mode === "host";
  const bindings = hostConfig.PortBindings;
  const publishes = typeof bindings === "object" && bindings !== null && Object.keys(bindings).length > 0;
  return usesHostNetwork && publishes ? ["Published ports are discarded when using host network mode"] : [];
}
