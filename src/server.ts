import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { createApp } from "./app.ts";
import type { Config } from "./config.ts";
import { scheduleWarnings } from "./schedule/warnings.ts";
import { createServices, startServiceWorkers, type Services } from "./services.ts";
import type { StatusPage } from "./statuspage/client.ts";

export interface RunningLine extends Services {
  server: Server;
  url: string;
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
}

/** Starts the HTTP server and, when asked, the follow-up workers in the same process. Port 0 picks a free port. */
export async function startLine(options: StartOptions): Promise<RunningLine> {
  const server = createServer();
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
  const workers = options.workers ? startServiceWorkers(services, options.log) : null;
  void warnAboutSchedule(services, options.log);
  return {
    ...services,
    server,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      // Stop taking calls first, then let workers finish what they hold, then drop the queues.
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await workers?.close();
      await services.close();
    },
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
