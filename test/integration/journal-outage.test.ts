import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { isUnavailable } from "../../src/store/connect.ts";
import { Journal } from "../../src/store/journal.ts";
import { connectRedis, redisKeys } from "../../src/store/redis.ts";
import { Spool } from "../../src/store/spool.ts";
import { raiseOp, type WriteOp } from "../../src/store/write-ops.ts";
import { ownRedis } from "../helpers/processes.ts";
import { waitFor } from "../helpers/receivers.ts";

// A server of this file's own: pausing it must not stall the other test files.
let server: Awaited<ReturnType<typeof ownRedis>>;
const dir = mkdtempSync(join(tmpdir(), "el-journal-outage-"));
beforeAll(async () => {
  server = await ownRedis();
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

it("keeps a spooled write Redis could not take while it still looked up, and replays it once Redis answers", async () => {
  // A Cluster whose master fails over stays `ready`, as a connection to a hung server does: only the error
  // tells an outage from a refusal. Here the server holds every write for 2.5 s; the 1 s timeout fires.
  const control = new Redis(server.url);
  const redis = connectRedis(server.url);
  await waitFor(() => redis.status === "ready", "the connection");
  const callSid = `CA${"7".repeat(32)}`;
  const at = new Date();
  const file = join(dir, "spool.jsonl");
  const ops: WriteOp[] = [
    { op: "hash", callSid, setnx: { meta: JSON.stringify({ callSid }), stage: "greeting" }, set: {}, indexAt: at.getTime() },
    { op: "hash", callSid, set: { stage: "voicemail" }, setnx: {} },
    raiseOp(callSid, "voicemail", at, 0),
  ];
  for (const op of ops) appendFileSync(file, `${JSON.stringify(op)}\n`);
  await control.call("CLIENT", "PAUSE", "2500", "WRITE");
  const raised: string[] = [];
  const keys = redisKeys("outage:");
  const journal = new Journal(
    redis,
    keys,
    new Spool(file),
    {
      onHangup: () => ({ outcome: "abandoned", emailDelayMs: 0 }),
      incidentRaised: async ({ incidentId }) => void raised.push(incidentId),
      transcriptionStored: async () => {},
    },
    pino({ level: "silent" }),
  );
  try {
    await journal.drain(); // times out against the paused server
    expect(redis.status).toBe("ready");
    expect(journal.backlog).toBe(ops.length);
    await waitFor(() => journal.backlog === 0, "the replay once the server answers", 8000);
    expect(await control.hgetall(keys.call(callSid))).toMatchObject({ stage: "voicemail", outcome: "voicemail" });
    expect(raised).toHaveLength(1);
  } finally {
    journal.close();
    redis.disconnect();
    control.disconnect();
  }
});

it("tells an outage from a refusal by the error", async () => {
  const redis = new Redis(server.url);
  try {
    await redis.set("outage:string", "x");
    const refusal = await redis.hset("outage:string", "field", "x").catch((error: unknown) => error);
    expect(isUnavailable(refusal)).toBe(false); // WRONGTYPE: replaying it would be refused again
    const nobody = connectRedis("redis://127.0.0.1:1");
    const unreachable = await nobody.ping().catch((error: unknown) => error);
    nobody.disconnect();
    expect(isUnavailable(unreachable)).toBe(true);
    expect(isUnavailable(new TypeError("a bug of ours"))).toBe(false);
  } finally {
    redis.disconnect();
  }
});
