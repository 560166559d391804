import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CALL_KINDS, startTwoLines } from "../helpers/calls-on-two-lines.ts";
import { startRedisCluster, type RedisClusterHandle } from "../helpers/redis-cluster.ts";
import { keysUnder } from "../../src/store/redis.ts";

let cluster: RedisClusterHandle;
let two: Awaited<ReturnType<typeof startTwoLines>>;

beforeAll(async () => {
  cluster = await startRedisCluster();
  two = await startTwoLines("cluster", { REDIS_CLUSTER_NODES: cluster.seeds });
}, 40_000);
afterAll(async () => {
  await two?.stop();
  await cluster?.stop();
}, 20_000);

describe("the line on a Redis Cluster of three masters with a replica each", () => {
  it("keeps every key of the line, its queues included, in the one slot of the prefix's hash tag", async () => {
    const callSid = await two.call("connected", 0);
    await two.expectEachOnce([callSid]);
    const slot = await cluster.slotOf(two.prefix);
    const keys: string[] = [];
    // keysUnder scans every master: a key in another slot would be found on another node.
    for await (const batch of keysUnder(two.lines[0]!.redis, two.prefix)) keys.push(...batch);
    expect(keys).toContain(`${two.prefix}call:${callSid}`);
    expect(keys.some((key) => key.startsWith(`${two.prefix}bull:mobilise:`))).toBe(true);
    expect(new Set(await Promise.all(keys.map((key) => cluster.slotOf(key))))).toEqual(new Set([slot]));
  });

  it("runs whole calls through two instances and their workers: one incident, one page, one email each", async () => {
    const callSids = await Promise.all(Array.from({ length: 6 }, (_, i) => two.call(CALL_KINDS[i % 3]!, 20)));
    await two.expectEachOnce(callSids);
  });

  it("loses nothing and repeats nothing when the master holding the line's slot dies while calls are in progress", async () => {
    const slot = await cluster.slotOf(two.prefix);
    const master = (await cluster.masterOf(slot))!;
    let promoted: Awaited<ReturnType<RedisClusterHandle["waitForNewMaster"]>> | undefined;
    const callSids = await two.callsDuring(async () => {
      await cluster.kill(master.port);
      promoted = await cluster.waitForNewMaster(slot, master.port);
    });
    expect(promoted!.port).not.toBe(master.port);
    // Answered inside the webhooks' own deadline (6 s), far inside Twilio's 15 s: about 2 s here.
    expect(two.answered.slowestMs).toBeLessThan(6000);
    await two.expectEachOnce(callSids, 30_000);
  }, 60_000);
});
