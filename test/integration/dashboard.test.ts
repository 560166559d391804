import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { csvCell } from "../../src/console/csv.ts";
import { CONSOLE_TOKEN, DRILL_CALLER, startTestLine, TestCall, type TestLine } from "../helpers/line.ts";

const PARTNER = "+15557770001";
/** A partner name a spreadsheet would run as a formula, were it not defused. */
const FORMULA_PARTNER = "=HYPERLINK(\"http://evil.test\")";
const FORMULA_NUMBER = "+15557770002";
let t: TestLine;
let clock = Date.parse("2026-12-01T10:00:00Z");
const ids: Record<string, string> = {};

const get = (path: string) => fetch(`${t.line.url}${path}`, { headers: { authorization: `Bearer ${CONSOLE_TOKEN}` }, redirect: "manual" });
const page = async (query: string) => {
  const response = await get(`/console${query}`);
  expect(response.status, query).toBe(200);
  return response.text();
};
const shownIds = (html: string) => [...html.matchAll(/<tr class="incident [^"]*" data-id="([^"]+)"/g)].map((m) => m[1]!);

async function call(from: string, ending: "connected" | "voicemail" | "abandoned"): Promise<string> {
  const c = new TestCall(t.twilio, from);
  await c.incoming();
  if (ending === "connected") {
    await c.whisper(1);
    await c.pressOnWhisper(1, "1");
    await c.dialEnded(1, "completed", 60);
  } else if (ending === "voicemail") {
    for (const level of [1, 2, 3]) await c.dialEnded(level, "no-answer");
    await c.recorded(20);
  }
  await c.hungUp(90);
  return (await t.twilio.api(`/api/calls/${c.callSid}`)).json.incidentId;
}

beforeAll(async () => {
  const partners = join(mkdtempSync(join(tmpdir(), "el-dash-")), "partners.json");
  writeFileSync(partners, JSON.stringify({ [PARTNER]: { name: "Acme Payments", email: "oncall@acme.test" }, [FORMULA_NUMBER]: { name: FORMULA_PARTNER } }));
  // The line's clock moves a day between the first two calls, for the date filter.
  t = await startTestLine("dashboard", { env: { PARTNERS_FILE: partners }, now: () => new Date(clock) });
  ids.connected = await call(PARTNER, "connected");
  clock = Date.parse("2026-12-02T10:00:00Z");
  ids.voicemail = await call("+15557770003", "voicemail");
  clock += 1000;
  ids.abandoned = await call(FORMULA_NUMBER, "abandoned");
  clock += 1000;
  ids.drill = await call(DRILL_CALLER, "connected");
}, 30_000);
afterAll(async () => {
  await t?.stop();
});

describe("the dashboard's incidents", () => {
  it("lists each with its door, severity, paging, who answered and case state", async () => {
    const all = await page("");
    expect(shownIds(all)).toEqual([ids.drill, ids.abandoned, ids.voicemail, ids.connected]);
    const row = new RegExp(`data-id="${ids.connected}">[\\s\\S]*?</tr>`).exec(all)![0];
    expect(row).toContain('<td class="door">phone</td><td class="severity">SEV1</td>');
    expect(row).toContain('<a href="/console/partners/Acme%20Payments">Acme Payments</a>');
    expect(row).toContain('<td class="answered">Ada');
    expect(row).toContain('<td class="case">open</td>');
    expect(row).toContain('<time datetime="2026-12-01T10:00:00.000Z">2026-12-01 10:00:00 UTC</time>');
  });

  it("filters by real/drill, outcome, severity, case state, door, dates and search", async () => {
    expect(shownIds(await page("?drill=only"))).toEqual([ids.drill]);
    expect(shownIds(await page("?drill=exclude"))).toEqual([ids.abandoned, ids.voicemail, ids.connected]);
    expect(shownIds(await page("?outcome=voicemail"))).toEqual([ids.voicemail]);
    expect(shownIds(await page("?severity=SEV3"))).toEqual([]);
    expect(shownIds(await page("?door=email"))).toEqual([]);
    expect(shownIds(await page("?case=open&drill=exclude&outcome=abandoned"))).toEqual([ids.abandoned]);
    expect(shownIds(await page("?from=2026-12-01&to=2026-12-01"))).toEqual([ids.connected]);
    expect(shownIds(await page("?from=2026-12-02"))).toEqual([ids.drill, ids.abandoned, ids.voicemail]);
    // Search: a partner's name (any part, any case), a number (any part), an incident id.
    expect(shownIds(await page("?q=acme"))).toEqual([ids.connected]);
    expect(shownIds(await page("?q=777-0003"))).toEqual([ids.voicemail]);
    expect(shownIds(await page(`?q=${ids.abandoned!.slice(-8).toLowerCase()}`))).toEqual([ids.abandoned]);
    // An empty field from the form means "any".
    expect(shownIds(await page("?outcome=&severity=&q="))).toHaveLength(4);
  });

  it("answers a bad filter value with a 400 naming it", async () => {
    for (const [query, named] of [
      ["?outcome=won", "outcome:"],
      ["?severity=SEV9", "severity:"],
      ["?case=maybe", "case:"],
      ["?from=yesterday", "from: a date, YYYY-MM-DD"],
      ["?door=fax", "door:"],
      ["?after=nonsense", "after: a cursor"],
      [`?q=${"x".repeat(101)}`, "q: at most 100 characters"],
      ["?drill=only&drill=exclude", "drill:"],
      ["?from=2026-13-45", "from: a date, YYYY-MM-DD"],
    ]) {
      const response = await get(`/console${query}`);
      expect(response.status, query).toBe(400);
      expect(await response.text(), query).toContain(named);
    }
  });

  it("pages through the index with an older-incidents cursor, each incident once", async () => {
    // 120 more calls, several raised within the same millisecond (the clock stands still): ties must not be lost.
    clock = Date.parse("2026-12-03T10:00:00Z");
    for (let i = 0; i < 120; i++) {
      if (i % 7 === 0) clock += 1;
      const c = new TestCall(t.twilio, `+1555888${String(i).padStart(4, "0")}`);
      await c.incoming();
      await c.hungUp(5);
    }
    const seen: string[] = [];
    let query = "?drill=exclude";
    for (let pages = 0; pages < 10; pages++) {
      const html = await page(query);
      seen.push(...shownIds(html));
      const next = /<a rel="next" href="\/console\?([^"]+)">/.exec(html);
      if (!next) break;
      query = `?${next[1]!.replaceAll("&amp;", "&")}`;
      expect(query).toContain("drill=exclude");
    }
    expect(seen).toHaveLength(123);
    expect(new Set(seen).size).toBe(123);
    expect(seen.slice(-3)).toEqual([ids.abandoned, ids.voicemail, ids.connected]);
  }, 30_000);

  it("offers no older-incidents link when a full page is all there is", async () => {
    // +1555888 0000 to 0099: a hundred calls, two pages of fifty exactly, nothing older.
    const first = await page("?q=%2B155588800");
    expect(shownIds(first)).toHaveLength(50);
    const next = /<a rel="next" href="\/console\?([^"]+)">/.exec(first);
    expect(next).not.toBeNull();
    const second = await page(`?${next![1]!.replaceAll("&amp;", "&")}`);
    expect(shownIds(second)).toHaveLength(50);
    expect(second).not.toContain("Older incidents");
    expect(new Set([...shownIds(first), ...shownIds(second)]).size).toBe(100);
  });
});

