import { readFileSync } from "node:fs";
import { z } from "zod";
import { engineersSchema } from "./call/engineers.ts";
import { partnerDirectorySchema, type PartnerDirectory } from "./call/partners.ts";
import { e164 } from "./call/phone.ts";
import { loadSchedule, ScheduleError, type Schedule } from "./schedule/schema.ts";

const csv = (value: string | undefined) =>
  (value ?? "")
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);

const optionalUrl = z.url().optional();

/** `host:port` (an IPv6 address in brackets), as ioredis takes Cluster seeds and Sentinels. */
const hostPort = z
  .string()
  .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, "host:port")
  .transform((value) => {
    const at = value.lastIndexOf(":");
    return { host: value.slice(0, at).replace(/^\[|\]$/g, ""), port: Number(value.slice(at + 1)) };
  })
  .refine(({ port }) => port >= 1 && port <= 65535, "a port from 1 to 65535");
const hostPorts = z
  .string()
  .optional()
  .transform((value) => csv(value))
  .pipe(z.array(hostPort));

/**
 * A Redis Cluster hashes a key by its hash tag, the text inside its first `{…}`, when it has one: keys sharing
 * a tag share a slot, which every script, MULTI and BullMQ queue needs of its keys. A prefix that is one tag,
 * `{el}:`, puts every key of the line in one slot.
 */
const HASH_TAG = /\{[^{}]+\}/;

/** The one place the environment is read (docs/architecture.md, "Configuration"). */
const envSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    PUBLIC_BASE_URL: z.url().optional(),
    TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-fA-F]{32}$/, "an Account SID: AC followed by 32 hex digits"),
    TWILIO_AUTH_TOKEN: z.string().min(8, "the account's auth token"),
    // Accepted as well while the account's auth token is being rotated (Twilio's secondary token).
    TWILIO_AUTH_TOKEN_SECONDARY: z.string().min(8, "the account's secondary auth token").optional(),
    REDIS_URL: z.url().default("redis://127.0.0.1:6379"),
    REDIS_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_.-]*(\{[A-Za-z0-9_.-]+\})?[A-Za-z0-9_.-]*:$/, "letters, digits, _ . -, at most one {hash tag}, and a trailing colon, e.g. el: or {el}:")
      .default("el:"),
    // Redis Cluster seeds (REDIS_URL is then ignored); else Sentinels and the name of the master they watch.
    REDIS_CLUSTER_NODES: hostPorts,
    REDIS_SENTINELS: hostPorts,
    REDIS_SENTINEL_MASTER: z.string().regex(/^[A-Za-z0-9_.-]+$/, "the master's name in the Sentinels' configuration").default("mymaster"),
    // The simplest schedule: three fixed levels. Not needed when SCHEDULE_FILE says who is on call.
    ENGINEERS: engineersSchema.optional(),
    SCHEDULE_FILE: z.string().optional(),
    RING_TIMEOUT_SECONDS: z.coerce.number().int().min(5).max(60).default(20),
    PARTNERS_FILE: z.string().optional(),
    DRILL_CALLERS: z
      .string()
      .optional()
      .transform((value) => csv(value))
      .pipe(z.array(e164)),
    STATUSPAGE_URL: optionalUrl,
    MOBILISE_WEBHOOK_URL: optionalUrl,
    MOBILISE_FORMAT: z.enum(["json", "pagerduty"]).default("json"),
    PAGERDUTY_ROUTING_KEY: z.string().optional(),
    MOBILISE_DRILL_WEBHOOK_URL: optionalUrl,
    CASE_HOLD_HOURS: z.coerce.number().positive().default(72),
    // How long a voicemail's follow-up email waits for Twilio's transcription (which may carry the contact).
    TRANSCRIPTION_WAIT_SECONDS: z.coerce.number().min(0).max(3600).default(300),
    FOLLOWUP_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
    FOLLOWUP_RETRY_DELAY_MS: z.coerce.number().int().min(1).default(5_000),
    MISUSE_CALLS_PER_DAY: z.coerce.number().int().positive().default(5),
    // Repeated calls from one number within this many minutes of the first page under its incident; 0: never grouped.
    MISUSE_GROUP_MINUTES: z.coerce.number().min(0).max(1440).default(30),
    SMTP_URL: z.url().default("smtp://127.0.0.1:1025"),
    FOLLOWUP_FROM: z.string().default("Emergency line <oncall@example.com>"),
    SUPPORT_EMAIL: z.email().default("support@example.com"),
    CONSOLE_TOKEN: z.string({ error: "required: the bearer token staff use for /api and /console" }).min(16, "at least 16 characters"),
    RUN_WORKERS: z.enum(["true", "false"], { error: "true or false" }).default("true").transform((value) => value === "true"),
    // Where writes wait while Redis is unreachable; each instance needs its own, on a disk that survives restarts.
    SPOOL_FILE: z.string().min(1).optional(),
    // Each webhook answers within this, well inside Twilio's 15 s: past it the caller is held and the request redone.
    WEBHOOK_DEADLINE_MS: z.coerce.number().int().min(100).max(12_000).default(6_000),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  })
  .superRefine((env, ctx) => {
    if (env.MOBILISE_FORMAT === "pagerduty" && !env.PAGERDUTY_ROUTING_KEY) {
      ctx.addIssue({ code: "custom", path: ["PAGERDUTY_ROUTING_KEY"], message: "required when MOBILISE_FORMAT=pagerduty" });
    }
    if (env.REDIS_CLUSTER_NODES.length && !HASH_TAG.test(env.REDIS_PREFIX)) {
      const message = `on Redis Cluster (REDIS_CLUSTER_NODES) the prefix must be a hash tag, e.g. {${env.REDIS_PREFIX.replace(/:$/, "")}}:, so each script, transaction and queue stays in one slot`;
      ctx.addIssue({ code: "custom", path: ["REDIS_PREFIX"], message });
    }
  });

