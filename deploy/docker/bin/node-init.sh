#!/bin/sh
# eni-agent's init container (runs once per node before the agent starts):
#  1. installs the CNI plugins (the C shim under both names) into the host's CNI bin dir,
#  2. installs every *.conflist of the config dir into the host's CNI net.d dir,
#  3. renders this node's agent config (the template with ${NODE_NAME} replaced),
#  4. copies this node's token (key = the node name) out of the mounted tokens Secret.
# Files are written under a temporary name and renamed, so the container runtime never execs or
# reads a half-written file.
# Environment: NODE_NAME (required), CNI_BIN_DIR, CNI_NET_DIR, PLUGIN_DIR, CONFIG_DIR, TOKENS_DIR,
# RUN_DIR (defaults below: the paths the DaemonSet mounts).
set -eu
: "${NODE_NAME:?NODE_NAME is required (downward API spec.nodeName)}"
cni_bin=${CNI_BIN_DIR:-/host/opt/cni/bin}
cni_net=${CNI_NET_DIR:-/host/etc/cni/net.d}
plugins=${PLUGIN_DIR:-/opt/eni-ipam/cni/bin}
config=${CONFIG_DIR:-/etc/eni-ipam/config}
tokens=${TOKENS_DIR:-/etc/eni-ipam/tokens}
run=${RUN_DIR:-/var/run/eni-agent-config}

install_file() { # src dst mode
  cp "$1" "$2.tmp.$$"
  chmod "$3" "$2.tmp.$$"
  mv -f "$2.tmp.$$" "$2"
}

mkdir -p "$cni_bin" "$cni_net" "$run"
for plugin in tke-route-eni tke-direct-eni; do
  install_file "$plugins/$plugin" "$cni_bin/$plugin" 0755
done
for conflist in "$config"/*.conflist; do
  [ -e "$conflist" ] || { echo "no *.conflist in $config" >&2; exit 1; }
  install_file "$conflist" "$cni_net/$(basename "$conflist")" 0644
done
if [ ! -f "$tokens/$NODE_NAME" ]; then
  echo "no token for node $NODE_NAME in the tokens Secret (key = node name); see README 'Node tokens'" >&2
  exit 1
fi
install_file "$tokens/$NODE_NAME" "$run/token" 0600
sed "s/\${NODE_NAME}/$NODE_NAME/g" "$config/agent.json.template" > "$run/config.json.tmp.$$"
mv -f "$run/config.json.tmp.$$" "$run/config.json"
echo "node $NODE_NAME: CNI plugins in $cni_bin, conflists in $cni_net, agent config in $run/config.json"
