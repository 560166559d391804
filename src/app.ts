import express from "express";
import type { Logger } from "pino";
import { staffApi } from "./console/api.ts";
import { lineRoutes } from "./line/routes.ts";
import type { Services } from "./services.ts";
import { createStatusPage, type StatusPage } from "./statuspage/client.ts";

export interface AppOptions {
  services: Services;
  log: Logger;
  statusPage?: StatusPage;
}

/** The HTTP side: Twilio webhooks, staff API, health. The caller owns the server and the connections. */
export function createApp({ services, log, statusPage }: AppOptions) {
  const { config, redis } = services;
  const page =
    statusPage ??
    createStatusPage({ baseUrl: config.STATUSPAGE_URL, onError: (err) => log.warn({ err }, "status page unavailable; greeting without notice") });

  const app = express();
  app.disable("x-powered-by");
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
    // Not ready while Redis is away: a load balancer should prefer an instance that can store calls. The
    // spool backlog shows writes waiting to reach Redis.
    res.status(ready ? 200 : 503).json({ ready, redis: ready ? "up" : "down", spooled: services.journal.backlog });
  });
  app.use("/voice", lineRoutes({ ...services, statusPage: page, log }));
  app.use("/api", express.json({ limit: "64kb" }), staffApi({ ...services, token: config.CONSOLE_TOKEN }));
  return app;
}
