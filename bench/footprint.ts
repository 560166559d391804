// What one call session and one incident cost in Redis: MEMORY USAGE of their keys, plus their share of
// the indexes, averaged over a sample of what the line stored during the bench.
import type { Redis } from "ioredis";
import { redisKeys } from "../src/store/redis.ts";

const SAMPLE = 200;

async function bytes(redis: Redis, key: string): Promise<number> {
  return Number((await redis.call("MEMORY", "USAGE", key, "SAMPLES", "0")) ?? 0);
}

async function perEntry(redis: Redis, index: string): Promise<number> {
  const [total, count] = await Promise.all([bytes(redis, index), redis.zcard(index)]);
  return count ? total / count : 0;
}

export async function footprint(redis: Redis, prefix: string): Promise<{ perSession: number; perIncident: number }> {
  const keys = redisKeys(prefix);
  const calls = await redis.zrevrange(keys.calls(), 0, SAMPLE - 1);
  const incidents = await redis.zrevrange(keys.incidents(), 0, SAMPLE - 1);
  const sessionBytes = await Promise.all(calls.map(async (sid) => (await bytes(redis, keys.call(sid))) + (await bytes(redis, keys.timeline(sid)))));
  const incidentBytes = await Promise.all(incidents.map((id) => bytes(redis, keys.incident(id))));
  const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0);
  return {
    perSession: mean(sessionBytes) + (await perEntry(redis, keys.calls())),
    perIncident: mean(incidentBytes) + (await perEntry(redis, keys.incidents())),
  };
}
