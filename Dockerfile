# The ambient-migrate image: the CLI, run as `ambient-migrate controller` by deploy/controller
# and the Helm chart (any other subcommand works too, e.g. in a Job).
#   docker build -t REGISTRY/ambient-migrate:0.1.0 .
# Multi-stage: the build stage installs the dev dependencies and bundles the CLI with esbuild
# (npm run build: one ES module plus lazily loaded chunks, no node_modules needed at run time);
# the runtime stage holds Node 24, bin/ and dist/ only, runs as a non-root user and needs no
# writable root filesystem (the manifests mount /tmp and the backup directory as volumes).

FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# No install scripts: the npm package `node` (the pinned toolchain for development) would fetch
# a second Node; the image's own Node 24 builds the bundle.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY bin ./bin
COPY scripts ./scripts
COPY src ./src
RUN node scripts/build.mjs

FROM node:24-bookworm-slim
ENV NODE_ENV=production NO_COLOR=1
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/bin ./bin
COPY --from=build /src/dist ./dist
# A numeric non-root user, so that runAsNonRoot can check it without an /etc/passwd entry.
USER 65532:65532
ENTRYPOINT ["node", "/app/bin/ambient-migrate.js"]
CMD ["controller"]
