import { afterAll, describe, expect, it } from "vitest";
import { PARTNER, startFollowupRig } from "../helpers/followup-rig.ts";
import { CONSOLE_TOKEN, TestCall, type TestLine } from "../helpers/line.ts";
import { waitFor } from "../helpers/receivers.ts";

/**
 * A number calling again and again: every call is put through and gets its incident, but the calls within
 * MISUSE_GROUP_MINUTES of the first page under the first incident (one dedup key) and the partner gets one
 * email; past MISUSE_CALLS_PER_DAY the page says so.
 */
const rig = await startFollowupRig();
afterAll(() => rig.close());
const MINUTE = 60_000;

async function call(t: TestLine, from: string): Promise<string> {
  const c = new TestCall(t.twilio, from);
  expect((await c.incoming()).body).toContain("<Dial");
  await c.hungUp(5);
  return (await t.twilio.api(`/api/calls/${c.callSid}`)).json.incidentId;
}

/** The posts to `path` once there are `count` of them. */
const posts = (path: string, count: number) => waitFor(() => (rig.postsTo(path).length === count ? rig.postsTo(path) : null), `${count} post(s) to ${path}`);

const PAGERDUTY = { MOBILISE_FORMAT: "pagerduty", PAGERDUTY_ROUTING_KEY: "R0UT1NGKEY0000000000000000000000" };

describe("five calls from one number within MISUSE_GROUP_MINUTES", () => {
  it("make five incidents, one PagerDuty alert and one partner email; a call after the window pages anew", async () => {
    let clock = Date.parse("2025-03-04T10:00:00Z");
    const t = await rig.line("repeat-pd", PAGERDUTY, { now: () => new Date(clock) });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(await call(t, PARTNER));
      clock += 4 * MINUTE;
    }
    expect(new Set(ids).size).toBe(5);
    const [first, ...repeats] = ids as [string, ...string[]];

    const triggers = await posts("/real/repeat-pd", 5);
    // One dedup key: PagerDuty pages for the first and appends the others to that alert.
    expect(triggers.map((p) => p.body.dedup_key)).toEqual(Array(5).fill(first));
    expect(triggers.filter((p) => p.body.payload.summary.includes(`grouped with ${first}`))).toHaveLength(4);

    for (const id of repeats) {
      const view = await waitFor(async () => {
        const v = await rig.incident(t, id);
        return v.followup.email.state === "skipped" && v;
      }, `the skipped email of ${id}`);
      expect(view).toMatchObject({ groupedWith: first, followup: { email: { reason: `grouped with ${first}` }, case: { state: "open" } } });
    }
    await waitFor(async () => (await rig.incident(t, first)).followup.email.state === "sent", "the first call's email");
    expect((await rig.incident(t, first)).groupedWith).toBeNull();
    expect(rig.mailsFor(first)).toHaveLength(1);
    for (const id of repeats) expect(rig.mailsFor(id)).toHaveLength(0);

    // Staff see the group on the dashboard and on the call's page.
    const auth = { authorization: `Bearer ${CONSOLE_TOKEN}` };
    expect((await (await fetch(`${t.line.url}/console`, { headers: auth })).text()).split(`grouped with ${first}`)).toHaveLength(5);
    const page = await fetch(`${t.line.url}/console/incidents/${repeats[0]}`, { headers: auth });
    expect(await page.text()).toContain(`grouped with <a href="/console/incidents/${first}">${first}</a>`);

    // 31 minutes after the first call: a new group, a new alert, a new email; and the sixth call in 24 h
    // (past MISUSE_CALLS_PER_DAY=5) says so in the page.
    clock = Date.parse("2025-03-04T10:31:00Z");
    const sixth = await call(t, PARTNER);
    const post = await waitFor(() => rig.postsTo("/real/repeat-pd").find((p) => p.body.dedup_key === sixth), "the new alert");
    expect(post.body.payload.summary).toContain("6 calls from this number in 24 h");
    expect(post.body.payload.custom_details.misuse).toEqual({ callsInLastDay: 6, limit: 5 });
    await waitFor(() => rig.mailsFor(sixth).length === 1, "the new group's email");
    expect((await rig.incident(t, sixth)).groupedWith).toBeNull();
  });

  it("posts JSON with groupedWith naming the first incident", async () => {
    const t = await rig.line("repeat-json");
    const ids = [await call(t, "+15557770051"), await call(t, "+15557770051")];
    const byId = Object.fromEntries((await posts("/real/repeat-json", 2)).map((p) => [p.body.incident.id, p.body]));
    expect(byId[ids[0]!]!.groupedWith).toBeNull();
    expect(byId[ids[1]!]!).toMatchObject({ groupedWith: ids[0], incident: { groupedWith: ids[0] } });
  });

  it("never groups or counts a withheld number: it is many callers", async () => {
    const t = await rig.line("repeat-withheld", { MISUSE_CALLS_PER_DAY: "2" });
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await call(t, "anonymous"));
    const views = await Promise.all(ids.map((id) => waitFor(async () => {
      const v = await rig.incident(t, id);
      return v.followup.email.state === "sent" && v;
    }, `the email of ${id}`)));
    expect(views.map((v) => [v.groupedWith, v.misuse])).toEqual(Array(3).fill([null, null]));
    expect(new Set((await posts("/real/repeat-withheld", 3)).map((p) => p.body.groupedWith))).toEqual(new Set([null]));
  });
});
