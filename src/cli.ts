#!/usr/bin/env node
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import type { Logger } from "pino";
import { ConfigError, loadConfig } from "./config.ts";
import { drillCommand, type DrillOptions } from "./drill/command.ts";
import { renderSamples } from "./line/samples.ts";
import { createLogger } from "./log.ts";
import { connectRedis, RedisUnreachableError, superviseConnection } from "./store/redis.ts";
import { startLine } from "./server.ts";
import { createServices, startServiceWorkers } from "./services.ts";

const program = new Command("emergency-line").description("Emergency on-call phone line and its drill simulator");

program
  .command("serve")
  .description("serve the Twilio webhooks, the staff API and the console")
  .action(async () => {
    const config = loadConfigOrExit();
    const log = createLogger(config.LOG_LEVEL);
    const redis = connectRedis(config.REDIS_URL);
    const supervisor = superviseConnection(redis, log, { name: "line" });
    const line = await startLine({ config, redis, log, port: config.PORT, workers: config.RUN_WORKERS });
    log.info({ url: config.PUBLIC_BASE_URL, port: Number(new URL(line.url).port), workers: config.RUN_WORKERS }, "emergency line listening");
    onShutdown(log, "shutting down", async () => {
      await line.stop();
      supervisor.stop();
      redis.disconnect();
    });
  });

program
  .command("worker")
  .description("run the follow-up workers alone (mobilise, follow-up email, case close)")
  .action(() => {
    const config = loadConfigOrExit();
    const log = createLogger(config.LOG_LEVEL);
    const redis = connectRedis(config.REDIS_URL);
    const supervisor = superviseConnection(redis, log, { name: "stores" });
    const services = createServices({ config, redis, log });
    const workers = startServiceWorkers(services, log);
    log.info("follow-up workers running");
    onShutdown(log, "finishing jobs in flight, then stopping", async () => {
      await workers.close();
      await services.close();
      supervisor.stop();
      redis.disconnect();
    });
  });

program
  .command("drill")
  .description("rehearse the line with the carrier simulator: every scenario under drills/ (or the files given)")
  .argument("[paths...]", "scenario files or folders", [])
  .option("--report <format-and-file...>", "also write a report: json|junit|html FILE (repeatable)")
  .option("--target <url>", "drive a deployed line instead of one started in-process")
  .option("--token <token>", "with --target: the line's CONSOLE_TOKEN")
  .option("--line-number <e164>", "the emergency number the simulated callers dial", "+15550009999")
  .option("--concurrency <n>", "load mode: callers at once")
  .option("--calls <m>", "load mode: how many calls in all")
  .option("--no-transcripts", "leave the transcripts out of the printed report")
  .option("--publish <url>", "post the report to that line's console (drill results page); needs --token")
  .action(async (paths: string[], options: DrillOptions) => {
    try {
      process.exitCode = await drillCommand(paths, options);
    } catch (error) {
      if (!(error instanceof RedisUnreachableError)) throw error;
      console.error(`emergency-line drill: ${error.message}. The local drill keeps its calls there: start Redis, set REDIS_URL, or drill a deployed line with --target.`);
      process.exitCode = 2;
    }
  });

program
  .command("render-twiml")
  .description("write the TwiML of every step of the call flow to a folder, for review")
  .option("--out <dir>", "where to write", "twiml")
  .action((options: { out: string }) => {
    mkdirSync(options.out, { recursive: true });
    for (const [file, xml] of Object.entries(renderSamples())) writeFileSync(join(options.out, file), xml);
    console.log(`wrote ${Object.keys(renderSamples()).length} files to ${options.out}/`);
  });

/** On SIGTERM or SIGINT: say so, stop cleanly, exit 0. */
function onShutdown(log: Logger, message: string, stop: () => Promise<void>) {
  const shutdown = async (signal: string) => {
    log.info({ signal }, message);
    await stop();
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
}

function loadConfigOrExit() {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(78);
    }
    throw error;
  }
}

await program.parseAsync();
