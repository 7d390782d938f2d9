#!/usr/bin/env bash
# Installs the Debian packages eni-ipam's tests and demo start for real. Idempotent: installs
# only what is missing, and says what it installs. Needs root (CI and these machines run as root).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
declare -A want=(
  [etcd]=etcd-server          # the event log's server (3.4), started by tests on loopback
  [etcdctl]=etcd-client       # maintenance commands in tests and docs
  [ip]=iproute2               # network namespaces, veths, rules, routes
  [nsenter]=util-linux        # entering pod network namespaces
  [openssl]=openssl           # throwaway TLS certificates in the ipamd HTTPS test
)
missing=()
for bin in "${!want[@]}"; do
  command -v "$bin" >/dev/null 2>&1 || missing+=("${want[$bin]}")
done
if ((${#missing[@]})); then
  echo "install-system-deps: installing ${missing[*]} (apt-get)"
  if [[ $(id -u) -ne 0 ]]; then echo "install-system-deps: need root to apt-get install ${missing[*]}" >&2; exit 1; fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "install-system-deps: all present (etcd, etcdctl, ip, nsenter, openssl)"
fi
