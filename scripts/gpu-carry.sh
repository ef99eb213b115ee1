#!/usr/bin/env bash
# Fills .deps/ (ignored by git) with what a GPU host lacks and cannot download, taken from this
# Debian machine: the header-only libraries (CLI11, nlohmann-json), GoogleTest's sources,
# Fashion-MNIST's IDX files, and the OpenSSL and zlib development files as .debs (unpacked
# there only if the host has none). About 40 MB; scripts/gpu-check.sh uses it on the GPU host.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

install_packages libcli11-dev nlohmann-json3-dev libgtest-dev dataset-fashion-mnist
deps=$DPTRAIN_ROOT/.deps
rm -rf "$deps"
mkdir -p "$deps/include" "$deps/debs" "$deps/fashion-mnist"
cp -r /usr/include/CLI /usr/include/nlohmann "$deps/include/"
cp -r /usr/src/googletest "$deps/googletest"
cp "$FASHION_MNIST_IDX"/*.gz "$deps/fashion-mnist/"
(cd "$deps/debs" && apt-get download -q libssl-dev zlib1g-dev)
log "$(du -sh "$deps" | cut -f1) in $deps"
