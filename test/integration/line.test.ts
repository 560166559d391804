import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StatusNotice } from "../../src/statuspage/client.ts";
import { countKeys } from "../helpers/redis.ts";
import twilio from "twilio";
import { AUTH_TOKEN, DRILL_CALLER, ENGINEERS, newCallSid, startTestLine, TestCall, type TestLine } from "../helpers/line.ts";

const PARTNER = "+15557770001";
let notice: StatusNotice | null = null;
let t: TestLine;

beforeAll(async () => {
  const dir = await import("node:fs/promises").then((fs) => fs.mkdtemp("/tmp/el-partners-"));
  const partnersFile = `${dir}/partners.json`;
  await import("node:fs/promises").then((fs) =>
    fs.writeFile(partnersFile, JSON.stringify({ [PARTNER]: { name: "Acme Payments", email: "oncall@acme.test" } })),
  );
  t = await startTestLine("line", { env: { PARTNERS_FILE: partnersFile }, statusPage: { currentIncident: async () => notice } });
});
afterAll(async () => {
  await t.stop();
});

const call = (from = PARTNER) => new TestCall(t.twilio, from);
const api = (path: string) => t.twilio.api(path);
const numberDialled = (twiml: string) => /<Number[^>]*>([^<]+)<\/Number>/.exec(twiml)?.[1];

async function jobsFor(incidentId: string) {
  const queues = t.line.queues;
  const ids = async (queue: typeof queues.mobilise) => (await queue.getJobs(["waiting", "delayed", "active", "completed", "failed"])).filter((job) => job.data.incidentId === incidentId);
  return { mobilise: await ids(queues.mobilise), email: await ids(queues.email) };
}

describe("a call answered by engineer 1", () => {
  it("greets, dials engineer 1 with a whisper, and connects when they press 1", async () => {
    const c = call();
    const greeting = await c.incoming();
    expect(greeting.status).toBe(200);
    expect(greeting.body).toContain("Emergency on-call line.");
    expect(greeting.body).not.toContain("drill");
    expect(numberDialled(greeting.body)).toBe(ENGINEERS[0]!.number);
    expect(greeting.body).toContain(`action="${t.publicBase}/voice/dial?level=1"`);
    expect(greeting.body).toContain('timeout="20"');

    const whisper = await c.whisper(1);
    expect(whisper.body).toContain("Emergency call from Acme Payments");
    expect(whisper.body).toContain("Press 1 to accept");
    expect(whisper.body).toMatch(/<Gather[^>]*numDigits="1"/);
    expect(whisper.body).toMatch(/<\/Gather><Hangup\/>/);

    const accepted = await c.pressOnWhisper(1, "1");
    expect(accepted.body).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');

    const after = await c.dialEnded(1, "completed", 300);
    expect(after.body).toContain("<Hangup/>");
    await c.hungUp(320);

    const view = await api(`/api/calls/${c.callSid}`);
    expect(view.status).toBe(200);
    expect(view.json.outcome).toBe("connected");
    expect(view.json.attempts).toEqual([{ level: 1, engineer: ENGINEERS[0], result: "accepted", dialStatus: "completed", seconds: 300 }]);
    expect(view.json.incidentId).toMatch(/^INC-\d{8}-[0-9A-F]{8}$/);

    const incident = await api(`/api/incidents/${view.json.incidentId}`);
    expect(incident.json).toMatchObject({
      severity: "SEV1",
      drill: false,
      outcome: "connected",
      caller: PARTNER,
      partner: { name: "Acme Payments" },
      engineer: { name: "Ada", number: ENGINEERS[0]!.number, level: 1 },
      voicemail: null,
    });
    expect(incident.json.timeline.map((e: { event: string }) => e.event)).toEqual([
      "call.received",
      "engineer.dialled",
      "engineer.answered",
      "engineer.accepted",
      "incident.raised",
      "conversation.ended",
      "call.ended",
    ]);
    expect(incident.json.followup).toMatchObject({
      mobilise: { state: "queued", job: "waiting" },
      email: { state: "queued", job: "waiting" },
      case: { state: "open" },
    });
  });
});