/** Every variable the configuration reads, for `.env.example` and its test. */
export const CONFIG_VARIABLES = Object.keys(envSchema.shape);

export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * The values `.env.example` ships with all start with "change-me": a copied example must not start a line
 * that signs with a made-up token or dials made-up numbers, so such a value is refused by name.
 */
const PLACEHOLDER = /^change-me/i;

export function loadConfig(env: Record<string, string | undefined> = process.env) {
  // Empty strings come from compose files and shells alike; they mean "not set".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ""));
  const placeholders = CONFIG_VARIABLES.filter((name) => PLACEHOLDER.test(cleaned[name] ?? ""));
  const parsed = envSchema.safeParse(cleaned);
  // Checked here rather than in the schema, so it is reported along with every other problem.
  const nobody = !cleaned.ENGINEERS && !cleaned.SCHEDULE_FILE;
  if (!parsed.success || placeholders.length || nobody) {
    const lines = [
      ...(nobody ? ["  ENGINEERS: required unless SCHEDULE_FILE is set: the on-call order, e.g. Ada=+15550001001,+15550001002"] : []),
      ...placeholders.map((name) => `  ${name}: looks like the placeholder from .env.example: set the real value`),
      // A placeholder's own format errors would only repeat what the line above says.
      ...(parsed.error?.issues ?? [])
        .filter((issue) => !placeholders.includes(String(issue.path[0])))
        .map((issue) => `  ${issue.path.join(".") || "environment"}: ${issue.message}`),
    ];
    throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
  }
  const values = parsed.data;
  return {
    ...values,
    PUBLIC_BASE_URL: (values.PUBLIC_BASE_URL ?? `http://localhost:${values.PORT}`).replace(/\/+$/, ""),
    SPOOL_FILE: values.SPOOL_FILE ?? `var/spool-${values.REDIS_PREFIX.replace(/:$/, "").replace(/[{}]/g, "")}.jsonl`,
    partners: loadPartners(values.PARTNERS_FILE),
    schedule: loadScheduleFile(values.SCHEDULE_FILE),
  };
}

function loadScheduleFile(file: string | undefined): Schedule | null {
  if (!file) return null;
  try {
    return loadSchedule(file);
  } catch (error) {
    if (!(error instanceof ScheduleError)) throw error;
    throw new ConfigError(`invalid configuration:\n${error.message.split("\n").map((line) => `  SCHEDULE_FILE: ${line}`).join("\n")}`);
  }
}

function loadPartners(file: string | undefined): PartnerDirectory {
  if (!file) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ConfigError(`invalid configuration:\n  PARTNERS_FILE: cannot read ${file}: ${(error as Error).message}`);
  }
  const parsed = partnerDirectorySchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  PARTNERS_FILE (${file}) at ${issue.path.join(".") || "top level"}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
  }
  return parsed.data;
}

export type Config = ReturnType<typeof loadConfig>;
