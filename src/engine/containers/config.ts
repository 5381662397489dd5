import type { ContainerConfig, ImageConfig } from "../images/image-config.ts";
import { replaceOrAppendEnvValues } from "./oci-spec.ts";

/** The container config as the API carries it (Config), with the fields moor reads typed. */
export type RequestedConfig = Partial<ContainerConfig> & {
  Healthcheck?: unknown;
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
    merged.Entrypoint = entrypoint;
    merged.Cmd = cmd;
  }
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
