/** Docker Engine API shapes for /version, /info and /system/df (moby api/types/system). */
import type { WireImageSummary } from "./images.ts";
import type { WireVolume } from "./volumes.ts";

export interface WireVersionComponent {
  Name: string;
  Version: string;
  Details?: Record<string, string>;
}

export interface WireVersion {
  Platform: { Name: string };
  Components: WireVersionComponent[];
  Version: string;
  ApiVersion: string;
  MinAPIVersion: string;
  GitCommit: string;
  GoVersion: string;
  Os: string;
  Arch: string;
  KernelVersion: string;
  BuildTime: string;
}

export interface WireErrorResponse {
  message: string;
}

/** `GET /system/df`: what takes disk space (the containers' fields as `GET /containers/json` has them, with SizeRw). */
export interface WireDiskUsage {
  LayersSize: number;
  Images: WireImageSummary[] | null;
  Containers: Array<{
    Id: string;
    Names: string[];
    Image: string;
    ImageID: string;
    Command: string;
    Created: number;
    State: string;
    Status: string;
    Labels: Record<string, string> | null;
    Mounts: Array<{ Type: string; Name?: string; Source: string }>;
    SizeRw?: number;
  }> | null;
  Volumes: WireVolume[] | null;
  BuildCache: unknown[] | null;
}
