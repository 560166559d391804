import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** A key prefix of this test file's own, so files can run in parallel against one Redis. */
export function uniquePrefix(name: string): string {
  return `test-${name}-${randomBytes(4).toString("hex")}:`;
}

export function testRedis(): Redis {
  return new Redis(REDIS_URL, { maxRetriesPerRequest: null });
}

import { keysUnder } from "../../src/store/redis.ts";

export { deleteByPrefix as deleteKeys } from "../../src/store/redis.ts";

export async function countKeys(redis: Redis, prefix: string): Promise<number> {
  let count = 0;
  for await (const keys of keysUnder(redis, prefix)) count += keys.length;
  return count;
}
