#!/usr/bin/env bash
# Fills .deps/ (ignored by git) with what a GPU host lacks and cannot download, taken from this
# Debian machine: the header-only libraries (CLI11, nlohmann-json), GoogleTest's sources,
# Fashion-MNIST's IDX files, and the OpenSSL and zlib development files as .debs (unpacked
# there only if the host has none). About 40 MB; scripts/gpu-check.sh uses it on the GPU host.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
no_arguments_but_help "$0" "$@"

install_packages libcli11-dev nlohmann-json3-dev libgtest-dev dataset-fashion-mnist
deps=$DPTRAIN_ROOT/.deps
# Filled beside it and swapped in whole: a failure half-way leaves the previous .deps.
next=$(mktemp -d "$DPTRAIN_ROOT/.deps.next.XXXXXX")
chmod 755 "$next"  # apt-get download writes as its own user
trap 'rm -rf "$next"' EXIT
mkdir -p "$next/include" "$next/debs" "$next/fashion-mnist"
cp -r /usr/include/CLI /usr/include/nlohmann "$next/include/"
cp -r /usr/src/googletest "$next/googletest"
cp "$FASHION_MNIST_IDX"/*.gz "$next/fashion-mnist/"
(cd "$next/debs" && apt-get download -q libssl-dev zlib1g-dev)
rm -rf "$deps"
mv "$next" "$deps"
log "$(du -sh "$deps" | cut -f1) in $deps"
