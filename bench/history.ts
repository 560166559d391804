// Stored history for the bench: copies of real sessions, timelines and incidents (DUMP/RESTORE of ones the
// line wrote), under new ids and in the indexes, so a later run shows whether a webhook's cost grows with
// how much the line already holds.
import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";

const BATCH = 2_000;

/** How many of each the prefix holds. */
export async function storedCounts(redis: Redis, prefix: string): Promise<{ calls: number; incidents: number }> {
  const [calls, incidents] = await Promise.all([redis.zcard(`${prefix}calls`), redis.zcard(`${prefix}incidents`)]);
  return { calls, incidents };
}

/** Adds copies until the prefix holds at least `target` call sessions and `target` incidents. */
export async function fillHistory(redis: Redis, prefix: string, target: number): Promise<void> {
  const [templateCall] = await redis.zrevrange(`${prefix}calls`, 0, 0);
  const [templateIncident] = await redis.zrevrange(`${prefix}incidents`, 0, 0);
  if (!templateCall || !templateIncident) throw new Error("no session or incident to copy: run some calls first");
  const [call, timeline, incident] = await Promise.all([
    redis.dumpBuffer(`${prefix}call:${templateCall}`),
    redis.dumpBuffer(`${prefix}call:${templateCall}:timeline`),
    redis.dumpBuffer(`${prefix}incident:${templateIncident}`),
  ]);
  const ttl = 90 * 24 * 3600 * 1000;
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
      if (call) pipeline.restore(`${prefix}call:${sid}`, ttl, call);
      if (timeline) pipeline.restore(`${prefix}call:${sid}:timeline`, ttl, timeline);
      if (incident) pipeline.restore(`${prefix}incident:${id}`, ttl, incident);
      pipeline.zadd(`${prefix}calls`, at, sid).zadd(`${prefix}incidents`, at, id);
    }
    await pipeline.exec();
  }
}
