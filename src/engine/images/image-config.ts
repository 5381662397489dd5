/**
 * The image config as the Docker image format stores it (the JSON whose sha256 is the image
 * ID), with the container config in dockerd's field order so IDs and bytes match dockerd's.
 */
export interface ContainerConfig {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  ExposedPorts?: Record<string, Record<string, never>>;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[] | null;
  Cmd: string[] | null;
  Image: string;
  Volumes: Record<string, Record<string, never>> | null;
  WorkingDir: string;
  Entrypoint: string[] | null;
  OnBuild: string[] | null;
  Labels: Record<string, string> | null;
  /** Only in images that have a HEALTHCHECK. */
  Healthcheck?: HealthConfig;
  StopSignal?: string;
  /** The shell of RUN, CMD and ENTRYPOINT's shell forms (Dockerfile SHELL). */
  Shell?: string[];
}

/** HEALTHCHECK as image and container configs store it (durations in nanoseconds). */
export interface HealthConfig {
  /** [] inherit, ["NONE"] disabled, ["CMD", ...args] or ["CMD-SHELL", command]. */
  Test?: string[] | null;
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

export interface ImageConfig {
  architecture: string;
  author?: string;
  comment?: string;
  config: ContainerConfig;
  container_config?: ContainerConfig;
  created: string;
  docker_version?: string;
  history: Array<{ created: string; author?: string; created_by?: string; comment?: string; empty_layer?: boolean }>;
  os: string;
  rootfs: { type: "layers"; diff_ids: string[] };
}

export function emptyContainerConfig(): ContainerConfig {
  return {
    Hostname: "",
    Domainname: "",
    User: "",
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: null,
    Cmd: null,
    Image: "",
    Volumes: null,
    WorkingDir: "",
    Entrypoint: null,
    OnBuild: null,
    Labels: null,
  };
}

// container.Config's field order; the optional ones are left out when unset (omitempty).
const containerConfigOrder = [
  "Hostname", "Domainname", "User", "AttachStdin", "AttachStdout", "AttachStderr", "ExposedPorts", "Tty", "OpenStdin", "StdinOnce",
  "Env", "Cmd", "Healthcheck", "ArgsEscaped", "Image", "Volumes", "WorkingDir", "Entrypoint", "NetworkDisabled", "MacAddress",
  "OnBuild", "Labels", "StopSignal", "StopTimeout", "Shell",
] as const;
const omittedWhenEmpty = new Set(["ExposedPorts", "Healthcheck", "ArgsEscaped", "NetworkDisabled", "MacAddress", "StopSignal", "StopTimeout", "Shell"]);

/** Puts the container config's keys in dockerd's order (Go's field order), so image IDs and bytes match. */
export function orderedContainerConfig(config: ContainerConfig): ContainerConfig {
  const source: Record<string, unknown> = { ...emptyContainerConfig(), ...config };
  const ordered: Record<string, unknown> = {};
  for (const key of containerConfigOrder) {
    const value = source[key];
    if (omittedWhenEmpty.has(key) && (value === undefined || value === "" || value === false || (Array.isArray(value) && value.length === 0))) continue;
    ordered[key] = value;
  }
  return ordered as unknown as ContainerConfig;
}
