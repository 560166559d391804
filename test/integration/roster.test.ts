import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { redisKeys } from "../../src/store/redis.ts";
import type { Engineer } from "../../src/call/engineers.ts";
import { Roster } from "../../src/store/roster.ts";
import { CONSOLE_TOKEN, startTestLine } from "../helpers/line.ts";
import { deleteKeys, testRedis, uniquePrefix } from "../helpers/redis.ts";

const ADA = { name: "Ada", number: "+15550001001" };
const GRACE = { name: "Grace", number: "+15550001002" };
const LINUS = { name: "Linus", number: "+15550001003" };

const redis = testRedis();
const prefixes: string[] = [];
afterAll(async () => {
  for (const prefix of prefixes) await deleteKeys(redis, prefix);
  redis.disconnect();
});

/** A line process starting with ENGINEERS = `engineers`, over the Redis prefix of one deployment. */
function startingWith(prefix: string, engineers: Engineer[]): Roster {
  return new Roster(redis, redisKeys(prefix), engineers);
}

function deployment(): string {
  const prefix = uniquePrefix("roster");
  prefixes.push(prefix);
  return prefix;
}

describe("the roster at start-up", () => {
  it("is seeded from ENGINEERS the first time", async () => {
    const prefix = deployment();
    const decided = await startingWith(prefix, [ADA, GRACE]).reconcile();
    expect(decided).toMatchObject({ source: "ENGINEERS", reason: "no roster stored yet: seeded from ENGINEERS", engineers: [ADA, GRACE], overridden: null });
  });

  it("keeps a roster staff edited in the console across a restart with the same ENGINEERS, and says so", async () => {
    const prefix = deployment();
    await startingWith(prefix, [ADA, GRACE]).reconcile();
    await startingWith(prefix, [ADA, GRACE]).replace([GRACE, ADA]);

    const restarted = startingWith(prefix, [ADA, GRACE]);
    const decided = await restarted.reconcile();
    expect(decided.source).toBe("console");
    expect(decided.reason).toMatch(/^edited in the console at \d{4}-\d\d-\d\dT.*; kept until ENGINEERS is changed/);
    expect(decided.engineers).toEqual([GRACE, ADA]);
    expect(decided.matchesEngineers).toBe(false);
    expect(await restarted.current()).toEqual([GRACE, ADA]);
    expect((await restarted.source()).source).toBe("console");
  });

  it("lets a changed ENGINEERS win over the stored roster after a restart, and says why", async () => {
    const prefix = deployment();
    await startingWith(prefix, [ADA, GRACE]).reconcile();
    await startingWith(prefix, [ADA, GRACE]).replace([GRACE, ADA]);

    const restarted = startingWith(prefix, [LINUS, ADA]);
    const decided = await restarted.reconcile();
    expect(decided).toMatchObject({ source: "ENGINEERS", reason: "ENGINEERS changed since the roster was last seeded: using ENGINEERS", engineers: [LINUS, ADA], overridden: [GRACE, ADA] });
    // The next call dials the new ENGINEERS, in this process and in any other reading the roster.
    expect(await restarted.current()).toEqual([LINUS, ADA]);
    expect(await startingWith(prefix, [LINUS, ADA]).current()).toEqual([LINUS, ADA]);
    expect(await restarted.source()).toMatchObject({ source: "ENGINEERS" });

    // A console edit after that is kept again by the next restart with the same ENGINEERS.
    await restarted.moveUp(2);
    expect((await startingWith(prefix, [LINUS, ADA]).reconcile()).engineers).toEqual([ADA, LINUS]);
  });

  it("does not count spacing in ENGINEERS as a change", async () => {
    const prefix = deployment();
    const env = { TWILIO_ACCOUNT_SID: `AC${"0".repeat(32)}`, TWILIO_AUTH_TOKEN: "secret-token-123", CONSOLE_TOKEN: "console-token-0123456789" };
    await startingWith(prefix, loadConfig({ ...env, ENGINEERS: "Ada=+15550001001,Grace=+15550001002" }).ENGINEERS!).reconcile();
    await startingWith(prefix, [ADA, GRACE]).replace([GRACE, ADA]);
    const decided = await startingWith(prefix, loadConfig({ ...env, ENGINEERS: " Ada = +15550001001 , Grace=+15550001002 " }).ENGINEERS!).reconcile();
    expect(decided.source).toBe("console");
  });

  it("takes ENGINEERS over a roster stored before its seeding was recorded, when the two differ", async () => {
    const prefix = deployment();
    await redis.set(redisKeys(prefix).roster(), JSON.stringify([GRACE]));
    const decided = await startingWith(prefix, [ADA, GRACE]).reconcile();
    expect(decided).toMatchObject({ source: "ENGINEERS", engineers: [ADA, GRACE], overridden: [GRACE] });
  });
});

describe("the console's roster page", () => {
  let t: Awaited<ReturnType<typeof startTestLine>>;
  beforeAll(async () => {
    t = await startTestLine("roster-page");
  });
  afterAll(async () => {
    await t.stop();
  });
  const page = async () => (await fetch(`${t.line.url}/console/roster`, { headers: { authorization: `Bearer ${CONSOLE_TOKEN}` } })).text();

  it("says where the roster comes from", async () => {
    await t.line.roster.current();
    expect(await page()).toContain("Roster from ENGINEERS: seeded from ENGINEERS at ");
    await t.line.roster.moveUp(2);
    expect(await page()).toMatch(/Roster from console: edited in the console at [^;]+; kept until ENGINEERS is changed and the line restarted\./);
  });
});
