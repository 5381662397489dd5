// moby/sys/mount's mount options that are flags: the MS_* bits each sets (or, with `clear`,
// clears). The propagation ones change how a mount propagates rather than what it is.
export interface MountFlag {
  bits: number;
  clear?: true;
  propagation?: true;
}

export const mountFlags: Readonly<Record<string, MountFlag>> = {
  ro: { bits: 0x1 }, rw: { bits: 0x1, clear: true }, nosuid: { bits: 0x2 }, suid: { bits: 0x2, clear: true },
  nodev: { bits: 0x4 }, dev: { bits: 0x4, clear: true }, noexec: { bits: 0x8 }, exec: { bits: 0x8, clear: true },
  sync: { bits: 0x10 }, async: { bits: 0x10, clear: true }, remount: { bits: 0x20 }, mand: { bits: 0x40 },
  nomand: { bits: 0x40, clear: true }, dirsync: { bits: 0x80 }, noatime: { bits: 0x400 }, atime: { bits: 0x400, clear: true },
  nodiratime: { bits: 0x800 }, diratime: { bits: 0x800, clear: true }, relatime: { bits: 0x200000 },
  norelatime: { bits: 0x200000, clear: true }, strictatime: { bits: 0x1000000 }, nostrictatime: { bits: 0x1000000, clear: true },
  bind: { bits: 0x1000, propagation: true }, rbind: { bits: 0x5000, propagation: true },
  unbindable: { bits: 0x20000, propagation: true }, runbindable: { bits: 0x24000, propagation: true },
  private: { bits: 0x40000, propagation: true }, rprivate: { bits: 0x44000, propagation: true },
  slave: { bits: 0x80000, propagation: true }, rslave: { bits: 0x84000, propagation: true },
  shared: { bits: 0x100000, propagation: true }, rshared: { bits: 0x104000, propagation: true },
};
