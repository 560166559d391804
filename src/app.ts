import express from "express";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Config } from "./config.ts";
import { staffApi } from "./console/api.ts";
import { FollowupQueues } from "./followup/queues.ts";
import { Incidents } from "./incidents/incidents.ts";
import { Timeline } from "./incidents/timeline.ts";
import { lineRoutes } from "./line/routes.ts";
import { CallSessions } from "./line/sessions.ts";
import { redisKeys } from "./redis.ts";
import { createStatusPage, type StatusPage } from "./statuspage/client.ts";

export interface AppOptions {
  config: Config;
  redis: Redis;
  log: Logger;
  statusPage?: StatusPage;
  now?: () => Date;
}

/** Wires the capabilities together; the caller owns the Redis connection and the HTTP server. */
export function createApp({ config, redis, log, statusPage, now = () => new Date() }: AppOptions) {
  const keys = redisKeys(config.REDIS_PREFIX);
  const sessions = new CallSessions(redis, keys);
  const timeline = new Timeline(redis, keys);
  const queues = new FollowupQueues(redis, keys.bull());
  const incidents = new Incidents(redis, keys, sessions, timeline, queues, now);
  const page =
    statusPage ??
    createStatusPage({ baseUrl: config.STATUSPAGE_URL, onError: (err) => log.warn({ err }, "status page unavailable; greeting without notice") });

  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", true);
  app.get("/healthz", (_req, res) => {
    res.json({ ok: true });
  });
  app.get("/readyz", async (_req, res) => {
    const ready = await Promise.race([
      redis.ping().then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1000).unref()),
    ]);
    res.status(ready ? 200 : 503).json({ ready, redis: ready ? "up" : "down" });
  });
  app.use("/voice", lineRoutes({ config, sessions, timeline, incidents, statusPage: page, log, now }));
  app.use("/api", express.json({ limit: "64kb" }), staffApi({ token: config.CONSOLE_TOKEN, sessions, timeline, incidents }));

  return { app, sessions, timeline, incidents, queues, keys, close: () => queues.close() };
}
export type LineApp = ReturnType<typeof createApp>;
