import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CALL_KINDS, startTwoLines } from "../helpers/calls-on-two-lines.ts";
import { startRedisSentinel, type RedisSentinelHandle } from "../helpers/redis-cluster.ts";

let sentinel: RedisSentinelHandle;
let two: Awaited<ReturnType<typeof startTwoLines>>;

beforeAll(async () => {
  sentinel = await startRedisSentinel();
  two = await startTwoLines("sentinel", { REDIS_SENTINELS: sentinel.sentinels, REDIS_SENTINEL_MASTER: sentinel.name });
}, 40_000);
afterAll(async () => {
  await two?.stop();
  await sentinel?.stop();
}, 20_000);

describe("the line on Redis behind three Sentinels", () => {
  it("finds the master through the Sentinels and runs whole calls: one incident, one page, one email each", async () => {
    const callSids = await Promise.all(CALL_KINDS.map((kind) => two.call(kind, 20)));
    await two.expectEachOnce(callSids);
    expect(await two.lines[0]!.redis.info("server")).toContain(`tcp_port:${sentinel.ports.master}\r`);
  });

  it("loses nothing and repeats nothing when the Sentinels fail over to the replica while calls are in progress", async () => {
    const callSids = await two.callsDuring(() => sentinel.failover(), { callers: 3, pauseMs: 100, startAfterMs: 500 });
    await two.expectEachOnce(callSids, 30_000);
    expect(two.answered.slowestMs).toBeLessThan(6000);
    // Both instances now write to the former replica, which the Sentinels name the master.
    expect(await sentinel.masterPort()).toBe(sentinel.ports.replica);
    for (const { redis } of two.lines) expect(await redis.info("server")).toContain(`tcp_port:${sentinel.ports.replica}\r`);
  }, 60_000);
});
