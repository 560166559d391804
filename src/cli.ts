#!/usr/bin/env node
import { mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Command } from "commander";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { ConfigError, loadConfig } from "./config.ts";
import type { DrillOptions } from "./drill/command.ts";
import { createLogger } from "./log.ts";
import type { Engineer } from "./call/engineers.ts";
import { maskPhone } from "./call/phone.ts";
import { startupSummary, type RosterInForce } from "./startup-summary.ts";
import { connectRedis, RedisUnreachableError, redisKeys, superviseConnection } from "./store/redis.ts";
import type { Roster } from "./store/roster.ts";

// The web app, the workers and the simulator are imported by the command that runs them: `--version`,
// `--help` and refused input answer without loading them all.
const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
const CONFIG_HELP = "\nConfiguration comes from environment variables (npm scripts also read .env): see README.md, \"Configuration\".";

const program = new Command("emergency-line")
  .description("Emergency on-call phone line and its drill simulator")
  .version(version, "-V, --version", "print the version")
  .addHelpText("after", "\nREADME.md explains each command: \"Running it\", \"Drills\" and \"Configuration\".");

program
  .command("serve")
  .description("serve the Twilio webhooks, the staff API and the console (and the workers unless RUN_WORKERS=false)")
  .addHelpText("after", CONFIG_HELP)
  .action(async () => {
    const config = loadConfigOrExit();
    const log = createLogger(config.LOG_LEVEL);
    const redis = connectRedis(config);
    const { startLine } = await import("./server.ts");
    const supervisor = superviseConnection(redis, log, { name: "line" });
    const line = await startLine({ config, redis, log, port: config.PORT, workers: config.RUN_WORKERS });
    // With a schedule file the roster is not what the line dials: nothing to reconcile.
    const roster = config.schedule ? undefined : await reconcileRoster(line.roster, redis, log);
    const summary = startupSummary(config, { process: "line", roster });
    log.info(summary.fields, summary.msg);
    log.info({ url: config.PUBLIC_BASE_URL, port: Number(new URL(line.url).port), smtpPort: line.smtp?.port ?? null, workers: config.RUN_WORKERS }, "emergency line listening");
    onShutdown(log, "shutting down", async () => {
      await line.stop();
      supervisor.stop();
      redis.disconnect();
    });
  });

program
  .command("worker")
  .description("run the follow-up workers alone (mobilise, follow-up email, case close)")
  .option("--heartbeat <file>", "touched every 10 s while the workers run and Redis answers; a container healthcheck reads its age", "var/worker.heartbeat")
  .addHelpText("after", CONFIG_HELP)
  .action(async (options: { heartbeat: string }) => {
    const config = loadConfigOrExit();
    const log = createLogger(config.LOG_LEVEL);
    const redis = connectRedis(config);
    const { createServices, startServiceWorkers } = await import("./services.ts");
    const supervisor = superviseConnection(redis, log, { name: "stores" });
    const services = createServices({ config, redis, log });
    const workers = startServiceWorkers(services, log);
    const summary = startupSummary(config, { process: "worker" });
    log.info(summary.fields, summary.msg);
    log.info("follow-up workers running");
    const heartbeat = startHeartbeat(options.heartbeat, redis, async () => workers.workers.every((worker) => worker.isRunning()) && (await redis.ping()) === "PONG");
    onShutdown(log, "finishing jobs in flight, then stopping", async () => {
      heartbeat.stop();
      await workers.close();
      await services.close();
      supervisor.stop();
      redis.disconnect();
    });
  });

