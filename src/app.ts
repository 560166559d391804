import type { IncomingMessage, ServerResponse } from "node:http";
import express, { type ErrorRequestHandler, type RequestHandler } from "express";
import helmet from "helmet";
import type { Logger } from "pino";
import { staffApi } from "./console/api.ts";
import { consoleRoutes } from "./console/routes.ts";
import { inboundMailRoutes } from "./email/http.ts";
import { staffApiGate } from "./console/staff/console.ts";
import { requestTarget } from "./line/edge.ts";
import { lineWebhooks } from "./line/router.ts";
import { requestLogger } from "./log.ts";
import { requestLog } from "./request-log.ts";
import type { Services } from "./services.ts";
import { createStatusPage, type StatusPage } from "./statuspage/client.ts";

export interface AppOptions {
  services: Services;
  log: Logger;
  statusPage?: StatusPage;
}

/**
 * The HTTP side: Twilio webhooks, staff API and console, health and metrics, as a request listener. The
 * caller owns the server. The webhooks go their own way in (line/edge.ts), the rest through Express.
 */
export function createApp({ services, log, statusPage }: AppOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { config, redis } = services;
  const page =
    statusPage ??
    createStatusPage({ baseUrl: config.STATUSPAGE_URL, onError: (err) => log.warn({ err }, "status page unavailable; greeting without notice") });
  const { metrics } = services;

  // One line per request, and a logger carrying its id for the lines logged while handling it.
  const logRequest = requestLog(log);
  const webhooks = lineWebhooks({ ...services, statusPage: page, metrics, log, releaseEmail: (id) => services.queues.releaseEmail(id) });
  const app = express();
  app.disable("x-powered-by");
  app.use(logRequest);
  app.use(absoluteFormTarget);
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
    // Whether incidents page anyone ("ok" | "off" | "failing"): said here, never a reason to be unready.
    const paging = services.paging();
    // Paused queues hold pages and emails back: said here too, and not a reason to be unready either.
    const paused = services.queues.paused();
    const ready = await Promise.race([
      redis.ping().then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1000).unref()),
    ]);
    // Not ready while Redis is away: a load balancer should prefer an instance that can store calls. The
    // spool shows writes waiting to reach Redis, whether its file takes them, and how many only memory holds;
    // paging, whether a real incident would page anyone (not a reason to refuse calls).
    res.status(ready ? 200 : 503).json({ ready, redis: ready ? "up" : "down", ...services.journal.status, paging: (await paging).state, pausedQueues: await paused });
  });
  app.get("/metrics", async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.use("/email", inboundMailRoutes({ token: config.INBOUND_EMAIL_TOKEN, maxBytes: config.INBOUND_MAX_BYTES, desk: services.desk, log }));
  // The token and its role are checked before the body is read: a stranger's body is never parsed. The only
  // body the API takes is a drill report (`drill --publish`): the nine drills/ scenarios make 28 KB, so 256 KB
  // (the console's drill form takes as much) leaves room for a suite several times larger.
  app.use("/api", secureHeaders, ...staffApiGate(services, express.json({ limit: "256kb" })), staffApi(services));
  // bull-board's UI gets a CSP of its own (set in consoleRoutes); our pages keep the strict one.
  app.use("/console", (req, res, next) => (req.path.startsWith("/queues") ? next() : secureHeaders(req, res, next)), consoleRoutes(services));
  app.use(notFound);
  app.use(errorAnswer(() => redis.status === "ready"));
  return (req, res) => {
    // Neither a path nor an absolute URL ("*", "http://[bad/x"): Express's router would answer its HTML 404 page.
    if (requestTarget(req.url ?? "") === null) return void logRequest(req, res, () => refuseTarget(res));
    const webhook = webhooks.match(req);
    if (!webhook) return void app(req, res);
    logRequest(req, res, () => void webhooks.serve(webhook, req, res, () => requestLogger(req) ?? log));
  };
}

/**
 * An absolute-form target ("POST http://host/healthz", as proxies may send, and as HTTP/1.1 servers must
 * accept). Express routes it by its path already; what we read of the URL ourselves (originalUrl, in the
 * logs) becomes its path and query (requestTarget). The webhooks' edge reads it the same way.
 */
const absoluteFormTarget: RequestHandler = (req, _res, next) => {
  // A target that is neither was refused before Express (refuseTarget).
  if (!req.url.startsWith("/")) req.originalUrl = requestTarget(req.url) ?? req.url;
  next();
};

function refuseTarget(res: ServerResponse): void {
  const body = JSON.stringify({ error: "the request target must be a path such as /healthz" });
  res.writeHead(400, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

const notFound: RequestHandler = (req, res) => {
  res.status(404).json({ error: `not found: ${req.method} ${req.path}` });
};

/**
 * The last word on errors. A client's mistake (a body that is not JSON or too large, an unsupported charset,
 * a bad % escape in the path) answers its 4xx with a short message; anything else is our bug: 500 with a
 * generic message, the error kept for the request's log line. Stack traces never leave the process.
 */
const errorAnswer =
  (redisReady: () => boolean): ErrorRequestHandler =>
  (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error); // express's own handler then closes the connection
    // Redis away or hung is not a bug of ours and not the client's: say so, and when to come back.
    if (storeUnavailable(error, redisReady())) {
      res.status(503).set("Retry-After", "5").json({ error: "the store (Redis) is not answering; calls are still taken and spooled; try again shortly" });
      return;
    }
    const { status, message } = clientError(error) ?? { status: 500, message: `internal error; logged under request id ${String(req.id)}` };
    if (status === 500) res.err = error; // logged with the request's line (request-log.ts)
    res.status(status).json({ error: message });
  };

/** ioredis' ways of saying it cannot reach Redis: a closed or unwritable stream, a timeout, a refused connection. */
function storeUnavailable(error: unknown, redisReady: boolean): boolean {
  const text = error instanceof Error ? `${error.name} ${error.message}` : "";
  return !redisReady || /Command timed out|Connection is closed|enableOfflineQueue|ECONNREFUSED|MaxRetriesPerRequest|Stream isn't writeable/i.test(text);
}

function clientError(error: unknown): { status: number; message: string } | null {
  if (error instanceof URIError) return { status: 400, message: "malformed % escape in the URL" };
  const { status, expose, type, limit, message } = (error ?? {}) as { status?: unknown; expose?: unknown; type?: unknown; limit?: unknown; message?: unknown };
  if (typeof status !== "number" || status < 400 || status >= 500) return null;
  // body-parser's errors (http-errors) say what is wrong and are marked safe to show (expose).
  if (type === "entity.too.large") return { status, message: `request body too large: at most ${String(limit)} bytes here` };
  if (type === "entity.parse.failed") return { status, message: `request body is not valid JSON: ${String(message)}` };
  return { status, message: expose === true && typeof message === "string" ? message : "bad request" };
}

