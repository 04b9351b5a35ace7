# syntax=docker/dockerfile:1
# stormguard's production image: Node 24 LTS, production dependencies only, non-root, database on a volume.

# Build stage: compile TypeScript with the dev dependencies.
FROM node:24-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 falls back to building from source when no prebuilt binary matches.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY commands ./commands
RUN npm run build

# Runtime stage: only production dependencies; the toolchain lives and dies in one layer.
FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force \
 && apt-get purge -y python3 make g++ \
 && apt-get autoremove -y \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY migrations ./migrations
RUN mkdir -p /data && chown node:node /data
# The image's own non-root user (uid 1000); deploy/ runs it with a read-only root filesystem.
USER node
VOLUME ["/data"]
EXPOSE 9464
ENTRYPOINT ["node", "bin/stormguard.js"]
CMD ["run", "--config", "/config/stormguard.yaml"]
