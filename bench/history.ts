// Stored history for the bench: copies of real sessions, timelines and incidents (DUMP/RESTORE of ones the
// line wrote), under new ids and in the indexes, so a later run shows whether a webhook's cost grows with
// how much the line already holds.
import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { redisKeys, RETENTION_SECONDS } from "../src/store/redis.ts";
import { forkBench } from "./servers.ts";

const BATCH = 2_000;

/** How many of each the prefix holds. */
export async function storedCounts(redis: Redis, prefix: string): Promise<{ calls: number; incidents: number }> {
  const keys = redisKeys(prefix);
  const [calls, incidents] = await Promise.all([redis.zcard(keys.calls()), redis.zcard(keys.incidents())]);
  return { calls, incidents };
}

/** Adds copies until the prefix holds at least `target` call sessions and `target` incidents. */
export async function fillHistory(redis: Redis, prefix: string, target: number): Promise<void> {
  const keys = redisKeys(prefix);
  const [templateCall] = await redis.zrevrange(keys.calls(), 0, 0);
  const [templateIncident] = await redis.zrevrange(keys.incidents(), 0, 0);
  if (!templateCall || !templateIncident) throw new Error("no session or incident to copy: run some calls first");
  const [call, timeline, incident] = await Promise.all([
    redis.dumpBuffer(keys.call(templateCall)),
    redis.dumpBuffer(keys.timeline(templateCall)),
    redis.dumpBuffer(keys.incident(templateIncident)),
  ]);
  const ttl = RETENTION_SECONDS * 1000;
  const now = Date.now();
  for (;;) {
    const { calls, incidents } = await storedCounts(redis, prefix);
    const missing = Math.max(target - calls, target - incidents);
    if (missing <= 0) return;
    const pipeline = redis.pipeline();
    for (let i = 0; i < Math.min(missing, BATCH); i++) {
      const sid = `CA${randomBytes(16).toString("hex")}`;
      const id = `INC-H${randomBytes(6).toString("hex")}`;
      // Spread over the last 30 days, as a line's history would be.
      const at = now - Math.floor(Math.random() * 30 * 24 * 3600 * 1000);
      if (call) pipeline.restore(keys.call(sid), ttl, call);
      if (timeline) pipeline.restore(keys.timeline(sid), ttl, timeline);
      if (incident) pipeline.restore(keys.incident(id), ttl, incident);
      pipeline.zadd(keys.calls(), at, sid).zadd(keys.incidents(), at, id);
    }
    await pipeline.exec();
  }
}

/**
 * `fillHistory` in a process of its own: the copies' garbage (a hundred thousand ids and pipelines) stays out
 * of the load generator's heap, where its collection would show as the line's latency.
 */
export async function fillHistoryElsewhere(redisUrl: string, prefix: string, target: number): Promise<void> {
  const child = forkBench(import.meta.url, ["fill", redisUrl, prefix, String(target)]);
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`filling the history exited with ${code}`);
}

if (process.argv[2] === "fill" && process.argv[1] === new URL(import.meta.url).pathname) {
  const { Redis } = await import("ioredis");
  const [, , , url, prefix, target] = process.argv;
  const redis = new Redis(url!);
  await fillHistory(redis, prefix!, Number(target));
  redis.disconnect();
}
