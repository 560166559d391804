import type { Redis, RedisOptions } from "ioredis";
import type { Logger } from "pino";
import { asTarget, connect, keyspaces, redisMode, type RedisTarget } from "./connect.ts";

/** How long calls, timelines and incidents are kept: long enough for any follow-up and audit of a drill. */
export const RETENTION_SECONDS = 90 * 24 * 3600;

/** Reconnect delays of 0.5, 1, 2, 4 s up to `maxMs`: an outage costs a few attempts a minute, a returning Redis is found within `maxMs`. */
export const reconnectBackoff = (maxMs: number) => (attempt: number) => Math.min(500 * 2 ** (attempt - 1), maxMs);

/**
 * TCP keepalive (a peer that vanished is noticed by the kernel), a connect timeout, and a short wait for a
 * closing socket to close by itself: a silent link never does, and the reconnect waits for it.
 */
const LINK_OPTIONS = { keepAlive: 5_000, connectTimeout: 5_000, disconnectTimeout: 500 } satisfies RedisOptions;

/**
 * The connection webhooks use. It fails fast: with Redis away a command errors at once (no offline queue) or
 * within a second (a hung server), so a handler can spool its writes and still answer Twilio in time. A link
 * that goes silent while connected is left by `superviseConnection`'s watchdog.
 */
export function connectRedis(target: RedisTarget | string): Redis {
  // On Cluster, a command to a master that went away is retried every 100 ms until the slot has a new master:
  // 6 tries, not 16, so a webhook spools and answers within a second or so while its replica takes over.
  // No auto-pipelining (nor on the copies made of this connection, the follow-up queues' among them): it
  // builds a pipeline for each tick's commands, copying into it every script defined on the connection
  // (BullMQ's ~50 on the queues' copy). A webhook's writes are one script already (store/journal.ts), and
  // without it a BullMQ add costs 0.45x the CPU (`tsx bench/queue-add.ts`).
  const redis = connect(
    asTarget(target),
    { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 1000, enableReadyCheck: true, ...LINK_OPTIONS, retryStrategy: reconnectBackoff(2_000) },
    { maxRedirections: 6 },
  );
  // Connection errors surface on the commands that fail (and are spooled); superviseConnection reports outages.
  redis.on("error", () => {});
  return redis;
}

/** BullMQ blocks up to 10 s on a worker's fetch (BZPOPMIN); a socket silent longer than this, with a command outstanding, is dead. */
const BLOCKING_SOCKET_TIMEOUT_MS = 15_000;

/**
 * The connection the follow-up workers use, built never to hang on a Redis that accepts and does not answer:
 * the link options above and a timeout on every command (including the ready check, so a silent server is
 * left and retried). BullMQ requires `maxRetriesPerRequest: null`, and duplicates this connection for each
 * worker's blocking fetch: a command timeout would cut those waits short, so the copies get a socket timeout
 * longer than any block instead. `superviseConnection` adds the watchdog. On Cluster and Sentinel the copies
 * are ioredis' own duplicates of the patient connection (their failover handling needs them so).
 */
export function connectWorkerRedis(target: RedisTarget | string): Redis {
  const where = asTarget(target);
  const common: RedisOptions = { ...LINK_OPTIONS, maxRetriesPerRequest: null, retryStrategy: reconnectBackoff(5_000) };
  if (redisMode(where) !== "single") {
    const redis = connect(where, common);
    redis.on("error", () => {});
    return redis;
  }
  const redis = connect(where, { ...common, commandTimeout: 5_000 });
  redis.duplicate = (override?: Partial<RedisOptions>) => {
    const copy = connect(where, { ...common, socketTimeout: BLOCKING_SOCKET_TIMEOUT_MS, ...override });
    copy.on("error", () => {});
    return copy;
  };
  // Reported once per reconnect attempt by superviseConnection, not once per error per user of the connection.
  redis.on("error", () => {});
  return redis;
}

const CONNECTION_ERROR = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EPIPE|Connection is closed|Command timed out|Socket timeout|Ready check failed|Stream isn't writeable/;

/** An error that says Redis cannot be reached (or does not answer), not that a command was wrong. */
export function isConnectionError(error: Error & { code?: string }): boolean {
  return CONNECTION_ERROR.test(`${error.code ?? ""} ${error.message}`);
}

/**
 * Watches a long-lived connection: one log line per reconnect attempt (with the reason, no stack trace), one
 * when Redis answers again, and a PING every `pingEveryMs` that must be answered within `pingTimeoutMs`. A
 * connection that stays silent (a frozen server, a half-open link TCP has not noticed yet) is dropped and
 * reconnected, so whatever waits on it gets a way back.
 */
export function superviseConnection(redis: Redis, log: Logger, { name, pingEveryMs = 5_000, pingTimeoutMs = 3_000 }: { name: string; pingEveryMs?: number; pingTimeoutMs?: number }) {
  let reason = "";
  let lost = false;
  const onError = (error: Error) => {
    reason = error.message;
  };
  const onReconnecting = (retryInMs: number) => {
    lost = true;
    log.warn({ connection: name, retryInMs, reason }, "Redis unreachable; reconnecting");
  };
  const onReady = () => {
    if (lost) log.info({ connection: name }, "Redis answers again");
    lost = false;
  };
  redis.on("error", onError).on("reconnecting", onReconnecting).on("ready", onReady);
  let probing = false;
  const timer = setInterval(() => {
    if (probing || redis.status !== "ready") return;
    probing = true;
    void answersWithin(redis, pingTimeoutMs)
      .then((answered) => {
        if (answered || redis.status !== "ready") return;
        reason = `no answer to PING within ${pingTimeoutMs} ms`;
        redis.disconnect(true);
      })
      .finally(() => (probing = false));
  }, pingEveryMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      redis.off("error", onError).off("reconnecting", onReconnecting).off("ready", onReady);
    },
  };
}

