import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log.ts";
import { CONSOLE_TOKEN, startTestLine, type TestLine } from "../helpers/line.ts";
import { PASSWORD, PEOPLE, writeStaffFile } from "../helpers/staff.ts";

const SCHEDULE = `
timeZone: Europe/London
engineers:
  Ada:   { number: "+15550001001" }
  Grace: { number: "+15550001002" }
  Bob:   { number: "555-0101" }
levels:
  - name: primary
    layers: [ { engineers: [Ada, Grace], shift: 1 week, handover: Monday 09:00, start: 2026-11-02 } ]
  - name: secondary
    layers: [ { engineers: [Grace], shift: 1 week, handover: Monday 09:00, start: 2026-11-09 } ]
`;

let t: TestLine;
const logLines: string[] = [];
const NOW = new Date("2026-11-04T15:00:00Z");

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "el-oncall-console-"));
  writeFileSync(join(dir, "schedule.yaml"), SCHEDULE);
  t = await startTestLine("oncall-console", { env: { SCHEDULE_FILE: join(dir, "schedule.yaml"), ENGINEERS: "", STAFF_FILE: await writeStaffFile() }, now: () => NOW, log: createLogger("info", new Writable({ write: (chunk, _e, done) => (logLines.push(String(chunk)), done()) })) });
});
afterAll(async () => {
  await t?.stop();
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${t.line.url}${path}`, { headers, redirect: "manual" });
const post = (path: string, body: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(`${t.line.url}${path}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body: new URLSearchParams(body), redirect: "manual" });

async function login(): Promise<{ cookie: string; csrf: string }> {
  const response = await post("/console/login", { email: PEOPLE.admin.email, password: PASSWORD });
  const cookie = response.headers.get("set-cookie")!.split(";")[0]!;
  const page = await (await get("/console/oncall", { cookie })).text();
  return { cookie, csrf: /name="_csrf" value="([^"]+)"/.exec(page)![1]! };
}

describe("start-up warnings", () => {
  it("logs each gap in the next 14 days and each number the line cannot dial", async () => {
    await expect.poll(() => logLines.filter((line) => line.includes("on-call:")).length).toBe(2);
    const warnings = logLines.filter((line) => line.includes("on-call:")).map((line) => JSON.parse(line));
    expect(warnings.map((w) => w.level)).toEqual([40, 40]);
    expect(warnings.map((w) => w.msg)).toEqual([
      expect.stringMatching(/^on-call: engineer Bob: number .*555-01.* is not an E.164 number/),
      "on-call: level 2 (secondary) has nobody on call from 2026-11-04T15:00:00.000Z to 2026-11-09T09:00:00.000Z",
    ]);
  });
});

describe("the console's on-call page", () => {
  it("needs staff", async () => {
    expect((await get("/console/oncall")).status).toBe(401);
    expect((await post("/console/oncall/overrides", {})).status).toBe(401);
  });

  it("shows who is on call now, two weeks per level, and the warnings (gaps, undiallable numbers)", async () => {
    const { cookie } = await login();
    const page = await (await get("/console/oncall", { cookie })).text();
    // Times as on every console page: UTC, in a <time> whose title the page's script fills with local time.
    expect(page).toContain('<td class="oncall-engineer">Ada (+15550001001)</td><td><time datetime="2026-11-02T09:00:00.000Z">2026-11-02 09:00:00 UTC</time></td><td><time datetime="2026-11-09T09:00:00.000Z">2026-11-09 09:00:00 UTC</time></td>');
    expect(page).toContain("<title>Ada: 2026-11-04 00:00:00 UTC to 2026-11-09 09:00:00 UTC</title>");
    expect(page).not.toMatch(/\d\d:\d\d (GMT|BST)/);
    expect(page).toContain("nobody: the level is skipped");
    expect(page.match(/<svg class="oncall-bar"/g)).toHaveLength(2);
    expect(page).toContain("level 2 (secondary) has nobody on call from 2026-11-04T15:00:00.000Z to 2026-11-09T09:00:00.000Z");
    expect(page).toContain('engineer Bob: number &quot;555-0101&quot; is not an E.164 number');
  });

  it("adds an override from a form in the schedule's zone (made by the person signed in), marks it on the timeline, deletes it", async () => {
    const { cookie, csrf } = await login();
    const added = await post("/console/oncall/overrides", { _csrf: csrf, level: "1", engineer: "Grace", from: "2026-11-04T14:00", to: "2026-11-05T10:00" }, { cookie });
    expect(added.status).toBe(303);
    const page = await (await get("/console/oncall", { cookie })).text();
    expect(page).toMatch(/Grace \(\+15550001002\) <span class="badge">override<\/span>/);
    expect(page).toContain('class="shift shift-override"');
    expect(page).toContain('<td>1</td><td>Grace</td><td><time datetime="2026-11-04T14:00:00.000Z">2026-11-04 14:00:00 UTC</time></td><td><time datetime="2026-11-05T10:00:00.000Z">2026-11-05 10:00:00 UTC</time></td>');
    const api = await (await get("/api/oncall/overrides", { authorization: `Bearer ${CONSOLE_TOKEN}` })).json();
    expect(api.overrides).toEqual([expect.objectContaining({ level: 1, engineer: "Grace", from: "2026-11-04T14:00:00.000Z", to: "2026-11-05T10:00:00.000Z", createdBy: PEOPLE.admin.email })]);

    const refused = await post("/console/oncall/overrides", { _csrf: csrf, level: "1", engineer: "Grace", from: "2026-11-05T10:00", to: "2026-11-04T10:00" }, { cookie });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("Not saved: to: must be after from");

    const id = api.overrides[0].id as string;
    expect((await post(`/console/oncall/overrides/${id}/delete`, { _csrf: csrf }, { cookie })).status).toBe(303);
    const after = await (await get("/api/oncall/overrides", { authorization: `Bearer ${CONSOLE_TOKEN}` })).json();
    expect(after.overrides).toEqual([]);
    expect(after.changes[0]).toMatchObject({ action: "deleted", by: PEOPLE.admin.email });
  });

  it("with a schedule file, the roster page shows the schedule and refuses edits", async () => {
    const { cookie, csrf } = await login();
    const roster = await get("/console/roster", { cookie });
    expect(roster.status).toBe(303);
    expect(roster.headers.get("location")).toBe("/console/oncall");
    const edit = await post("/console/roster", { _csrf: csrf, name1: "Eve", number1: "+15550001009" }, { cookie });
    expect(edit.status).toBe(409);
    expect(await edit.text()).toContain("schedule file");
  });
});