describe("the CSV export", () => {
  it("has the dashboard's filters and defuses cells a spreadsheet would run as formulas", async () => {
    const response = await get("/console/incidents.csv?drill=exclude&from=2026-12-02&to=2026-12-02");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/csv");
    expect(response.headers.get("content-disposition")).toMatch(/attachment; filename="incidents-.*\.csv"/);
    const lines = (await response.text()).trimEnd().split("\r\n");
    expect(lines[0]).toMatch(/^incident,raised_at_utc,door,severity,drill,outcome,partner,caller,paged/);
    expect(lines).toHaveLength(3);
    const abandoned = lines.find((line) => line.startsWith(ids.abandoned!))!;
    expect(abandoned).toContain(`"'=HYPERLINK(""http://evil.test"")"`);
    expect(abandoned).toContain(",'+15557770002,");
    expect((await get("/console/incidents.csv?severity=SEV2")).status).toBe(400);
  });

  it("quotes and defuses every kind of dangerous cell", () => {
    expect(["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "plain", 'a "quote"', "a,b", "", null].map(csvCell)).toEqual([
      "'=1+1",
      "'+1",
      "'-1",
      "'@SUM(A1)",
      "'\tx",
      `"'\rx"`,
      "plain",
      '"a ""quote"""',
      '"a,b"',
      "",
      "",
    ]);
  });
});

describe("a partner's page", () => {
  it("shows their contacts, calls, misuse figures and drill history", async () => {
    const today = await call(PARTNER, "voicemail");
    const response = await get("/console/partners/acme%20payments");
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain("<h1>Acme Payments</h1>");
    expect(html).toContain('<a href="mailto:oncall@acme.test">oncall@acme.test</a>');
    expect(html).toContain('<a class="tel" href="tel:+15557770001">+15557770001</a>');
    expect(html).toContain("+15557770001: <strong>1</strong> (flagged past 5 a day)");
    const calls = html.slice(html.indexOf("<h2>Calls and mails</h2>"), html.indexOf("<h2>Drill history</h2>"));
    expect(shownIds(calls)).toEqual([today, ids.connected]);
    expect(html.slice(html.indexOf("<h2>Drill history</h2>"))).toContain("No drills from this partner yet.");
    expect((await get("/console/partners/Nobody%20Inc")).status).toBe(404);
    expect(await (await get("/console/partners")).text()).toContain('<a href="/console/partners/Acme%20Payments">Acme Payments</a>');
  });
});