describe("engineers 1 and 2 miss, engineer 3 accepts", () => {
  it.each([["no-answer"], ["busy"], ["failed"]])("with engineer 1 %s and engineer 2 declining", async (firstMiss) => {
    const c = call();
    await c.incoming();
    const toTwo = await c.dialEnded(1, firstMiss);
    expect(toTwo.body).toContain("Trying another engineer.");
    expect(numberDialled(toTwo.body)).toBe(ENGINEERS[1]!.number);

    await c.whisper(2);
    expect((await c.pressOnWhisper(2, "2")).body).toContain("<Hangup/>");
    const toThree = await c.dialEnded(2, "completed", 8);
    expect(numberDialled(toThree.body)).toBe(ENGINEERS[2]!.number);

    await c.whisper(3);
    await c.pressOnWhisper(3, "1");
    await c.dialEnded(3, "completed", 120);
    await c.hungUp();

    const view = (await api(`/api/calls/${c.callSid}`)).json;
    expect(view.outcome).toBe("connected");
    expect(view.attempts.map((a: { result: string }) => a.result)).toEqual([firstMiss, "declined", "accepted"]);
    const incident = (await api(`/api/incidents/${view.incidentId}`)).json;
    expect(incident.engineer).toMatchObject({ name: "Linus", level: 3 });
  });
});

describe("the engineer's keys on the whisper", () => {
  it("names an unknown key and asks once more, then passes the call on at a second one", async () => {
    const c = call();
    await c.incoming();
    await c.whisper(1);
    const again = await c.pressOnWhisper(1, "9");
    expect(again.body).toContain("The key 9 does nothing here.");
    expect(again.body).toContain("Press 1 to accept, 2 to pass, star to repeat.");
    expect(again.body).toContain("play=2");
    const passed = await c.client.post(`/voice/whisper/answer?level=1&parent=${c.callSid}&play=2`, c.whisperParams(1, "7"));
    expect(passed.body).toContain("<Hangup/>");
    const next = await c.dialEnded(1, "completed", 20);
    expect(numberDialled(next.body)).toBe(ENGINEERS[1]!.number);
    expect((await api(`/api/calls/${c.callSid}`)).json.attempts[0].result).toBe("declined");
  });

  it("plays the whisper again on *, at most three times, and 1 on a replay accepts", async () => {
    const c = call();
    await c.incoming();
    await c.whisper(1);
    const replay = await c.pressOnWhisper(1, "*");
    expect(replay.body).toContain("Emergency call from Acme Payments.");
    expect(replay.body).not.toContain("does nothing");
    const third = await c.client.post(`/voice/whisper/answer?level=1&parent=${c.callSid}&play=2`, c.whisperParams(1, "*"));
    expect(third.body).toContain("play=3");
    const overLimit = await c.client.post(`/voice/whisper/answer?level=1&parent=${c.callSid}&play=3`, c.whisperParams(1, "*"));
    expect(overLimit.body).toContain("<Hangup/>");
    const d = call();
    await d.incoming();
    await d.whisper(1);
    await d.pressOnWhisper(1, "*");
    expect((await d.client.post(`/voice/whisper/answer?level=1&parent=${d.callSid}&play=2`, d.whisperParams(1, "1"))).body).not.toContain("<Hangup/>");
    expect((await api(`/api/calls/${d.callSid}`)).json.outcome).toBe("connected");
  });

  it("tells the engineer a withheld number calls, and shows engineers the line's own number", async () => {
    const c = call("anonymous");
    const greeting = await c.incoming();
    expect(greeting.status).toBe(200);
    expect(greeting.body).toMatch(/<Dial[^>]*callerId="\+15550009999"/);
    const whisper = await c.whisper(1);
    expect(whisper.body).toContain("Emergency call from a withheld number.");
  });
});

