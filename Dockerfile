# One image for every role: setup + web, the worker supervisor, or both (docker-compose.yml picks the command).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
# The root postinstall applies patches/ (patch-package: fzstd's window upkeep, see README) during npm ci/install,
# before npm prune removes patch-package itself.
COPY patches ./patches
COPY packages ./packages
COPY apps ./apps
# tsc -b builds every project the root tsconfig.json references, the command-line scripts and the bench included.
COPY scripts ./scripts
COPY bench ./bench
# Node 20's npm 10 runs dependencies' install scripts (npm 11 blocks those not in package.json's allowScripts):
# onnxruntime-node's would download CUDA libraries; the CPU build ships in the package. Its documented switch:
ENV ONNXRUNTIME_NODE_INSTALL=skip
# npm ci refuses a lock file made where the registry lacked rollup's other-platform binaries (see .ci/run);
# npm install then installs the same locked versions.
RUN (npm ci --no-audit --no-fund || npm install --no-audit --no-fund) && npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app /app
COPY examples/models ./examples/models
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
CMD ["node", "--optimize-for-size", "--no-opt", "--no-sparkplug", "--max-semi-space-size=1", "apps/platform/dist/start.js"]
