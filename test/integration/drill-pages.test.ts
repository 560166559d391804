import { afterAll, beforeAll, expect, it } from "vitest";
import { CONSOLE_TOKEN, DRILL_CALLER, startTestLine, TestCall, type TestLine } from "../helpers/line.ts";

let t: TestLine;
let runIncident: string;
let partnerDrill: string;

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
const report = (incidentId: string) => ({
  startedAt: "2026-12-07T03:00:00.000Z",
  target: "http://line.test",
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
  ],
});

beforeAll(async () => {
  t = await startTestLine("drill-pages");
  runIncident = await drillCall();
  partnerDrill = await drillCall();
  const published = await fetch(`${t.line.url}/api/drill-reports`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify(report(runIncident)) });
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
