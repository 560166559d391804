// `tsx bench/queue-add.ts`: what one BullMQ add costs the line's process, on a connection with ioredis'
// auto-pipelining and on one without, alternating, in one run. It is why the line's connections have it off
// (src/store/redis.ts): each tick's commands become a pipeline, which copies into itself every script defined
// on the connection (BullMQ's ~50 on the queues' copy).
import { randomBytes } from "node:crypto";
import { Queue } from "bullmq";
import { Redis } from "ioredis";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const PAIRS = 3000;

async function cpuPerAdd(autoPipelining: boolean): Promise<number> {
  const connection = new Redis(REDIS_URL, { enableAutoPipelining: autoPipelining, maxRetriesPerRequest: 1 });
  const queue = new Queue("bench-add", { connection, prefix: `bench-add-${randomBytes(4).toString("hex")}` });
  try {
    // Warm-up: V8 optimises the path and BullMQ loads its scripts.
    for (let i = 0; i < 500; i++) await queue.add("job", { i }, { jobId: `warm-${i}` });
    const before = process.cpuUsage();
    // A call's two adds, as the follow-up makes them: at once, one delayed.
    for (let i = 0; i < PAIRS; i++) await Promise.all([queue.add("job", { i }, { jobId: `now-${i}` }), queue.add("job", { i }, { jobId: `later-${i}`, delay: 60_000 })]);
    const used = process.cpuUsage(before);
    return (used.user + used.system) / (PAIRS * 2);
  } finally {
    await queue.obliterate({ force: true });
    await queue.close();
    connection.disconnect();
  }
}

for (let round = 1; round <= 2; round++) {
  const on = await cpuPerAdd(true);
  const off = await cpuPerAdd(false);
  console.log(`round ${round}: ${on.toFixed(0)} µs CPU per add with auto-pipelining, ${off.toFixed(0)} µs without (${(off / on).toFixed(2)}x)`);
}
