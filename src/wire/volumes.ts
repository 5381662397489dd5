/**
 * Docker Engine API shapes for volumes (moby api/types/volume), PascalCase as on the wire.
 * Property order follows dockerd's output, so JSON text compares equal.
 */
export interface WireVolume {
  CreatedAt: string;
  Driver: string;
  Labels: Record<string, string> | null;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
  Scope: string;
  UsageData?: { Size: number; RefCount: number };
}

export interface WireVolumeListResponse {
  Volumes: WireVolume[];
  Warnings: string[] | null;
}

export interface WireVolumeCreateRequest {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

export interface WireVolumePruneReport {
  VolumesDeleted: string[];
  SpaceReclaimed: number;
}

/** moor's answer to a volume restore or verify (`/moor/volumes/restore`, `/moor/volumes/verify`). */
export interface WireVolumeArchiveSummary {
  Volume: string;
  Files: number;
  Bytes: number;
  Checksum: string;
  Created: string;
}
