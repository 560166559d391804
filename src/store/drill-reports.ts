import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { z } from "zod";
import type { RedisKeys } from "./redis.ts";

const checkSchema = z.object({ name: z.string(), ok: z.boolean().nullable(), expected: z.string(), actual: z.string() });

/** One of a scenario's emails as the drill delivered it: the incident it raised or joined, and its checks. */
const reportEmailSchema = z.looseObject({
  id: z.string().optional(),
  from: z.string(),
  subject: z.string(),
  /** Virtual seconds after the scenario's start. */
  at: z.number(),
  incidentId: z.string().nullable(),
  passed: z.boolean(),
  checks: z.array(checkSchema),
  events: z.array(z.looseObject({ at: z.number(), text: z.string() })).optional().catch(undefined),
});

/** What the console keeps of a drill's JSON report (`emergency-line drill --report json`). */
export const drillReportSchema = z.looseObject({
  startedAt: z.iso.datetime(),
  target: z.string(),
  realMs: z.number(),
  passed: z.boolean(),
  scenarios: z.array(
    z.looseObject({
      name: z.string(),
      file: z.string(),
      passed: z.boolean(),
      skipped: z.string().optional(),
      calls: z.array(
        z.looseObject({
          caller: z.string(),
          incidentId: z.string().nullable(),
          passed: z.boolean(),
          timings: z.object({ firstRingAt: z.number().nullable(), humanAt: z.number().nullable(), beepAt: z.number().nullable(), endedAt: z.number() }),
          checks: z.array(checkSchema),
          /** What each party did and heard, seconds from the call's start: the console's timeline report draws it. */
          events: z.array(z.looseObject({ t: z.number(), party: z.string(), kind: z.string(), text: z.string() })).optional().catch(undefined),
        }),
      ),
      /** A mail drill's emails (scenario `emails:`): the drill pages list their incidents and checks beside the calls'. */
      emails: z.array(reportEmailSchema).optional(),
    }),
  ),
});
export type StoredDrillReport = z.infer<typeof drillReportSchema>;

const KEEP = 50;

/**
 * A stored report, read back through the schema. One stored before the emails part was checked (pasted by
 * hand, say) and whose emails do not fit is shown without them, rather than failing the drill pages.
 */
function readStored(item: string): StoredDrillReport {
  const raw = JSON.parse(item) as { scenarios?: unknown };
  const parsed = drillReportSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const scenarios = Array.isArray(raw.scenarios) ? raw.scenarios.map((scenario: unknown) => ({ ...(scenario as object), emails: undefined })) : raw.scenarios;
  return drillReportSchema.parse({ ...raw, scenarios });
}

export class DrillReports {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async add(report: StoredDrillReport): Promise<void> {
    await this.redis.multi().lpush(this.keys.drillReports(), JSON.stringify(report)).ltrim(this.keys.drillReports(), 0, KEEP - 1).exec();
  }

  /** Newest first. */
  async list(): Promise<StoredDrillReport[]> {
    return (await this.entries()).map((entry) => entry.report);
  }

  /** Newest first, each with a stable id (a digest of the stored report), for links to one report. */
  async entries(): Promise<{ id: string; report: StoredDrillReport }[]> {
    const raw = await this.redis.lrange(this.keys.drillReports(), 0, KEEP - 1);
    return raw.map((item) => ({ id: createHash("sha256").update(item).digest("hex").slice(0, 16), report: readStored(item) }));
  }

  async get(id: string): Promise<StoredDrillReport | null> {
    return (await this.entries()).find((entry) => entry.id === id)?.report ?? null;
  }
}
