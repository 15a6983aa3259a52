# log-capturer image: build with the full toolchain, run on a slim image without compilers.
#   docker build -t log-capturer .
# zstd-napi is a native addon: prebuild-install fetches a prebuilt binary when the network allows,
# otherwise node-gyp compiles it, hence python3/make/g++ in the build stages only.

FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY plugin-config ./plugin-config
# `npm ci` runs `prepare`, which is the TypeScript build (dist/).
RUN npm ci

FROM build AS production-deps
# Only what runs: no dev dependencies, no build scripts except the native addon's own install.
RUN rm -rf node_modules \
 && npm ci --omit=dev --ignore-scripts \
 && npm rebuild zstd-napi

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    LOG_CAPTURER_CHECKPOINT_STATE_DIR=/var/lib/log-capturer \
    LOG_CAPTURER_SERVER_LISTEN=0.0.0.0:8001
WORKDIR /app
COPY --from=production-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/plugin-config ./plugin-config
COPY package.json ./
# The image's `node` user (uid 1000). Reading /var/run/docker.sock also needs the socket's group:
# give it with `group_add: ["<gid of docker.sock>"]` in compose (or --group-add with docker run).
RUN mkdir -p /var/lib/log-capturer && chown node:node /var/lib/log-capturer
USER node
# positions.json and dead-letter files: keep them across container restarts.
VOLUME ["/var/lib/log-capturer"]
EXPOSE 8001
# No curl in the slim image: node's fetch asks /readyz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8001/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/cli/main.js"]