program
  .command("drill")
  .description("rehearse the line with the carrier simulator: every scenario under drills/ (or the files given)")
  .argument("[paths...]", "scenario files or folders (default: drills/)")
  .option("--report <format:file>", "also write a report, FORMAT json|junit|html: --report junit:out.xml or --report junit out.xml (repeatable)", (value: string, previous: string[] = []) => [...previous, value])
  .option("--target <url>", "drive a deployed line instead of one started in-process (default: a line, Redis prefix and mail/webhook catchers of its own)")
  .option("--token <token>", "with --target or --publish: the line's CONSOLE_TOKEN")
  .option("--line-number <e164>", "the emergency number the simulated callers dial", "+15550009999")
  .option("--concurrency <n>", "load mode: callers at once (default: 10 once --calls is given)")
  .option("--calls <m>", "load mode: how many calls in all (default: 100 once --concurrency is given)")
  .option("--no-transcripts", "leave the transcripts out of the printed report")
  .option("--publish <url>", "post the report to that line's console (drill results page); needs --token")
  .option("--allow-real", "with --target: also place scenarios whose callers the line does not treat as drills (REAL calls: they page the on-call and email partners)")
  .option("--smtp <host:port>", "with --target: the deployed line's SMTP listener (INBOUND_SMTP_PORT), where scenario emails are delivered; without it they are skipped")
  .option("--mail-to <address>", "with --smtp: the address the line takes mail for (its SUPPORT_EMAIL)")
  .option("--chaos", "run each scenario once per order of its end-of-call callbacks, every webhook sent twice")
  .option("--seed <n>", "with --chaos: the seed that picks a subset of orders (printed when not given)")
  .option("--orders <all|n>", "with --chaos: every order (all, the default) or at most n per scenario")
  .addHelpText(
    "after",
    "\nExit status: 0 every expectation held, 1 one failed, 2 bad input.\nNeeds Redis (REDIS_URL, default redis://127.0.0.1:6379) and needs no .env: the drill configures its own line.\nScenarios and reports: README.md, \"Drills\" and \"Writing a scenario\".",
  )
  .action(async (paths: string[], options: DrillOptions) => {
    const { drillCommand } = await import("./drill/command.ts");
    try {
      process.exitCode = await drillCommand(paths, options);
    } catch (error) {
      if (!(error instanceof RedisUnreachableError)) throw error;
      console.error(`emergency-line drill: ${error.message}. The local drill keeps its calls there: start Redis, set REDIS_URL, or drill a deployed line with --target.`);
      process.exitCode = 2;
    }
  });

program
  .command("oncall")
  .description("who is on call (SCHEDULE_FILE or ENGINEERS, with the overrides in Redis), then the next days' shifts")
  .option("--at <iso>", "the instant, with its offset (default: now)")
  .option("--days <n>", "how many days of shifts to list", "7")
  .addHelpText("after", CONFIG_HELP)
  .action(async (options: { at?: string; days: string }) => {
    const { instantWithOffset } = await import("./schedule/override.ts");
    const at = instantWithOffset.safeParse(options.at ?? new Date().toISOString());
    const days = Number(options.days);
    if (!at.success || !Number.isInteger(days) || days < 0 || days > 90) {
      console.error(!at.success ? `--at: ${at.error.issues[0]!.message}` : "--days: a whole number from 0 to 90");
      process.exit(2);
    }
    const config = loadConfigOrExit();
    const [{ oncallListing }, { resolve }, { OnCall }, { Overrides }, { Roster }] = await Promise.all([
      import("./schedule/listing.ts"),
      import("./schedule/resolve.ts"),
      import("./store/oncall.ts"),
      import("./store/overrides.ts"),
      import("./store/roster.ts"),
    ]);
    const redis = connectRedis(config);
    const keys = redisKeys(config.REDIS_PREFIX);
    const oncall = new OnCall(new Roster(redis, keys, config.ENGINEERS ?? []), new Overrides(redis, keys), config.schedule);
    await new Promise((ready) => (redis.status === "ready" ? ready(null) : (redis.once("ready", ready), setTimeout(ready, 2000).unref())));
    const instant = Date.parse(at.data);
    try {
      const { schedule, overrides, levels } = await oncall.at(new Date(instant));
      console.log(oncallListing(schedule, overrides, levels, instant, days));
    } catch (error) {
      console.error(`cannot read the overrides from Redis (${(error as Error).message}); without them:`);
      const schedule = oncall.knownSchedule();
      console.log(oncallListing(schedule, [], resolve(schedule, [], instant), instant, days));
      process.exitCode = 1;
    } finally {
      redis.disconnect();
    }
  });

program
  .command("render-twiml")
  .description("write the TwiML of every step of the call flow to a folder, for review")
  .option("--out <dir>", "where to write", "twiml")
  .action(async (options: { out: string }) => {
    const { renderSamples } = await import("./line/samples.ts");
    mkdirSync(options.out, { recursive: true });
    for (const [file, xml] of Object.entries(renderSamples())) writeFileSync(join(options.out, file), xml);
    console.log(`wrote ${Object.keys(renderSamples()).length} files to ${options.out}/`);
  });

const staff = program.command("staff").description("console accounts in STAFF_FILE (README.md, \"Staff console\")");
staff
  .command("hash")
  .description("read a password on stdin and print its argon2 hash, for the password field of STAFF_FILE")
  .action(async () => {
    const { hashPassword } = await import("./console/staff/staff-file.ts");
    await staffCommand(async () => console.log(await hashPassword(await readPassword("Password: "))));
  });
