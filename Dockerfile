# syntax=docker/dockerfile:1
# One image, several entrypoints (choose with the container command):
#   node deploy/docker/bin/ipamd.mjs [flags]       ipamd (default CMD: --help)
#   node deploy/docker/bin/ipamctl.mjs [command]   the operator's CLI
#   node deploy/docker/bin/vpc-sim.mjs [flags]     the VPC simulator
#   node packages/node-dataplane/dist/agent/main.js CONFIG.json   eni-agent
#   sh deploy/docker/bin/node-init.sh               eni-agent's init container: CNI plugins + conflists onto the node
# The CNI plugin shim is at /opt/eni-ipam/cni/bin/{tke-route-eni,tke-direct-eni}.
# Build: docker build -t eni-ipam:dev .   (test/deploy/dockerfile.test.ts checks this file)

ARG NODE_VERSION=20.19

# ---- build: install every dependency, compile the TypeScript, build the C shim --------------
FROM node:${NODE_VERSION}-bookworm AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY packages/core/package.json packages/core/
COPY packages/store/package.json packages/store/
COPY packages/cloud/package.json packages/cloud/
COPY packages/node-dataplane/package.json packages/node-dataplane/
COPY packages/ipamd/package.json packages/ipamd/
COPY test/package.json test/
COPY bench/package.json bench/
RUN npm ci --no-audit --no-fund
COPY packages packages
# test/support: ipamd's kube/testing.ts imports the fake apiserver's types (compiled, never run)
COPY test test
# the runtime projects only (their references bring core, store and cloud)
RUN npx tsc -b packages/ipamd packages/node-dataplane \
 && find packages -path '*/dist/*' \( -name '*.test.*' -o -name '*.tsbuildinfo' \) -delete
# Static, so the plugin runs on any node's libc (it is copied onto the host by node-init.sh);
# the same compiler flags as packages/node-dataplane/shim/build-shim.sh.
RUN mkdir -p /out/cni/bin \
 && cc -O2 -Wall -Wextra -static -o /out/cni/bin/tke-route-eni packages/node-dataplane/shim/cni-shim.c \
 && ln -f /out/cni/bin/tke-route-eni /out/cni/bin/tke-direct-eni

# ---- runtime: Node slim, production dependencies, the compiled output ----------------------
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
# iproute2 for the agent's NetOps (ip -j / ip -batch); nsenter comes with util-linux (essential)
RUN apt-get update \
 && apt-get install -y --no-install-recommends iproute2 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY packages/core/package.json packages/core/
COPY packages/store/package.json packages/store/
COPY packages/cloud/package.json packages/cloud/
COPY packages/node-dataplane/package.json packages/node-dataplane/
COPY packages/ipamd/package.json packages/ipamd/
COPY test/package.json test/
COPY bench/package.json bench/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/packages/core/dist packages/core/dist
COPY --from=build /src/packages/store/dist packages/store/dist
COPY --from=build /src/packages/cloud/dist packages/cloud/dist
COPY --from=build /src/packages/node-dataplane/dist packages/node-dataplane/dist
COPY --from=build /src/packages/ipamd/dist packages/ipamd/dist
COPY --from=build /out/cni/bin /opt/eni-ipam/cni/bin
COPY packages/cloud/seeds packages/cloud/seeds
COPY deploy/docker/bin deploy/docker/bin
USER node
EXPOSE 9090
ENTRYPOINT ["node"]
CMD ["deploy/docker/bin/ipamd.mjs", "--help"]
