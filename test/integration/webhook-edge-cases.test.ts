import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ACCOUNT_SID, ENGINEERS, startTestLine, TestCall, type TestLine } from "../helpers/line.ts";

/** What a careful attacker, or an unlucky order of events, can send to the webhooks: the call must go on. */
const numberDialled = (twiml: string) => /<Number[^>]*>([^<]+)<\/Number>/.exec(twiml)?.[1];
let t: TestLine;
beforeAll(async () => {
  t = await startTestLine("edge-cases", { env: { WEBHOOK_DEADLINE_MS: "200" } });
});
afterAll(async () => {
  await t.stop();
});
const api = async (path: string) => (await t.twilio.api(path)).json;

describe("a Dial action past its deadline", () => {
  it("holds the caller with a Redirect that carries the action's own results, and the redirect dials the next engineer", async () => {
    const c = new TestCall(t.twilio, "+15557770001");
    await c.incoming();
    const recordAttempt = t.line.sessions.recordAttempt.bind(t.line.sessions);
    const spy = vi.spyOn(t.line.sessions, "recordAttempt").mockImplementationOnce(async (...args) => {
      await new Promise((resolve) => setTimeout(resolve, 600));
      return recordAttempt(...args);
    });
    try {
      const held = await c.dialEnded(1, "no-answer");
      expect(held.body).toContain("One moment please.");
      const redirect = new URL(/<Redirect[^>]*>([^<]+)<\/Redirect>/.exec(held.body)![1]!.replaceAll("&amp;", "&"));
      expect(redirect.searchParams.get("DialCallStatus")).toBe("no-answer");
      await new Promise((resolve) => setTimeout(resolve, 700));
      // Twilio's Redirect sends the call's parameters only.
      const { DialCallStatus: _s, DialCallSid: _d, DialCallDuration: _n, ...callOnly } = c.dialParams(1, "no-answer");
      const answered = await t.twilio.post(`${redirect.pathname}${redirect.search}`, callOnly);
      expect(answered.status).toBe(200);
      expect(numberDialled(answered.body)).toBe(ENGINEERS[1]!.number);
    } finally {
      spy.mockRestore();
    }
  });
});

describe("the Fallback URL", () => {
  it("resumes from the session when ErrorUrl names a Dial action whose results did not come along", async () => {
    const c = new TestCall(t.twilio, "+15557770001");
    await c.incoming();
    const { DialCallStatus: _s, DialCallSid: _d, DialCallDuration: _n, ...callOnly } = c.dialParams(1, "no-answer");
    const answer = await t.twilio.post("/voice/fallback", { ...callOnly, ErrorCode: "11205", ErrorUrl: `${t.publicBase}/voice/dial?level=1` });
    expect(answer.status).toBe(200);
    expect(numberDialled(answer.body)).toBe(ENGINEERS[0]!.number);
  });

  it("never hangs up a live caller because ErrorUrl named a callback that is not the call's TwiML", async () => {
    const c = new TestCall(t.twilio, "+15557770001");
    await c.incoming();
    for (const path of ["/voice/status", "/voice/recording/status", "/voice/transcription"]) {
      const answer = await t.twilio.post("/voice/fallback", { ...c.dialParams(1, "no-answer"), ErrorCode: "11200", ErrorUrl: `${t.publicBase}${path}` });
      expect(numberDialled(answer.body), path).toBe(ENGINEERS[0]!.number);
    }
  });
});

describe("one engineer's leg and another call", () => {
  it("a leg whose ParentCallSid is another call cannot accept this one", async () => {
    const x = new TestCall(t.twilio, "+15557770001");
    const y = new TestCall(t.twilio, "+15557770002");
    await x.incoming();
    await y.incoming();
    const forged = await t.twilio.post(`/voice/whisper/answer?level=1&parent=${x.callSid}`, y.whisperParams(1, "1"));
    expect(forged.body).toContain("<Hangup/>");
    expect((await api(`/api/calls/${x.callSid}`)).outcome).toBeNull();
  });

  it("a level past the call's own engineers is recorded without hiding the call or its incident", async () => {
    const one = await startTestLine("edge-one-engineer", { env: { ENGINEERS: "Ada=+15550001001" } });
    try {
      const c = new TestCall(one.twilio, "+15557770003");
      await c.incoming();
      await c.dialEnded(1, "no-answer");
      expect((await c.dialEnded(3, "no-answer")).status).toBe(200);
      await c.hungUp(40);
      const call = (await one.twilio.api(`/api/calls/${c.callSid}`)).json;
      expect(call.attempts.find((a: { level: number }) => a.level === 3)).toMatchObject({ engineer: null, result: "no-answer" });
      const list = await one.twilio.api("/api/incidents");
      expect(list.status).toBe(200);
      expect(list.json.incidents.map((i: { callSid: string }) => i.callSid)).toContain(c.callSid);
    } finally {
      await one.stop();
    }
  });
});

describe("a stray status-notice answer", () => {
  it("does not send a call already hunting back to engineer 1", async () => {
    const c = new TestCall(t.twilio, "+15557770001");
    await c.incoming();
    await c.dialEnded(1, "busy");
    const answer = await c.notice("1");
    expect(numberDialled(answer.body)).toBe(ENGINEERS[1]!.number);
    const events: { event: string }[] = (await api(`/api/calls/${c.callSid}`)).timeline;
    expect(events.map((e) => e.event)).not.toContain("statuspage.choice");
  });
});

describe("what no Twilio request carries", () => {
  it("refuses a recording URL that is not https, and an endless caller number, naming the field", async () => {
    const c = new TestCall(t.twilio, "+15557770001");
    await c.incoming();
    const script = await t.twilio.post("/voice/recording", { ...c.dialParams(1, "no-answer"), RecordingUrl: "javascript:alert(1)//", RecordingDuration: "20" });
    expect(script.status).toBe(400);
    expect(script.body).toContain("RecordingUrl");
    const long = await t.twilio.post("/voice/incoming", { AccountSid: ACCOUNT_SID, CallSid: c.callSid, From: "1".repeat(300), To: "+15550009999", CallStatus: "ringing" });
    expect(long.status).toBe(400);
    expect(long.body).toContain("From");
  });
});