describe("nobody accepts", () => {
  it("moves past a personal voicemail that answers, then records the caller's voicemail and its transcription", async () => {
    const c = call("+447700900123");
    await c.incoming();
    await c.dialEnded(1, "no-answer");
    // Engineer 2's personal voicemail answers: the whisper plays to it and no key is ever pressed.
    const whisper = await c.whisper(2);
    expect(whisper.body).toContain("from number 4 4 7 7 0 0 9 0 0 1 2 3");
    const afterVoicemail = await c.dialEnded(2, "completed", 25);
    expect(numberDialled(afterVoicemail.body)).toBe(ENGINEERS[2]!.number);
    const prompt = await c.dialEnded(3, "busy");
    expect(prompt.body).toContain("describe the problem");
    expect(prompt.body).toContain("an email address or a phone number");
    // Twilio transcribes recordings under 120 s only: the limit keeps a margin, and the contact is asked first.
    expect(prompt.body).toMatch(/<Record[^>]*maxLength="100"[^>]*transcribe="true"/);
    expect(prompt.body.indexOf("an email address or a phone number")).toBeLessThan(prompt.body.indexOf("describe the problem"));
    expect(prompt.body).toContain(`transcribeCallback="${t.publicBase}/voice/transcription"`);
    expect(prompt.body).toContain(`recordingStatusCallback="${t.publicBase}/voice/recording/status"`);

    const thanks = await c.recorded(37);
    expect(thanks.body).toContain("Thank you");
    expect(thanks.body).toContain("<Hangup/>");
    await c.recordingStatus();
    await c.hungUp(130);
    await c.transcribed("Payments are failing for all users. Please email me at jane dot doe at partner dot com. Thanks.");

    const view = (await api(`/api/calls/${c.callSid}`)).json;
    expect(view.outcome).toBe("voicemail");
    expect(view.attempts.map((a: { result: string }) => a.result)).toEqual(["no-answer", "not-accepted", "busy"]);
    const incident = (await api(`/api/incidents/${view.incidentId}`)).json;
    expect(incident.engineer).toBeNull();
    expect(incident.partner).toBeNull();
    expect(incident.voicemail).toMatchObject({
      recordingSid: `RE${"1".repeat(32)}`,
      durationSeconds: 37,
      transcriptionStatus: "completed",
      contact: { email: "jane.doe@partner.com", phone: null },
    });
    const events = incident.timeline.map((e: { event: string }) => e.event);
    expect(events).toEqual([
      "call.received",
      "engineer.dialled",
      "engineer.missed",
      "engineer.dialled",
      "engineer.answered",
      "engineer.missed",
      "engineer.dialled",
      "engineer.missed",
      "voicemail.prompt",
      "voicemail.recorded",
      "incident.raised",
      "recording.status",
      "call.ended",
      "voicemail.transcribed",
    ]);
    expect(incident.timeline[5].text).toContain("possibly a personal voicemail");
  });

  it("keeps the voicemail outcome when the hang-up is reported before the recording", async () => {
    const c = call();
    await c.incoming();
    for (const level of [1, 2, 3]) await c.dialEnded(level, "no-answer");
    await c.hungUp(90);
    await c.recorded(20, "hangup");
    const view = (await api(`/api/calls/${c.callSid}`)).json;
    expect(view.outcome).toBe("voicemail");
    expect(view.recording).toMatchObject({ duration: 20 });
  });
});

describe("the caller hangs up mid-hunt", () => {
  it("is recorded as abandoned, once, and the late Dial action changes nothing", async () => {
    const c = call();
    await c.incoming();
    await c.dialEnded(1, "no-answer");
    await c.hungUp(30);
    const late = await c.dialEnded(2, "canceled");
    expect(late.body).not.toContain("<Dial");
    const view = (await api(`/api/calls/${c.callSid}`)).json;
    expect(view.outcome).toBe("abandoned");
    expect(view.stage).toBe("ended");
    const incident = (await api(`/api/incidents/${view.incidentId}`)).json;
    expect(incident.outcome).toBe("abandoned");
    expect(incident.attempts.map((a: { result: string }) => a.result)).toEqual(["no-answer", "canceled"]);
  });
});

