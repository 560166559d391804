import { afterAll, beforeAll, expect, it } from "vitest";
import { CONSOLE_TOKEN, DRILL_CALLER, startTestLine, TestCall, type TestLine } from "../helpers/line.ts";
import { redisKeys } from "../../src/store/redis.ts";
import { deliverMail } from "../helpers/mail.ts";

let t: TestLine;
let runIncident: string;
let partnerDrill: string;
let runMail: string;
let partnerMail: string;

const SUPPORT = "help@line.example";
const DRILL_SENDER = "drill@acme.test";
// Another partner's drill address: one sender's mail within minutes joins its first incident.
const OTHER_DRILL_SENDER = "drills@hooli.test";

/** A drill's urgent email, delivered to the line's SMTP listener: the incident it raised. */
async function drillMail(from: string, subject: string): Promise<string> {
  const answer = await deliverMail(t, SUPPORT, { from, subject, text: "Checkout returns 502 since 03:00 UTC." });
  expect(answer.code).toBe(250);
  return /\((INC-\d{8}-[0-9A-F]{8})\)/.exec(answer.response)![1]!;
}

const auth = { authorization: `Bearer ${CONSOLE_TOKEN}` };
const get = (path: string) => fetch(`${t.line.url}${path}`, { headers: auth });

async function drillCall(): Promise<string> {
  const c = new TestCall(t.twilio, DRILL_CALLER);
  await c.incoming();
  await c.whisper(1);
  await c.pressOnWhisper(1, "1");
  await c.dialEnded(1, "completed", 30);
  await c.hungUp(40);
  return (await t.twilio.api(`/api/calls/${c.callSid}`)).json.incidentId;
}

/** A report as `emergency-line drill --report json` writes it, naming the incident its call raised. */
const report = (incidentId: string, emailIncidentId: string) => ({
  startedAt: "2026-12-07T03:00:00.000Z",
  // Published from a drill that drove this line (--target its PUBLIC_BASE_URL): its incidents are here.
  target: t.publicBase,
  realMs: 4200,
  passed: false,
  scenarios: [
    {
      name: "engineer 1 answers",
      file: "drills/answer.yaml",
      passed: false,
      calls: [
        {
          caller: DRILL_CALLER,
          incidentId,
          passed: false,
          timings: { firstRingAt: 2.5, humanAt: 9.1, beepAt: null, endedAt: 40 },
          checks: [
            { name: "time to a human", expected: "≤ 5 s", actual: "9.1 s", ok: false },
            { name: "incident raised", expected: "yes", actual: "yes", ok: true },
          ],
          events: [
            { t: 0, party: "caller", kind: "hears", text: "Emergency line <script>alert(1)</script>" },
            { t: 2.5, party: "engineer 1", kind: "rings", text: "Ada's phone rings" },
          ],
        },
      ],
    },
    {
      name: "urgent mail pages",
      file: "drills/13-urgent-mail-pages.yaml",
      passed: false,
      calls: [],
      // As a mail drill's report carries them (scenario `emails:`).
      emails: [
        {
          id: "outage",
          from: DRILL_SENDER,
          subject: "URGENT: checkout down",
          at: 90,
          messageId: "<drill-outage@acme.test>",
          incidentId: emailIncidentId,
          delivery: { code: 250, response: `250 queued (${emailIncidentId})` },
          events: [{ at: 90, text: "SMTP: 250 queued <b>bold</b>" }],
          checks: [
            { name: "engineers paged", expected: "1", actual: "0", ok: false },
            { name: "severity", expected: "SEV1", actual: "SEV1", ok: true },
          ],
          passed: false,
        },
      ],
    },
  ],
});

beforeAll(async () => {
  t = await startTestLine("drill-pages", { env: { INBOUND_SMTP_PORT: "0", SUPPORT_EMAIL: SUPPORT, DRILL_SENDERS: `${DRILL_SENDER},${OTHER_DRILL_SENDER}` } });
  runIncident = await drillCall();
  partnerDrill = await drillCall();
  runMail = await drillMail(DRILL_SENDER, "URGENT: checkout down");
  partnerMail = await drillMail(OTHER_DRILL_SENDER, "URGENT: refunds down");
  const published = await fetch(`${t.line.url}/api/drill-reports`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify(report(runIncident, runMail)) });
  expect(published.status).toBe(201);
}, 30_000);
afterAll(async () => {
  await t?.stop();
});

