FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY src ./src
COPY tsconfig.json ./
RUN mkdir -p /app/var && chown node /app/var
USER node
ENV NODE_ENV=production
EXPOSE 3000
ENTRYPOINT ["npx", "tsx", "src/cli.ts"]
CMD ["serve"]
