# log-capturer image: build with the full toolchain, run on a slim image without compilers.
#   docker build -t log-capturer .
#
# Node.js 26 on Debian 13 (trixie). Node 20, which this image used to run, reached end of life on
# 2026-04-30. The npm registry lists Node majors up to 26 (26.10.0, no 27); by the Node.js release
# schedule 26 was released in April 2026 and became Active LTS on 2026-10-28 (Maintenance from
# 2027-10-20, end of life 2029-04-30): it is the current LTS. 24 moved to Maintenance on 2026-10-20
# (end of life 2028-04-30), 22 ends on 2027-04-30. `26-trixie-slim` is a variant of the official
# node image (Debian 13 is supported past Node 26's end of life; bookworm's LTS ends 2028-06-30).
# Not verified here: the repository's tests run on Node 20 (package.json `engines`), and this
# image could not be built where it was written (no registry is reachable from that daemon).
# zstd-napi is a native addon: prebuild-install fetches a prebuilt binary when the network allows,
# otherwise node-gyp compiles it, hence python3/make/g++ in the build stages only.

FROM node:26-trixie-slim AS build
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

FROM node:26-trixie-slim AS runtime
ENV NODE_ENV=production \
    LOG_CAPTURER_CHECKPOINT_STATE_DIR=/var/lib/log-capturer \
    LOG_CAPTURER_SERVER_LISTEN=0.0.0.0:8001
WORKDIR /app
COPY --from=production-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/plugin-config ./plugin-config
COPY package.json ./
# The image's `node` user (uid 1000), owning only its state directory (0700: positions and dead
# letters hold log lines). The stacks give it no Docker socket, only the GET-only filter of
# deploy/docker-api-proxy (a unix socket it may open as any user).
# No setuid or setgid programs: with them, a process could regain root inside the container even
# where `no-new-privileges` cannot be set (swarm services ignore security_opt).
RUN install -d -o node -g node -m 0700 /var/lib/log-capturer \
 && find / -xdev -type f -perm /6000 -exec chmod a-s {} +
USER node
# positions.json and dead-letter files: keep them across container restarts.
VOLUME ["/var/lib/log-capturer"]
EXPOSE 8001
# No curl in the slim image: node's fetch asks /readyz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8001/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/cli/main.js"]
