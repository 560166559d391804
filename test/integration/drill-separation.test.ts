import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONSOLE_TOKEN, DRILL_CALLER, startTestLine, TestCall, type TestLine } from "../helpers/line.ts";

/** Drills must neither flatter nor spoil the real figures: metrics carry a drill label, the console a filter. */
let t: TestLine;
let drillIncident: string;
let realIncident: string;

beforeAll(async () => {
  t = await startTestLine("drill-separation");
  const drill = new TestCall(t.twilio, DRILL_CALLER);
  await drill.incoming();
  await drill.whisper(1);
  await drill.pressOnWhisper(1, "1");
  await drill.dialEnded(1, "completed", 40);
  await drill.hungUp(45);
  const real = new TestCall(t.twilio, "+15557770061");
  await real.incoming();
  await real.dialEnded(1, "busy");
  await real.hungUp(10);
  drillIncident = (await t.twilio.api(`/api/calls/${drill.callSid}`)).json.incidentId;
  realIncident = (await t.twilio.api(`/api/calls/${real.callSid}`)).json.incidentId;
});
afterAll(async () => {
  await t.stop();
});

const get = (path: string) => fetch(`${t.line.url}${path}`, { headers: { authorization: `Bearer ${CONSOLE_TOKEN}` } });

describe("metrics", () => {
  it("label call outcomes, engineer legs and the time to a human with drill true or false", async () => {
    const metrics = await (await get("/metrics")).text();
    expect(metrics).toMatch(/^emergency_line_calls_total\{outcome="connected",drill="true"\} 1$/m);
    expect(metrics).toMatch(/^emergency_line_calls_total\{outcome="abandoned",drill="false"\} 1$/m);
    expect(metrics).not.toMatch(/^emergency_line_calls_total\{outcome="connected",drill="false"\}/m);
    expect(metrics).toMatch(/^emergency_line_engineer_legs_total\{result="accepted",drill="true"\} 1$/m);
    expect(metrics).toMatch(/^emergency_line_engineer_legs_total\{result="busy",drill="false"\} 1$/m);
    expect(metrics).toMatch(/^emergency_line_time_to_human_seconds_count\{drill="true"\} 1$/m);
    expect(metrics).not.toMatch(/^emergency_line_time_to_human_seconds_count\{drill="false"\}/m);
  });
});

describe("the console dashboard", () => {
  it("shows drills only, real calls only, or both, with links to switch", async () => {
    const page = async (query: string) => {
      const response = await get(`/console${query}`);
      expect(response.status).toBe(200);
      return response.text();
    };
    const all = await page("");
    expect(all).toContain(drillIncident);
    expect(all).toContain(realIncident);
    expect(all).toContain('href="/console?drill=only"');
    expect(all).toContain('href="/console?drill=exclude"');
    const only = await page("?drill=only");
    expect(only).toContain(drillIncident);
    expect(only).not.toContain(realIncident);
    expect(only).toContain('href="/console?drill=all"');
    const exclude = await page("?drill=exclude");
    expect(exclude).toContain(realIncident);
    expect(exclude).not.toContain(drillIncident);
    const both = await page("?drill=all");
    expect(both).toContain(drillIncident);
    expect(both).toContain(realIncident);
  });

  it("refuses an unknown filter with a 400 that names it", async () => {
    const response = await get("/console?drill=maybe");
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("drill: must be only, exclude or all");
  });
});