describe("the status page shows an incident", () => {
  it("tells the caller, and says goodbye when no key is pressed", async () => {
    notice = { name: "Elevated payment API errors", link: "https://status.example.test/i/1" };
    const c = call();
    const answer = await c.incoming();
    notice = null;
    expect(answer.body).toContain("Our status page already shows an incident: Elevated payment API errors");
    expect(answer.body).toContain("cannot give further updates by phone");
    expect(answer.body).toContain("press 1");
    expect(answer.body).not.toContain("<Dial");
    expect(answer.body).toContain(`<Redirect method="POST">${t.publicBase}/voice/notice</Redirect>`);
    const bye = await c.notice();
    expect(bye.body).toContain("Goodbye");
    expect(bye.body).toContain("<Hangup/>");
    await c.hungUp(25);
    const view = (await api(`/api/calls/${c.callSid}`)).json;
    expect(view.outcome).toBe("status-page");
    const incident = (await api(`/api/incidents/${view.incidentId}`)).json;
    expect(incident.statusPageIncident).toBe("Elevated payment API errors");
  });

  it("puts the caller through to engineer 1 when they press 1", async () => {
    notice = { name: "Elevated payment API errors", link: null };
    const c = call();
    await c.incoming();
    notice = null;
    const dial = await c.notice("1");
    expect(numberDialled(dial.body)).toBe(ENGINEERS[0]!.number);
    await c.whisper(1);
    await c.pressOnWhisper(1, "1");
    expect((await api(`/api/calls/${c.callSid}`)).json.outcome).toBe("connected");
  });
});

describe("a drill caller", () => {
  it("hears that it is a drill, the engineer's whisper says so, and the incident is flagged", async () => {
    const c = call(DRILL_CALLER);
    const greeting = await c.incoming();
    expect(greeting.body).toContain("This is a drill.");
    const whisper = await c.whisper(1);
    expect(whisper.body).toContain("Drill call.");
    await c.pressOnWhisper(1, "1");
    const view = (await api(`/api/calls/${c.callSid}`)).json;
    expect(view.drill).toBe(true);
    const incident = (await api(`/api/incidents/${view.incidentId}`)).json;
    expect(incident.drill).toBe(true);
  });
});

describe("Twilio replays every webhook", () => {
  it("raises one incident and queues one job of each kind", async () => {
    const c = call();
    const twice = async (step: () => Promise<{ body: string }>) => {
      const first = await step();
      const second = await step();
      expect(second.body).toBe(first.body);
    };
    await twice(() => c.incoming());
    await twice(() => c.dialEnded(1, "no-answer"));
    await twice(() => c.whisper(2));
    await twice(() => c.dialEnded(2, "completed", 20));
    await twice(() => c.dialEnded(3, "failed"));
    await twice(() => c.recorded(30));
    await twice(() => c.recordingStatus());
    await twice(() => c.hungUp(100));
    await twice(() => c.transcribed("call me back on plus four four seven seven double oh nine hundred"));

    const view = (await api(`/api/calls/${c.callSid}`)).json;
    expect(view.outcome).toBe("voicemail");
    expect(view.attempts).toHaveLength(3);
    const incidents = (await api("/api/incidents?limit=500")).json.incidents.filter((i: { callSid: string }) => i.callSid === c.callSid);
    expect(incidents).toHaveLength(1);
    const jobs = await jobsFor(view.incidentId);
    expect(jobs.mobilise).toHaveLength(1);
    expect(jobs.email).toHaveLength(1);
    const incident = (await api(`/api/incidents/${view.incidentId}`)).json;
    const events: string[] = incident.timeline.map((e: { event: string }) => e.event);
    expect(events.filter((e) => e === "incident.raised")).toHaveLength(1);
    expect(events.filter((e) => e === "engineer.dialled")).toHaveLength(3);
    expect(events).toHaveLength(new Set(incident.timeline.map((e: { at: string; event: string; text: string }) => e.event + e.text)).size);
  });

  it("a first webhook replayed after the status page changed carries the call on as it started", async () => {
    // The greeting's writes go to Redis with the session's start (one round trip), guarded by that session:
    // the replay's own reading (a status notice now) must not reach the stored call.
    const c = call();
    const first = await c.incoming();
    notice = { name: "Elevated payment API errors", link: null };
    try {
      const replayed = await c.incoming();
      expect(replayed.body).toBe(first.body);
      expect(numberDialled(replayed.body)).toBe(ENGINEERS[0]!.number);
    } finally {
      notice = null;
    }
    const view = (await api(`/api/calls/${c.callSid}`)).json;
    expect(view.stage).toBe("hunting");
    const events: string[] = (await t.line.timeline.read(c.callSid)).map((e) => e.event);
    expect(events).toEqual(["call.received", "engineer.dialled"]);
  });

  it("keeps the first key an engineer pressed", async () => {
    const c = call();
    await c.incoming();
    await c.whisper(1);
    await c.pressOnWhisper(1, "1");
    await c.pressOnWhisper(1, "5");
    await c.dialEnded(1, "completed", 60);
    const view = (await api(`/api/calls/${c.callSid}`)).json;
    expect(view.attempts[0].result).toBe("accepted");
    const events: string[] = (await t.line.timeline.read(c.callSid)).map((e) => e.event);
    expect(events.filter((e) => e.startsWith("engineer.") && e !== "engineer.dialled" && e !== "engineer.answered")).toEqual(["engineer.accepted"]);
  });

  it("keeps a decline pressed first: a 1 pressed after it neither connects the call nor raises its incident", async () => {
    const c = call();
    await c.incoming();
    await c.whisper(1);
    expect((await c.pressOnWhisper(1, "2")).body).toContain("Hangup");
    const late = await c.pressOnWhisper(1, "1");
    expect(late.body).toContain("Hangup");
    const view = (await api(`/api/calls/${c.callSid}`)).json;
    expect(view.stage).toBe("hunting");
    expect(await t.line.incidents.idOfCall(c.callSid)).toBeNull();
    const events: string[] = (await t.line.timeline.read(c.callSid)).map((e) => e.event);
    expect(events).toContain("engineer.declined");
    expect(events).not.toContain("engineer.accepted");
  });
});

