import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { httpSerializers } from "./log.ts";

/**
 * One line per request when its answer has gone out (or the client went away): method, path without the
 * query, the status code, the response time, and our error for a 500 (httpSerializers: nothing else of the
 * request is read). It replaced pino-http, which built a child logger and serialised every request even
 * with its level off: on the webhooks' hot path that was a tenth of the throughput (issue 15). Here a
 * request whose line's level is off costs one listener and a clock read; the child logger is made only when
 * a handler asks for it (requestLogger, log.ts).
 *
 * What it hangs on the request are plain fields, never a getter defined per request. An accessor is part of
 * the object's shape in V8 (its map), and a new getter per request gives each request a shape of its own;
 * measured under load, that kept every request's objects alive through two young-generation collections.
 * Promoted by the megabyte a second, they filled the old space and brought a full collection every few
 * seconds: the webhooks' latency tail (README "Benchmark").
 */
export function requestLog(log: Logger): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  return (req, res, next) => {
    const started = performance.now();
    const header = req.headers["i-twilio-idempotency-token"] ?? req.headers["x-request-id"];
    const id = typeof header === "string" && header.length > 0 ? header.slice(0, 200) : randomUUID();
    req.id = id;
    req.appLog = log;
    res.once("close", () => {
      const aborted = !res.writableFinished;
      const level = res.err || res.statusCode >= 500 ? "error" : res.statusCode >= 400 || aborted ? "warn" : "info";
      if (!log.isLevelEnabled(level)) return;
      log[level](
        {
          reqId: id,
          req: httpSerializers.req({ id, method: req.method ?? "", url: (req as { originalUrl?: string }).originalUrl ?? req.url ?? "" }),
          res: httpSerializers.res(res),
          responseTime: Math.round(performance.now() - started),
          // Serialised (masked, bounded) by the logger's own `err` serializer (log.ts).
          ...(res.err !== undefined && { err: res.err }),
        },
        aborted ? "request aborted" : res.err ? "request errored" : "request completed",
      );
    });
    next();
  };
}
