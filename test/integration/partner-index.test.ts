import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { IncidentSearch } from "../../src/incidents/incident-search.ts";
import { waitFor } from "../../src/simulator/wait.ts";
import { redisKeys } from "../../src/store/redis.ts";
import { CONSOLE_TOKEN, startTestLine, TestCall, type TestLine } from "../helpers/line.ts";
import { deliverMail } from "../helpers/mail.ts";

// A partner with incidents from both doors (a call, an urgent email) under many of other callers': their page
// must find them without walking everyone's, however much history there is.
const PARTNER = "+15557770001";
const OBB = "+15557770002";
const SUPPORT = "help@line.example";
const OTHERS = 12;
let t: TestLine;
const acme: string[] = [];
let obb: string;
let orphan: string;

async function abandonedCall(from: string): Promise<string> {
  const c = new TestCall(t.twilio, from);
  await c.incoming();
  await c.hungUp(5);
  return (await t.twilio.api(`/api/calls/${c.callSid}`)).json.incidentId;
}

beforeAll(async () => {
  const partners = join(mkdtempSync(join(tmpdir(), "el-partner-index-")), "partners.json");
  writeFileSync(partners, JSON.stringify({ [PARTNER]: { name: "Acme Payments", email: "oncall@acme.test", domains: ["acme.test"] }, [OBB]: { name: "ÖBB Infra" } }));
  // No grouping: the partner's mail would otherwise page under its call's incident.
  t = await startTestLine("partner-index", { env: { PARTNERS_FILE: partners, INBOUND_SMTP_PORT: "0", SUPPORT_EMAIL: SUPPORT, MISUSE_GROUP_MINUTES: "0" } });
  // A new Redis has nothing to index: the start marks the partner indexes complete at once.
  await waitFor(async () => (await t.redis.exists(redisKeys(t.prefix).partnerIndexComplete())) === 1 || null, "the partner indexes marked complete", 5000);
  acme.push(await abandonedCall(PARTNER));
  const mail = await deliverMail(t, SUPPORT, { from: "ops@acme.test", subject: "URGENT: payouts failing", text: "Since 02:00 UTC." });
  acme.push(/\((INC-\d{8}-[0-9A-F]{8})\)/.exec(mail.response)![1]!);
  obb = await abandonedCall(OBB);
  // A call whose first webhook left no session: its later webhooks rebuild one (meta:reconstructed).
  const rebuilt = new TestCall(t.twilio, PARTNER);
  await rebuilt.recorded(30);
  await rebuilt.hungUp(60);
  orphan = (await t.twilio.api(`/api/calls/${rebuilt.callSid}`)).json.incidentId;
  acme.push(orphan);
  for (let i = 0; i < OTHERS; i++) await abandonedCall(`+1555888${String(i).padStart(4, "0")}`);
}, 60_000);
afterAll(async () => {
  await t?.stop();
});

it("finds a partner's incidents, calls and mail, from the partner's own index: none of the others is looked at", async () => {
  // In any case, as the dashboard's partner filter is typed.
  const page = await t.line.search.page({ drill: "all", partner: "acme payments" });
  expect(page.ids).toEqual([...acme].reverse());
  expect(page.scanned).toBe(acme.length);
  // The partner's page shows them all.
  const html = await (await fetch(`${t.line.url}/console/partners/Acme%20Payments`, { headers: { authorization: `Bearer ${CONSOLE_TOKEN}` } })).text();
  for (const id of acme) expect(html).toContain(id);
});

it("finds a partner whose name has letters outside ASCII in any case, walking everyone's (Lua folds ASCII only)", async () => {
  for (const typed of ["ÖBB Infra", "öbb infra", "ÖBB INFRA"]) {
    const page = await t.line.search.page({ drill: "all", partner: typed });
    expect(page.ids, typed).toEqual([obb]);
    expect(page.scanned, typed).toBe(acme.length + 1 + OTHERS);
  }
});

it("finds a call whose session was rebuilt from its later webhooks under its partner", async () => {
  expect(orphan).toMatch(/^INC-/);
  expect((await t.line.search.page({ drill: "all", partner: "Acme Payments" })).ids).toContain(orphan);
});

it("builds the partner indexes once from incidents stored before they existed; until then a search walks everyone's", async () => {
  const keys = redisKeys(t.prefix);
  // As a Redis written by a line without partner indexes holds it.
  await t.redis.del(keys.partnerIncidents("Acme Payments"), keys.partnerIncidents("ÖBB Infra"), keys.partnerIndexComplete());
  const before = new IncidentSearch(t.redis, keys);
  const walked = await before.page({ drill: "all", partner: "Acme Payments" });
  expect(walked.ids).toEqual([...acme].reverse());
  expect(walked.scanned).toBe(acme.length + 1 + OTHERS);

  expect(await before.indexPartners()).toEqual({ indexed: acme.length + 1, since: null });
  const page = await before.page({ drill: "all", partner: "Acme Payments" });
  expect(page.ids).toEqual([...acme].reverse());
  expect(page.scanned).toBe(acme.length);
});

it("indexes the last hour again at each start-up: what an instance on older code raised during a rolling deploy", async () => {
  const keys = redisKeys(t.prefix);
  // Raised by such an instance: in the main index only.
  await t.redis.zrem(keys.partnerIncidents("Acme Payments"), acme[0]!);
  const search = new IncidentSearch(t.redis, keys);
  expect((await search.page({ drill: "all", partner: "Acme Payments" })).ids).not.toContain(acme[0]);
  const again = await search.indexPartners();
  expect(again.since).not.toBeNull();
  expect((await search.page({ drill: "all", partner: "Acme Payments" })).ids).toEqual([...acme].reverse());
  // Older than the hour: left as it is (the first walk indexed it).
  await t.redis.zrem(keys.partnerIncidents("Acme Payments"), acme[0]!);
  await search.indexPartners(Date.now() + 2 * 3_600_000);
  expect((await search.page({ drill: "all", partner: "Acme Payments" })).ids).not.toContain(acme[0]);
});
