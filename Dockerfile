# One image for both the API and the worker (scale-out topology in docker-compose.yml). CI checks what
# this builds without a Docker engine: scripts/check-production-start.ts installs the same
# `npm ci --omit=dev` set in a scratch copy and starts the API and a worker from it with NODE_ENV=production.
FROM node:20-bookworm-slim
WORKDIR /app
# postinstall runs `prisma generate`, which reads the schema and prisma.config.ts (and db/pg-pool.ts).
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
COPY db ./db
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
USER node
ENV NODE_ENV=production
EXPOSE 3000
# node is PID 1 (no npm or tsx wrapper in between), so `docker stop`'s SIGTERM reaches the API's or the
# worker's own handler, which stops it cleanly.
CMD ["node", "--import", "tsx", "api/main.ts"]
