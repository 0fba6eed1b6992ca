# syntax=docker/dockerfile:1
# One image for the six Paystream services (and the one-shot stack init). docker-compose.yml
# picks the service with its command: `node dist/apps/<app>/src/main.js`.

FROM node:20-bookworm-slim AS build
WORKDIR /src
# Dependencies first, so a source change does not reinstall them.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY libs ./libs
COPY apps ./apps
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# scripts/stack-init.mjs creates the databases and the contract's topics; it reads topics.json
# relative to itself.
COPY scripts/stack-init.mjs ./scripts/stack-init.mjs
COPY libs/contracts/src/topics.json ./libs/contracts/src/topics.json
USER node
EXPOSE 3000 3001 3002 3003 3004 3005
CMD ["node", "--enable-source-maps", "dist/apps/payment/src/main.js"]
