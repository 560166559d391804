import { appendFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, expect, it } from "vitest";
import { timeline as events } from "../../src/call/timeline-events.ts";
import { Journal } from "../../src/store/journal.ts";
import { Spool } from "../../src/store/spool.ts";
import { raiseOp, type WriteOp } from "../../src/store/write-ops.ts";
import { redisKeys } from "../../src/store/redis.ts";
import { waitFor } from "../../src/simulator/wait.ts";
import { deleteKeys, testRedis, uniquePrefix } from "../helpers/redis.ts";

const redis = testRedis();
const prefix = uniquePrefix("journal");
afterAll(async () => {
  await deleteKeys(redis, prefix);
  redis.disconnect();
});

it("replays a spool left by a crashed process, in order and once, ignoring a torn last line", async () => {
  const file = join(mkdtempSync(join(tmpdir(), "el-journal-")), "spool.jsonl");
  const callSid = `CA${"9".repeat(32)}`;
  const at = new Date("2026-11-24T10:00:00Z");
  const ops: WriteOp[] = [
    { op: "hash", callSid, setnx: { meta: JSON.stringify({ callSid }), stage: "greeting" }, set: {}, indexAt: at.getTime() },
    { op: "hash", callSid, set: { stage: "hunting", level: "1" }, setnx: {} },
    { op: "timeline", callSid, key: "dial:1", event: events.dialled(at.toISOString(), 1, "engineer 1") },
    { op: "hash", callSid, set: { stage: "voicemail" }, setnx: {} },
    raiseOp(callSid, "voicemail", at, 0),
    // The same raise again, as a Twilio retry during the outage would have spooled it.
    raiseOp(callSid, "voicemail", at, 0),
  ];
  for (const op of ops) appendFileSync(file, `${JSON.stringify(op)}\n`);
  appendFileSync(file, '{"op":"hash","callSid":"CA12'); // the crash came mid-write

  const enqueued: string[] = [];
  const journal = new Journal(
    redis,
    redisKeys(prefix),
    new Spool(file),
    {
      onHangup: () => ({ outcome: "abandoned", emailDelayMs: 0 }),
      incidentRaised: async ({ incidentId }) => void enqueued.push(incidentId),
      transcriptionStored: async () => {},
    },
    pino({ level: "silent" }),
  );
  expect(journal.backlog).toBe(ops.length);
  await journal.drain();
  await waitFor(() => journal.backlog === 0, "the replay");
  journal.close();

  const keys = redisKeys(prefix);
  const hash = await redis.hgetall(keys.call(callSid));
  expect(hash).toMatchObject({ stage: "voicemail", level: "1", outcome: "voicemail", incidentId: ops[4]!.op === "raise" ? ops[4]!.incidentId : "" });
  expect(await redis.zcard(keys.incidents())).toBe(1);
  const timeline = (await redis.lrange(keys.timeline(callSid), 0, -1)).map((e) => JSON.parse(e).event);
  expect(timeline).toEqual(["engineer.dialled", "incident.raised"]);
  // Both raises ensured the jobs (idempotent by job id); the incident itself exists once.
  expect(new Set(enqueued)).toEqual(new Set([hash.incidentId]));
  expect(readFileSync(file, "utf8")).toBe("");
});
