FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
# The bundled scenarios, so `docker compose run --rm line drill` rehearses the image that runs.
COPY drills ./drills
RUN mkdir -p /app/var && chown node /app/var
USER node
ENV NODE_ENV=production
EXPOSE 3000
# node itself is PID 1, with tsx as a loader (no npx or npm in between, which would not pass signals on):
# `docker stop`'s SIGTERM reaches the process, so the line stops taking requests and the worker finishes
# the jobs in flight before it exits.
ENTRYPOINT ["node", "--import", "tsx", "src/cli.ts"]
CMD ["serve"]