describe("requests that are not Twilio's", () => {
  it("refuses forged and unsigned requests with 403 and stores nothing", async () => {
    const c = new TestCall(t.twilio, PARTNER);
    const before = await countKeys(t.redis, t.line.keys.call(""));
    const params = { AccountSid: `AC${"a".repeat(32)}`, CallSid: c.callSid, From: PARTNER, To: "+15550009999", CallStatus: "ringing" };
    const unsigned = await t.twilio.post("/voice/incoming", params, null);
    expect(unsigned.status).toBe(403);
    const forged = await t.twilio.post("/voice/incoming", params, "bm90IGEgcmVhbCBzaWduYXR1cmU=");
    expect(forged.status).toBe(403);
    // A valid signature for other parameters: the caller number was tampered with in transit.
    const signedForOther = await t.twilio.post("/voice/incoming", { ...params, From: "+15550000000" });
    expect(signedForOther.status).toBe(200);
    const tampered = await fetch(`${t.line.url}/voice/incoming`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": "AAAA" },
      body: new URLSearchParams({ ...params, From: "+19999999999" }),
    });
    expect(tampered.status).toBe(403);
    expect((await api(`/api/calls/${c.callSid}`)).json.from).toBe("+15550000000");
    expect(await countKeys(t.redis, t.line.keys.call(""))).toBe(before + 2);
  });

  it("accepts the secondary auth token during a rotation, and no other token", async () => {
    const rotating = await startTestLine("rotation", { env: { TWILIO_AUTH_TOKEN_SECONDARY: "the-new-token-0123456789" } });
    try {
      const params = { AccountSid: `AC${"a".repeat(32)}`, CallSid: newCallSid(), From: PARTNER, To: "+15550009999", CallStatus: "ringing" };
      const url = `${rotating.publicBase}/voice/incoming`;
      const signedWith = (token: string) => rotating.twilio.post("/voice/incoming", params, twilio.getExpectedTwilioSignature(token, url, params));
      expect((await signedWith("the-new-token-0123456789")).status).toBe(200);
      expect((await signedWith(AUTH_TOKEN)).status).toBe(200);
      expect((await signedWith("some-other-token-0123456")).status).toBe(403);
    } finally {
      await rotating.stop();
    }
  });

  it("refuses a request signed for another URL (a signature is bound to path and query)", async () => {
    const c = call();
    await c.incoming();
    const params = { AccountSid: `AC${"a".repeat(32)}`, CallSid: c.callSid, From: PARTNER, To: "+15550009999", CallStatus: "in-progress", DialCallStatus: "no-answer" };
    const { default: twilio } = await import("twilio");
    const signature = twilio.getExpectedTwilioSignature("test-auth-token-0123456789abcdef", `${t.publicBase}/voice/dial?level=1`, params);
    const replayedElsewhere = await t.twilio.post("/voice/dial?level=3", params, signature);
    expect(replayedElsewhere.status).toBe(403);
    expect((await api(`/api/calls/${c.callSid}`)).json.attempts).toEqual([]);
  });

  it("answers 400 naming the missing or malformed field, and stores nothing", async () => {
    const c = new TestCall(t.twilio, PARTNER);
    const missing = await t.twilio.post("/voice/incoming", { AccountSid: `AC${"a".repeat(32)}`, From: PARTNER, To: "+15550009999", CallStatus: "ringing" });
    expect(missing.status).toBe(400);
    expect(JSON.parse(missing.body)).toEqual({ field: "CallSid", error: "invalid webhook parameter CallSid: required" });

    const badStatus = await t.twilio.post("/voice/dial?level=1", {
      AccountSid: `AC${"a".repeat(32)}`, CallSid: c.callSid, From: PARTNER, To: "+1", CallStatus: "in-progress", DialCallStatus: "exploded",
    });
    expect(badStatus.status).toBe(400);
    expect(JSON.parse(badStatus.body).field).toBe("DialCallStatus");

    const badLevel = await t.twilio.post("/voice/dial?level=7", {
      AccountSid: `AC${"a".repeat(32)}`, CallSid: c.callSid, From: PARTNER, To: "+1", CallStatus: "in-progress", DialCallStatus: "busy",
    });
    expect(badLevel.status).toBe(400);
    expect(JSON.parse(badLevel.body).field).toBe("level");
    expect((await api(`/api/calls/${c.callSid}`)).status).toBe(404);
  });
});

