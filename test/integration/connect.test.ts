import { afterEach, describe, expect, it } from "vitest";
import type { Redis } from "ioredis";
import { loadConfig } from "../../src/config.ts";
import { isCluster } from "../../src/store/connect.ts";
import { connectRedis, connectWorkerRedis } from "../../src/store/redis.ts";
import { baseEnv } from "../helpers/line.ts";
import { freePort } from "../helpers/processes.ts";

const opened: Redis[] = [];
afterEach(() => {
  for (const redis of opened.splice(0)) redis.disconnect();
});

/** How a command fares within `ms` on a connection to a Redis that is not there. */
async function fate(redis: Redis, ms = 1500): Promise<"failed" | "waiting"> {
  opened.push(redis);
  const started = Date.now();
  const outcome = await Promise.race([redis.get("k").then(() => "answered", () => "failed"), new Promise((resolve) => setTimeout(() => resolve("waiting"), ms))]);
  if (outcome === "failed") expect(Date.now() - started).toBeLessThan(1200);
  return outcome as "failed" | "waiting";
}

describe("the connections in each mode, with Redis away", () => {
  it.each(["REDIS_CLUSTER_NODES", "REDIS_SENTINELS", "REDIS_URL"])("%s: the webhooks' connection fails at once (so the write is spooled); the workers' waits", async (variable) => {
    const [a, b] = [await freePort(), await freePort()];
    const where = variable === "REDIS_URL" ? `redis://127.0.0.1:${a}` : `127.0.0.1:${a},127.0.0.1:${b}`;
    const config = loadConfig(baseEnv("{connect}:", { [variable]: where }));
    const webhooks = connectRedis(config);
    expect(isCluster(webhooks)).toBe(variable === "REDIS_CLUSTER_NODES");
    expect(await fate(webhooks)).toBe("failed");
    expect(await fate(connectWorkerRedis(config))).toBe("waiting");
  });
});
