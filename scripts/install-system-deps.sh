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
  [sysctl]=procps             # sysctl inside node namespaces (agent bound to a namespace in tests)
  [ping]=iputils-ping         # dataplane tests: pods ping each other inside test namespaces
  [cc]=gcc                    # builds the CNI shim (packages/node-dataplane/shim) at test set-up
  [go]=golang-go              # builds the libcni test driver at test set-up
  [iptables]=iptables         # needed by the chained reference plugins (portmap)
  [setpriv]=util-linux        # test etcd members die with their test process (--pdeathsig)
  [openssl]=openssl           # throwaway CA and certificates (etcd TLS test, ipamd HTTPS test)
)
missing=()
for bin in "${!want[@]}"; do
  command -v "$bin" >/dev/null 2>&1 || missing+=("${want[$bin]}")
done
# Debian packages without a binary on PATH to probe: the CNI reference plugins and libcni sources.
for pkg in containernetworking-plugins golang-github-appc-cni-dev; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "install-system-deps: installing ${missing[*]} (apt-get)"
  if [[ $(id -u) -ne 0 ]]; then echo "install-system-deps: need root to apt-get install ${missing[*]}" >&2; exit 1; fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "install-system-deps: all present (${!want[*]}, CNI plugins, libcni sources)"
fi
