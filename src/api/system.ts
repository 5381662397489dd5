import { backingFilesystem, type HostFacts } from "../engine/host.ts";
import type { VolumeService } from "../engine/volumes/service.ts";
import type { SystemService } from "../engine/system.ts";
import { moorVersion } from "../version.ts";
import type { WireVersion } from "../wire/system.ts";
import { sendJson } from "./http.ts";
import type { Router } from "./router.ts";
import { versionLessThan } from "../util/versions.ts";
import { apiVersions } from "./version.ts";
import { MoorError } from "../errors.ts";
import { toWireVolume } from "./volumes.ts";
import { toContainerSummary } from "./containers.ts";
import { toImageSummary } from "./images.ts";
import type { ImageService } from "../engine/images/service.ts";
import type { ContainerService } from "../engine/containers/service.ts";
import type { HealthMonitor } from "../engine/containers/health.ts";

export interface SystemFacts {
  host: HostFacts;
  root: string;
}

const pingHeaders = {
  "Cache-Control": "no-cache, no-store, must-revalidate",
  Pragma: "no-cache",
  "Builder-Version": "1",
  Swarm: "inactive",
  "Content-Type": "text/plain; charset=utf-8",
};

export interface DiskUsageSources {
  volumes: VolumeService;
  images: ImageService;
  containers: ContainerService;
  health: HealthMonitor;
}

export function addSystemRoutes(router: Router, facts: SystemFacts, system: SystemService, { volumes, images, containers, health }: DiskUsageSources): void {
  router.add("GET", "/_ping", ({ res }) => {
    res.writeHead(200, { ...pingHeaders, "Content-Length": 2 });
    res.end("OK");
  });
  router.add("HEAD", "/_ping", ({ res }) => {
    res.writeHead(200, { ...pingHeaders, "Content-Length": 0 });
    res.end();
  });

  router.add("GET", "/version", ({ res }) => {
    const { host } = facts;
    const body: WireVersion = {
      Platform: { Name: "moor" },
      Components: [
        {
          Name: "Engine",
          Version: moorVersion,
          Details: {
            ApiVersion: apiVersions.max,
            Arch: host.goArch,
            BuildTime: "",
            Experimental: "false",
            GitCommit: "",
            GoVersion: "",
            KernelVersion: host.kernelVersion,
            MinAPIVersion: apiVersions.min,
            Os: "linux",
          },
        },
        { Name: "Node.js", Version: process.versions.node },
      ],
      Version: moorVersion,
      ApiVersion: apiVersions.max,
      MinAPIVersion: apiVersions.min,
      GitCommit: "",
      GoVersion: "",
      Os: "linux",
      Arch: host.goArch,
      KernelVersion: host.kernelVersion,
      BuildTime: "",
    };
    sendJson(res, 200, body);
  });

  router.add("GET", "/info", ({ res }) => {
    const { host } = facts;
    const counts = system.counts();
    sendJson(res, 200, {
      ID: system.engineId,
      Containers: counts.containers,
      ContainersRunning: counts.containersRunning,
      ContainersPaused: counts.containersPaused,
      ContainersStopped: counts.containersStopped,
      Images: counts.images,
      Driver: "overlay",
      DriverStatus: [["Backing Filesystem", backingFilesystem(facts.root)]],
      Plugins: { Volume: ["local"], Network: ["host", "null"], Authorization: null, Log: ["k8s-file"] },
      MemoryLimit: true,
      SwapLimit: true,
      CpuCfsPeriod: true,
      CpuCfsQuota: true,
      CPUShares: true,
      CPUSet: true,
      PidsLimit: true,
      IPv4Forwarding: false,
      BridgeNfIptables: false,
      BridgeNfIp6tables: false,
      Debug: false,
      NFd: 0,
      OomKillDisable: false,
      NGoroutines: 0,
      SystemTime: new Date().toISOString(),
      LoggingDriver: "k8s-file",
      CgroupDriver: "cgroupfs",
      CgroupVersion: "2",
      NEventsListener: 0,
      KernelVersion: host.kernelVersion,
      OperatingSystem: host.operatingSystem,
      OSVersion: host.osVersion,
      OSType: "linux",
      Architecture: host.machine,
      IndexServerAddress: "https://index.docker.io/v1/",
      RegistryConfig: {
        AllowNondistributableArtifactsCIDRs: null,
        AllowNondistributableArtifactsHostnames: null,
        InsecureRegistryCIDRs: ["127.0.0.0/8"],
        IndexConfigs: {},
        Mirrors: null,
      },
      NCPU: host.cpus,
      MemTotal: host.memoryBytes,
      GenericResources: null,
      DockerRootDir: facts.root,
      HttpProxy: "",
      HttpsProxy: "",
      NoProxy: "",
      Name: host.hostname,
      Labels: [],
      ExperimentalBuild: false,
      ServerVersion: moorVersion,
      Runtimes: { runc: { path: "runc" } },
      DefaultRuntime: "runc",
      Swarm: {
        NodeID: "",
        NodeAddr: "",
        LocalNodeState: "inactive",
        ControlAvailable: false,
        Error: "",
        RemoteManagers: null,
      },
      LiveRestoreEnabled: true,
      Isolation: "",
      InitBinary: "",
      ContainerdCommit: { ID: "" },
      RuncCommit: { ID: "" },
      InitCommit: { ID: "" },
      SecurityOptions: ["name=seccomp,profile=builtin"],
      CDISpecDirs: [],
      Warnings: null,
    });
  });

  router.add("GET", "/system/df", async ({ res, query, apiVersion }) => {
    // The `type` filter exists from API 1.42 (moby daemon/server/router/system).
    const types = versionLessThan(apiVersion, "1.42") ? [] : query.getAll("type");
    for (const type of types) {
      if (!["container", "image", "volume", "build-cache"].includes(type)) {
        throw new MoorError("invalid", `unknown object type: ${type}`);
      }
    }
    const wants = (type: string) => types.length === 0 || types.includes(type);
    // Only what was asked for is gathered: `volume ls --size` asks for volumes alone.
    const allContainers = wants("image") || wants("container") ? containers.list({ all: true }) : [];
    const imageUsage = wants("image") ? images.diskUsage(allContainers.map((container) => container.imageId)) : undefined;
    const imageSizes = wants("container") ? new Map(images.list(undefined, { all: true }).map((image) => [image.id, image.size])) : new Map<string, number>();
    const [usages, containerSizes] = await Promise.all([
      wants("volume") ? volumes.diskUsage() : undefined,
      wants("container") ? Promise.all(allContainers.map((container) => containers.writableLayerSize(container.id).catch(() => 0))) : undefined,
    ]);
    sendJson(res, 200, {
      LayersSize: imageUsage?.layersSize ?? 0,
      Images: imageUsage?.images.map(({ image, sharedSize, containers: users }) => ({ ...toImageSummary(image, apiVersion), SharedSize: sharedSize, Containers: users })) ?? null,
      Containers:
        containerSizes === undefined
          ? null
          : allContainers.map((container, index) => ({
              ...toContainerSummary(container, health.state(container.id)),
              SizeRw: containerSizes[index],
              SizeRootFs: containerSizes[index] + (imageSizes.get(container.imageId) ?? 0),
            })),
      Volumes:
        usages?.map((usage) => ({
          ...toWireVolume(usage.volume),
          UsageData: { RefCount: usage.refCount, Size: usage.size },
        })) ?? null,
      BuildCache: null,
      ...(versionLessThan(apiVersion, "1.42") ? { BuilderSize: 0 } : {}),
    });
  });
}
