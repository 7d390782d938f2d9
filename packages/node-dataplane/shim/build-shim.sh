#!/usr/bin/env bash
# Builds the CNI shim from source and installs it under both plugin names.
# Usage: build-shim.sh <dir>   (for example /opt/cni/bin; tests use a temp dir)
set -euo pipefail
out=${1:?usage: build-shim.sh <dir>}
src="$(dirname "$0")/cni-shim.c"
mkdir -p "$out"
cc -O2 -Wall -Wextra -o "$out/tke-route-eni" "$src"
ln -f "$out/tke-route-eni" "$out/tke-direct-eni"