describe("a failure inside a webhook", () => {
  it("still moves the caller on to the next engineer, then to voicemail", async () => {
    // No session exists for these calls (as if Redis lost them): the line must still answer with a next step,
    // from a session rebuilt out of the webhook (the Dial action) or from the request alone (the whisper).
    const next = await call().dialEnded(1, "no-answer");
    expect(next.status).toBe(200);
    expect(numberDialled(next.body)).toBe(ENGINEERS[1]!.number);
    const voicemail = await call().dialEnded(3, "no-answer");
    expect(voicemail.body).toContain("<Record");
    const whisper = await call().whisper(2);
    expect(whisper.body).toContain("Press 1 to accept");
    // The engineer's leg comes From the line's own number (the Dial's callerId): nothing to name the caller by.
    expect(whisper.body).toContain("Emergency call on the on-call line.");
    // A leg that lasted well past the whisper was a conversation: the caller is not sent on to another engineer.
    expect((await call().dialEnded(2, "completed", 240)).body).toContain("The engineer has left the call");
    expect(numberDialled((await call().dialEnded(2, "completed", 15)).body)).toBe(ENGINEERS[2]!.number);
  });
});

describe("the staff API", () => {
  it("refuses without the bearer token", async () => {
    for (const path of ["/api/incidents", "/api/incidents/INC-1", "/api/calls/CA1"]) {
      expect((await t.twilio.api(path, null)).status).toBe(401);
      expect((await t.twilio.api(path, "wrong-token")).status).toBe(401);
    }
  });

  it("lists incidents newest first and answers 404 for unknown ones", async () => {
    const list = (await api("/api/incidents?limit=5")).json.incidents;
    expect(list.length).toBeGreaterThan(1);
    const times = list.map((i: { raisedAt: string }) => i.raisedAt);
    expect([...times].sort().reverse()).toEqual(times);
    expect((await api("/api/incidents/INC-00000000-NOPE")).status).toBe(404);
    expect((await api("/api/incidents?limit=0")).status).toBe(400);
  });

  it("reports readiness from Redis", async () => {
    const ready = await fetch(`${t.line.url}/readyz`);
    expect(ready.status).toBe(200);
    // Ready without a mobilisation webhook (calls are still taken), but the detail says nobody is paged.
    expect(await ready.json()).toEqual({ ready: true, redis: "up", spooled: 0, unspooled: 0, spoolFile: "ok", paging: "off", pausedQueues: [] });
  });
});