staff
  .command("add")
  .description("append a person to STAFF_FILE, reading their password on stdin (prompted, not echoed, on a terminal)")
  .argument("<name>", "their name, as the console and the audit trail show it")
  .requiredOption("--email <email>", "their email address: what they sign in with")
  .requiredOption("--role <role>", "viewer, engineer or admin")
  .option("--file <path>", "the staff file (default: STAFF_FILE)")
  .action(async (name: string, options: { email: string; role: string; file?: string }) => {
    const { addToStaffFile } = await import("./console/staff/staff-file.ts");
    await staffCommand(async () => {
      const file = options.file ?? process.env.STAFF_FILE;
      if (!file) throw new Error("no staff file: pass --file or set STAFF_FILE");
      await addToStaffFile(file, { name, email: options.email, role: options.role }, () => readPassword(`Password for ${name}: `));
      console.log(`added ${name} <${options.email}> as ${options.role} to ${file}; restart the line to let them sign in`);
    });
  });

/** Runs a staff command; a refusal is one line on stderr and exit 2. */
async function staffCommand(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    console.error(`emergency-line staff: ${(error as Error).message}`);
    process.exitCode = 2;
  }
}

/** A password from stdin: the first line of what is piped in, or typed at a prompt without echo. */
async function readPassword(prompt: string): Promise<string> {
  const { stdin, stderr } = process;
  if (!stdin.isTTY) {
    let text = "";
    for await (const chunk of stdin) text += String(chunk);
    return text.split(/\r?\n/)[0] ?? "";
  }
  stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.setEncoding("utf8");
  stdin.resume();
  return new Promise((resolve, reject) => {
    let text = "";
    const finish = () => {
      stdin.off("data", onKey);
      stdin.setRawMode(false);
      stdin.pause();
      stderr.write("\n");
    };
    const onKey = (chunk: string) => {
      for (const key of chunk) {
        if (key === "\r" || key === "\n") return finish(), resolve(text);
        if (key === "\u0003") return finish(), reject(new Error("cancelled"));
        text = key === "\u007f" || key === "\b" ? text.slice(0, -1) : text + key;
      }
    };
    stdin.on("data", onKey);
  });
}

/**
 * Settles the roster before the summary names it. Redis being away must not keep the line from serving:
 * the line then dials the last roster it saw (ENGINEERS before any) and settles the roster once Redis is back.
 */
async function reconcileRoster(roster: Roster, redis: Redis, log: Logger): Promise<RosterInForce> {
  const names = (engineers: Engineer[]) => engineers.map((e) => e.name ?? maskPhone(e.number));
  try {
    const decided = await roster.reconcile();
    if (decided.overridden) log.warn({ was: names(decided.overridden), now: names(decided.engineers) }, `roster: ${decided.reason}`);
    else if (!decided.matchesEngineers) log.warn({ dials: names(decided.engineers), engineers: names(roster.seed) }, `roster: the stored roster differs from ENGINEERS and is used: ${decided.reason}`);
    return decided;
  } catch (error) {
    const reason = `Redis unavailable at start-up (${(error as Error).message}): dialling ENGINEERS until the stored roster can be read`;
    log.warn(`roster: ${reason}`);
    redis.once("ready", () => void reconcileRoster(roster, redis, log));
    return { engineers: roster.known(), source: "ENGINEERS", reason };
  }
}

/**
 * Touches `file` every 10 s while `healthy()` says so; the compose healthcheck fails when the file is older
 * than 30 s (or gone: a clean stop removes it), so a worker stuck or cut off from Redis shows as unhealthy.
 */
function startHeartbeat(file: string, redis: Redis, healthy: () => Promise<boolean>) {
  mkdirSync(dirname(file), { recursive: true });
  const beat = async () => {
    if (!(await healthy().catch(() => false))) return;
    const now = new Date();
    try {
      utimesSync(file, now, now);
    } catch {
      writeFileSync(file, "");
    }
  };
  // The first beat as soon as Redis answers, so a healthcheck need not wait a whole interval after start.
  if (redis.status === "ready") void beat();
  else redis.once("ready", () => void beat());
  const timer = setInterval(() => void beat(), 10_000);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      rmSync(file, { force: true });
    },
  };
}

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

// drill's `--report FORMAT FILE` becomes one word before commander reads the line (see joinReportArgs).
const argv = process.argv[2] === "drill" ? (await import("./drill/command.ts")).joinReportArgs(process.argv) : process.argv;
await program.parseAsync(argv);
