import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { baseEnv } from "../helpers/line.ts";
import { deleteKeys, REDIS_URL, testRedis, uniquePrefix } from "../helpers/redis.ts";
import { Overrides } from "../../src/store/overrides.ts";
import { redisKeys } from "../../src/store/redis.ts";

function cli(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], { env: { ...process.env, ...env, REDIS_URL } }, (error, stdout, stderr) =>
      done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const prefix = uniquePrefix("oncall-cli");
const redis = testRedis();
afterAll(async () => {
  await deleteKeys(redis, prefix);
  redis.disconnect();
});

describe("emergency-line oncall", () => {
  it("lists who is on call at --at and the next --days of shifts, with the overrides in Redis, in the schedule's zone", async () => {
    const dir = mkdtempSync(join(tmpdir(), "el-oncall-cli-"));
    writeFileSync(
      join(dir, "schedule.yaml"),
      `timeZone: America/New_York\nengineers: { Ada: { number: "+15550001001" }, Grace: { number: "+15550001002" } }\nlevels: [ { name: primary, layers: [ { engineers: [Ada, Grace], shift: 1 day, handover: "09:00", start: 2026-11-02 } ] } ]\n`,
    );
    await new Overrides(redis, redisKeys(prefix)).create({ level: 1, engineer: "Ada", from: "2026-11-03T18:00:00-05:00", to: "2026-11-03T20:00:00-05:00" }, "api");
    const env = { ...baseEnv(prefix), ENGINEERS: "", SCHEDULE_FILE: join(dir, "schedule.yaml") };
    const run = await cli(["oncall", "--at", "2026-11-03T12:00:00-05:00", "--days", "1"], env);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("On call at Tue 3 Nov 2026 12:00 EST (2026-11-03T17:00:00.000Z):");
    expect(run.stdout).toContain("level 1 primary: Grace +15550001002, since Tue 3 Nov 2026 09:00 EST, until Tue 3 Nov 2026 18:00 EST");
    expect(run.stdout).toMatch(/Tue 3 Nov 2026 18:00 EST → Tue 3 Nov 2026 20:00 EST {2}Ada {2}\[override ovr-\d+\]/);

    const bad = await cli(["oncall", "--at", "2026-11-03T12:00:00"], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^--at: an ISO 8601 date-time with an offset/);
  });
});
