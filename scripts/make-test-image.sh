#!/usr/bin/env bash
# Builds a small root filesystem tarball from Debian's busybox-static, for tests and examples:
#   scripts/make-test-image.sh OUT.tar
# Import it with `moor image import OUT.tar busybox` or `docker import OUT.tar busybox`.
# Needs the busybox-static package (scripts/setup.sh installs it).
set -euo pipefail
out=${1:?usage: make-test-image.sh OUT.tar}
busybox=/bin/busybox
if ! "$busybox" --list >/dev/null 2>&1; then
  echo "make-test-image.sh: $busybox is missing: apt-get install -y busybox-static" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
mkdir -p "$root"/{bin,etc,tmp,root,var/lib,proc,sys,dev}
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
# Fixed owners and times so the same busybox gives the same tarball, layer digest and image id.
tar --numeric-owner --owner=0 --group=0 --mtime=@0 --sort=name -C "$root" -cf "$out" .