export class RedisUnreachableError extends Error {
  override name = "RedisUnreachableError";
}

/**
 * For commands that cannot do without Redis (a local drill stores its calls there): waits up to `ms` for a
 * PING to be answered, else fails with a message naming REDIS_URL (its password hidden) and the reason.
 */
export async function requireRedis(redis: Redis, url: string, ms = 3_000): Promise<void> {
  let reason = "no answer";
  const onError = (error: Error) => (reason = error.message);
  redis.on("error", onError);
  try {
    for (const deadline = Date.now() + ms; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 100))) {
      if (await answersWithin(redis, Math.max(deadline - Date.now(), 1))) return;
    }
  } finally {
    redis.off("error", onError);
  }
  const shown = new URL(url);
  if (shown.password) shown.password = "***";
  throw new RedisUnreachableError(`cannot reach Redis at REDIS_URL=${shown.href} within ${ms / 1000} s (${reason})`);
}

/** Whether Redis answers a PING within `ms`; never rejects. */
export function answersWithin(redis: Redis, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    redis.ping().then(
      () => true,
      () => false,
    ),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]).finally(() => clearTimeout(timer));
}

/** Lua's string.lower: ASCII letters only, so a key built here and one built in a script are the same key. */
const asciiLower = (text: string) => text.replace(/[A-Z]/g, (letter) => letter.toLowerCase());

/** Every key the app writes, under one prefix, so tests and drills can share a Redis without meeting. */
export function redisKeys(prefix: string) {
  return {
    call: (callSid: string) => `${prefix}call:${callSid}`,
    timeline: (callSid: string) => `${prefix}call:${callSid}:timeline`,
    calls: () => `${prefix}calls`,
    /** Calls not yet ended, by when they started: the console's "in progress", exact however many there are. */
    liveCalls: () => `${prefix}calls:live`,
    caller: (number: string) => `${prefix}caller:${number}`,
    callerGroup: (number: string) => `${prefix}caller:${number}:group`,
    pagingFailures: () => `${prefix}paging-failures`,
    roster: () => `${prefix}roster`,
    // On-call overrides (hash id → JSON), their counter, and the trail of who changed them when.
    overrides: () => `${prefix}oncall:overrides`,
    overrideSeq: () => `${prefix}oncall:override-seq`,
    overrideChanges: () => `${prefix}oncall:changes`,
    drillReports: () => `${prefix}drill-reports`,
    incident: (id: string) => `${prefix}incident:${id}`,
    incidents: () => `${prefix}incidents`,
    /** A partner's incidents by time raised, beside the main index (scripts/lib/index-partner.lua names it the same way). */
    partnerIncidents: (name: string) => `${prefix}incidents:partner:${asciiLower(name)}`,
    /** Set once every incident raised before the partner indexes existed is in them (IncidentSearch.indexPartners). */
    partnerIndexComplete: () => `${prefix}incidents:partner-index-complete`,
    bull: () => `${prefix}bull`,
    /** An inbound message as stored (JSON), by the digest of its Message-ID; SET NX: one per Message-ID. */
    mail: (digest: string) => `${prefix}mail:${digest}`,
    /** Set once the message was acted on (threaded, raised or joined), so a redelivery does nothing again. */
    mailDone: (digest: string) => `${prefix}mail:${digest}:done`,
    /** An incident's mail thread: a list of messages in order, with its append-once markers beside it. */
    thread: (id: string) => `${prefix}incident:${id}:thread`,
    threadSeen: (id: string) => `${prefix}incident:${id}:thread:seen`,
    /** Message-ID → sent at, for what we sent on an incident's thread: each send recorded once. */
    threadSent: (id: string) => `${prefix}incident:${id}:thread:sent`,
    /** Staff's private notes on an incident's case: a hash, note id → JSON; the form's id makes a resubmit a no-op. */
    caseNotes: (id: string) => `${prefix}incident:${id}:notes`,
    /** The partner's (or sender's) open urgent mail incident: repeated urgent mail joins it, paging once. */
    openUrgent: (sender: string) => `${prefix}open-urgent:${sender}`,
  };
}
export type RedisKeys = ReturnType<typeof redisKeys>;

/**
 * Every key under a prefix, a batch at a time (SCAN, so a large keyspace never blocks Redis). SCAN sees one
 * server's keys, so on a Cluster each master is scanned.
 */
export async function* keysUnder(redis: Redis, prefix: string): AsyncGenerator<string[]> {
  for (const node of keyspaces(redis)) {
    let cursor = "0";
    do {
      const [next, keys] = await node.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      cursor = next;
      if (keys.length) yield keys;
    } while (cursor !== "0");
  }
}

/** Removes every key under a prefix: how drills, benchmarks and tests clean up after themselves. */
export async function deleteByPrefix(redis: Redis, prefix: string): Promise<void> {
  for await (const keys of keysUnder(redis, prefix)) await redis.del(...keys);
}
