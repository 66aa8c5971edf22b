# Two images from one file:
#   production (the default, last stage): the service without the development module (src/dev:
#     provider simulators and the development page), NODE_ENV=production;
#   development (`--target development`, what docker-compose.yml builds): the same plus the development
#     module, NODE_ENV=development.
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json tsconfig.production.json nest-cli.json ./
COPY src ./src
COPY migrations ./migrations
# The browser package the development page's Connect buttons use (built with the app by `npm run build`).
COPY clients/browser ./clients/browser

FROM deps AS build-development
RUN npm run build && npm prune --omit=dev

FROM deps AS build-production
RUN npm run build:production && npm prune --omit=dev

# Runtime stages: production dependencies and the compiled app only, as the non-root `node` user.
FROM node:24-slim AS development
ENV NODE_ENV=development
WORKDIR /app
COPY --from=build-development --chown=node:node /app/package.json ./
COPY --from=build-development --chown=node:node /app/node_modules ./node_modules
COPY --from=build-development --chown=node:node /app/dist ./dist
COPY --from=build-development --chown=node:node /app/clients/browser/dist ./clients/browser/dist
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/src/main"]

FROM node:24-slim AS production
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build-production --chown=node:node /app/package.json ./
COPY --from=build-production --chown=node:node /app/node_modules ./node_modules
COPY --from=build-production --chown=node:node /app/dist ./dist
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/src/main"]
