import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { createApp } from "./app.ts";
import type { Config } from "./config.ts";
import { reconcileStaff } from "./console/staff/services.ts";
import { startMailListener, type MailListener } from "./email/smtp.ts";
import { scheduleWarnings } from "./schedule/warnings.ts";
import { createServices, startServiceWorkers, type Services } from "./services.ts";
import type { StatusPage } from "./statuspage/client.ts";

export interface RunningLine extends Services {
  server: Server;
  url: string;
  /** The embedded SMTP listener, when INBOUND_SMTP_PORT is set. */
  smtp: MailListener | null;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** May be a function of the port, since PUBLIC_BASE_URL (signatures are checked against it) depends on it. */
  config: Config | ((port: number) => Config);
  redis: Redis;
  log: Logger;
  port: number;
  host?: string;
  workers: boolean;
  statusPage?: StatusPage;
  now?: () => Date;
  /** How long `stop` waits for requests in progress before it closes their connections (default STOP_GRACE_MS). */
  stopGraceMs?: number;
}

/**
 * Longer than any answer of ours takes (a webhook answers within a second or two even with Redis away, and
 * Twilio gives up after 15 s): what is still open after it is a client that stopped sending, and a stop (a
 * deploy, a restart) must not wait on it.
 */
export const STOP_GRACE_MS = 10_000;

/** Starts the HTTP server and, when asked, the follow-up workers in the same process. Port 0 picks a free port. */
export async function startLine(options: StartOptions): Promise<RunningLine> {
  // A client that sends part of a request and stops holds its socket only this long (Node's default: 5 minutes
  // for the request). The largest body we take, an inbound email of INBOUND_MAX_BYTES, fits in a minute.
  // Node checks both every connectionsCheckingInterval (30 s by default): every 5 s instead.
  const server = createServer({ headersTimeout: 15_000, requestTimeout: 60_000, connectionsCheckingInterval: 5_000 });
  server.listen(options.port, options.host ?? "0.0.0.0");
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const { port } = server.address() as AddressInfo;
  const config = typeof options.config === "function" ? options.config(port) : options.config;
  const services = createServices({ config, redis: options.redis, log: options.log, now: options.now });
  server.on("request", createApp({ services, log: options.log, statusPage: options.statusPage }));
  if (!(await readyOrNot(options.redis))) {
    options.log.warn({ redis: options.redis.status }, "Redis does not answer yet: serving from the fallbacks and the spool until it does");
  }
  // Fails fast without Redis, and then runs when Redis is back; sessions are checked against STAFF_FILE on use meanwhile.
  await reconcileStaff(services.staff, options.log);
  let smtp: MailListener | null = null;
  try {
    if (config.INBOUND_SMTP_PORT !== undefined) {
      smtp = await startMailListener({
        port: config.INBOUND_SMTP_PORT,
        host: options.host,
        accepted: [config.SUPPORT_EMAIL, ...config.INBOUND_ADDRESSES],
        maxBytes: config.INBOUND_MAX_BYTES,
        desk: services.desk,
        log: options.log,
      });
    }
  } catch (error) {
    // The mail port is taken, say: nothing half-started is left behind.
    server.close();
    await services.close();
    throw error;
  }
  const workers = options.workers ? startServiceWorkers(services, options.log) : null;
  void warnAboutSchedule(services, options.log);
  const stopIndexing = indexPartners(services.search, options.log);
  return {
    ...services,
    server,
    url: `http://127.0.0.1:${port}`,
    smtp,
    async stop() {
      stopIndexing();
      // Stop taking calls and mail first, then let workers finish what they hold, then drop the queues.
      await Promise.all([
        new Promise<void>((resolve) => {
          const grace = setTimeout(() => server.closeAllConnections(), options.stopGraceMs ?? STOP_GRACE_MS);
          server.close(() => {
            clearTimeout(grace);
            resolve();
          });
          server.closeIdleConnections();
        }),
        smtp?.close(),
      ]);
      await workers?.close();
      await services.close();
    },
  };
}

/**
 * In the background: incidents stored before partners had indexes of their own go into them (once per Redis),
 * and those of the last hour again (see IncidentSearch.indexPartners). Tried again every 30 s until it
 * succeeds; searches by partner walk every incident meanwhile, slower and never wrong. Returns a stop.
 */
function indexPartners(search: Services["search"], log: Logger): () => void {
  let retry: NodeJS.Timeout | undefined;
  let stopped = false;
  const attempt = async () => {
    try {
      const done = await search.indexPartners();
      if (done.since === null) log.info({ indexed: done.indexed }, "incidents: partner indexes built from the incidents already stored");
    } catch (err) {
      if (stopped) return;
      log.warn({ err }, "incidents: could not build the partner indexes (Redis unavailable?); trying again in 30 s");
      retry = setTimeout(() => void attempt(), 30_000).unref();
    }
  };
  void attempt();
  return () => {
    stopped = true;
    clearTimeout(retry);
  };
}

/** At start-up: gaps in the next 14 days where a level has nobody, and numbers the line cannot dial. */
async function warnAboutSchedule({ oncall, now }: Services, log: Logger): Promise<void> {
  try {
    const at = now();
    const { schedule, overrides } = await oncall.at(at);
    for (const warning of scheduleWarnings(schedule, overrides, at.getTime())) log.warn({ schedule: oncall.file ? "SCHEDULE_FILE" : "ENGINEERS" }, `on-call: ${warning}`);
  } catch (err) {
    log.warn({ err }, "on-call: could not check the schedule for gaps (Redis unavailable?)");
  }
}

/**
 * Gives Redis a moment to connect at start-up, and whether it did. Without it the line still serves, spooling
 * its writes, and becomes ready on its own when ioredis reconnects: a connection error here is not fatal
 * (Twilio does not wait for Redis; docs/architecture.md, "Nothing lost").
 */
function readyOrNot(redis: Redis, waitMs = 2000): Promise<boolean> {
  if (redis.status === "ready") return Promise.resolve(true);
  return new Promise((resolve) => {
    const settle = () => {
      clearTimeout(timer);
      redis.off("ready", settle);
      resolve(redis.status === "ready");
    };
    const timer = setTimeout(settle, waitMs);
    redis.once("ready", settle);
  });
}