it("links each drill run to its incidents and its timeline report, and lists partner drills apart", async () => {
  const page = await (await get("/console/drills")).text();
  const reportLink = /<a href="(\/console\/drills\/[0-9a-f]{16}\/report)">Timeline report<\/a>/.exec(page)![1]!;
  expect(page).toContain(`incidents: <a href="/console/incidents/${runIncident}">${runIncident}</a>`);
  expect(page).toContain("✘ time to a human: expected ≤ 5 s, saw 9.1 s");
  // The drill call that was no run's: a partner drill, once, with how it went.
  const partnerRows = page.slice(page.indexOf("<h2>Partner drills</h2>"));
  expect(partnerRows).toContain(`<a href="/console/incidents/${partnerDrill}">${partnerDrill}</a>`);
  expect(partnerRows).not.toContain(runIncident);
  expect(partnerRows).toMatch(/<td>connected<\/td><td>Ada<\/td>/);

  const html = await (await get(reportLink)).text();
  expect(html).toContain(`Call from ${DRILL_CALLER} — <a href="/console/incidents/${runIncident}">`);
  expect(html).toContain("<title>0.0–2.5 s caller hears: Emergency line &lt;script&gt;alert(1)&lt;/script&gt;</title>");
  expect(html).not.toContain("<script>alert(1)");
  expect(html).toContain('<span class="badge">human: 9.1 s</span>');
  expect(html).toMatch(/<tr class="failed"><td>✘<\/td><td>time to a human<\/td>/);
  expect((await get("/console/drills/0123456789abcdef/report")).status).toBe(404);
});

it("shows a mail drill's emails in its run: their incidents, failed checks and events, not listed again as partner drills", async () => {
  const page = await (await get("/console/drills")).text();
  expect(page).toContain(`urgent mail pages <code>drills/13-urgent-mail-pages.yaml</code> — incidents: <a href="/console/incidents/${runMail}">${runMail}</a>`);
  expect(page).toContain("✘ engineers paged: expected 1, saw 0");
  const partnerRows = page.slice(page.indexOf("<h2>Partner drills</h2>"));
  expect(partnerRows).not.toContain(runMail);
  // Drill mail outside any run is a partner's drill, as a drill caller's call is.
  expect(partnerRows).toContain(`<a href="/console/incidents/${partnerMail}">${partnerMail}</a>`);

  const reportLink = /<a href="(\/console\/drills\/[0-9a-f]{16}\/report)">Timeline report<\/a>/.exec(page)![1]!;
  const html = await (await get(reportLink)).text();
  expect(html).toContain(`Email from ${DRILL_SENDER} at 90 s — <a href="/console/incidents/${runMail}">`);
  expect(html).toContain("Subject: URGENT: checkout down");
  expect(html).toMatch(/<tr class="failed"><td>✘<\/td><td>engineers paged<\/td>/);
  expect(html).toContain("SMTP: 250 queued &lt;b&gt;bold&lt;/b&gt;");
});

it("names, without linking, the incidents of a run that drove another line (a local drill's own)", async () => {
  const local = { ...report(runIncident, runMail), target: "a line started in-process", startedAt: "2026-12-05T03:00:00.000Z" };
  const published = await fetch(`${t.line.url}/api/drill-reports`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify(local) });
  expect(published.status).toBe(201);
  const page = await (await get("/console/drills")).text();
  const run = page.slice(page.indexOf('<time datetime="2026-12-05T03:00:00.000Z">'));
  const article = run.slice(0, run.indexOf("</article>"));
  expect(article).toContain("its incidents are on a line started in-process, not on this line");
  expect(article).toContain(`incidents: <code>${runIncident}</code>`);
  expect(article).not.toContain("/console/incidents/");
  const link = /<a href="(\/console\/drills\/[0-9a-f]{16}\/report)">Timeline report<\/a>/.exec(page)![1]!;
  const drawn = await (await get(link)).text();
  expect(drawn).toContain(`Call from ${DRILL_CALLER} — <code>${runIncident}</code>`);
  expect(drawn).toContain(`Email from ${DRILL_SENDER} at 90 s — <code>${runMail}</code>`);
  await t.redis.lpop(redisKeys(t.prefix).drillReports());
});

it("shows a report stored before its emails part was checked, without the emails that do not fit", async () => {
  const old = report(runIncident, runMail);
  old.startedAt = "2026-11-01T03:00:00.000Z";
  (old.scenarios[1]!.emails![0] as { at: unknown }).at = "ninety";
  await t.redis.rpush(redisKeys(t.prefix).drillReports(), JSON.stringify(old));
  const page = await get("/console/drills");
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain('<time datetime="2026-11-01T03:00:00.000Z">');
  const link = [...html.matchAll(/<a href="(\/console\/drills\/[0-9a-f]{16}\/report)">Timeline report<\/a>/g)].at(-1)![1]!;
  const drawn = await get(link);
  expect(drawn.status).toBe(200);
  expect(await drawn.text()).toContain("urgent mail pages");
  await t.redis.rpop(redisKeys(t.prefix).drillReports());
});

it("refuses a published report whose emails part is malformed, naming the field", async () => {
  const bad = report(runIncident, runMail);
  (bad.scenarios[1]!.emails![0] as { at: unknown }).at = "ninety";
  const response = await fetch(`${t.line.url}/api/drill-reports`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify(bad) });
  expect(response.status).toBe(400);
  expect(await response.text()).toContain("scenarios.1.emails.0.at");
});
