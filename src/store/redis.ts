import { Redis } from "ioredis";

/** How long calls, timelines and incidents are kept: long enough for any follow-up and audit of a drill. */
export const RETENTION_SECONDS = 90 * 24 * 3600;

/**
 * The connection webhooks use. It fails fast: with Redis away a command errors at once (no offline queue) or
 * within a second (a hung server), so a handler can spool its writes and still answer Twilio in time.
 */
export function connectRedis(url: string): Redis {
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 1000, enableReadyCheck: true });
  // Connection errors surface on the commands that fail (and are spooled); the event itself needs no report.
  redis.on("error", () => {});
  return redis;
}

/** The connection workers block on: BullMQ requires it to wait for a reconnect rather than fail. */
export function connectWorkerRedis(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  redis.on("error", () => {});
  return redis;
}

/** Every key the app writes, under one prefix, so tests and drills can share a Redis without meeting. */
export function redisKeys(prefix: string) {
  return {
    call: (callSid: string) => `${prefix}call:${callSid}`,
    timeline: (callSid: string) => `${prefix}call:${callSid}:timeline`,
    calls: () => `${prefix}calls`,
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
    bull: () => `${prefix}bull`,
  };
}
export type RedisKeys = ReturnType<typeof redisKeys>;

/** Every key under a prefix, a batch at a time (SCAN, so a large keyspace never blocks Redis). */
export async function* keysUnder(redis: Redis, prefix: string): AsyncGenerator<string[]> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    cursor = next;
    if (keys.length) yield keys;
  } while (cursor !== "0");
}

/** Removes every key under a prefix: how drills, benchmarks and tests clean up after themselves. */
export async function deleteByPrefix(redis: Redis, prefix: string): Promise<void> {
  for await (const keys of keysUnder(redis, prefix)) await redis.del(...keys);
}
