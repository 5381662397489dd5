#!/usr/bin/env bash
# Installs what moor needs on a Debian 12 machine (run as root), then its npm dependencies,
# then builds it. Used by the README's quickstart and by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
apt-get update
# docker-compose only for the tests: they check that it drives moor unchanged.
apt-get install -y --no-install-recommends ca-certificates mount util-linux attr acl zstd b3sum busybox-static conmon runc python3 make g++ debootstrap docker-compose
npm ci
npm run build
