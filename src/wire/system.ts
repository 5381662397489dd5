/** Docker Engine API shapes for /version, /info and /system/df (moby api/types/system). */
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
