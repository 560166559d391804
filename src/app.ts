import { randomUUID } from "node:crypto";
import express from "express";
import helmet from "helmet";
import type { Logger } from "pino";
import { pinoHttp } from "pino-http";
import { staffApi } from "./console/api.ts";
import { consoleSession } from "./console/auth.ts";
import { consoleRoutes } from "./console/routes.ts";
import { lineRoutes } from "./line/router.ts";
import type { Services } from "./services.ts";
import { createStatusPage, type StatusPage } from "./statuspage/client.ts";

export interface AppOptions {
  services: Services;
  log: Logger;
  statusPage?: StatusPage;
}

/** The HTTP side: Twilio webhooks, staff API and console, health and metrics. The caller owns the server. */
export function createApp({ services, log, statusPage }: AppOptions) {
  const { config, redis } = services;
  const page =
    statusPage ??
    createStatusPage({ baseUrl: config.STATUSPAGE_URL, onError: (err) => log.warn({ err }, "status page unavailable; greeting without notice") });
  const { metrics } = services;
  const session = consoleSession(config.CONSOLE_TOKEN, { secure: config.PUBLIC_BASE_URL.startsWith("https:") });

  const app = express();
  app.disable("x-powered-by");
  app.use(
    pinoHttp({
      logger: log,
      // Lines logged while handling a request carry its id (reqId), not the whole request.
      quietReqLogger: true,
      // Twilio's own request id when it sends one, so our lines can be matched with its debugger.
      genReqId: (req) => String(req.headers["i-twilio-idempotency-token"] ?? req.headers["x-request-id"] ?? randomUUID()),
      serializers: {
        // Method and path only: query strings and bodies carry phone numbers, headers carry tokens.
        req: (req: { method: string; url: string; id: string }) => ({ id: req.id, method: req.method, path: req.url.split("?")[0] }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? "error" : res.statusCode >= 400 ? "warn" : "info"),
    }),
  );
  // Security headers for what browsers show; Twilio's webhooks (a hot path read by no browser) skip them.
  const secureHeaders = helmet({
    contentSecurityPolicy: { directives: { "script-src": ["'self'"], "style-src": ["'self'"], "img-src": ["'self'", "data:"], "form-action": ["'self'"] } },
  });
  app.get("/favicon.ico", (_req, res) => {
    res.status(204).end();
  });
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
    // spool shows writes waiting to reach Redis, whether its file takes them, and how many only memory holds.
    res.status(ready ? 200 : 503).json({ ready, redis: ready ? "up" : "down", ...services.journal.status });
  });
  app.get("/metrics", async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.use("/voice", lineRoutes({ ...services, statusPage: page, metrics, log, releaseEmail: (id) => services.queues.releaseEmail(id) }));
  app.use("/api", secureHeaders, express.json({ limit: "2mb" }), staffApi({ ...services, token: config.CONSOLE_TOKEN }));
  // bull-board's UI loads its own scripts and styles: it gets a CSP of its own, our pages keep the strict one.
  app.use("/console/queues", helmet({ contentSecurityPolicy: false }));
  app.use("/console", (req, res, next) => (req.path.startsWith("/queues") ? next() : secureHeaders(req, res, next)), consoleRoutes(services, session));
  return app;
}
