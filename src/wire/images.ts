/** Docker Engine API shapes for images (moby api/types/image), as dockerd emits them. */
export interface WireImageSummary {
  Containers: number;
  Created: number;
  Id: string;
  Labels: Record<string, string> | null;
  ParentId: string;
  RepoDigests: string[] | null;
  RepoTags: string[] | null;
  SharedSize: number;
  Size: number;
  VirtualSize?: number;
}

export interface WireImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string;
  Container?: string;
  ContainerConfig?: unknown;
  DockerVersion: string;
  Author: string;
  Config: unknown;
  Architecture: string;
  Os: string;
  Size: number;
  VirtualSize?: number;
  GraphDriver: { Data: Record<string, string>; Name: string };
  RootFS: { Type: string; Layers: string[] };
  Metadata: { LastTagTime: string };
}
