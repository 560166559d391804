import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestLine, TestCall, type TestLine } from "../helpers/line.ts";
import { nonEmpty, startSmtp, waitFor } from "../helpers/receivers.ts";

/**
 * Twilio does not order a verb's action, the status callback, the recording status callback and the
 * transcription callback. Whatever the order, the call's outcome and its follow-up must be the same.
 */
// A number per call: repeated calls from one number would join the first call's email (MISUSE_GROUP_MINUTES).
let callers = 0;
const stranger = () => `+4477009001${String(callers++).padStart(2, "0")}`;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let t: TestLine;

beforeAll(async () => {
  smtp = await startSmtp();
  t = await startTestLine("order", {
    workers: true,
    env: { SMTP_URL: smtp.url, SUPPORT_EMAIL: "support@platform.test", FOLLOWUP_RETRY_DELAY_MS: "50", TRANSCRIPTION_WAIT_SECONDS: "600" },
  });
});
afterAll(async () => {
  await t.stop();
  await smtp.close();
});

const mailsFor = (incidentId: string) => smtp.messages.filter((m) => m.mail.subject?.includes(incidentId));
const api = async (path: string) => (await t.twilio.api(path)).json;

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

describe("the end of a voicemail, in every order Twilio may send it", () => {
  const steps = {
    "record action": (c: TestCall) => c.recorded(40, "hangup"),
    "recording status": (c: TestCall) => c.recordingStatus(),
    transcription: (c: TestCall) => c.transcribed("It is down. Email me at jane dot doe at globex dot example."),
    "status callback": (c: TestCall) => c.hungUp(90),
  };
  const orders = permutations(Object.keys(steps) as (keyof typeof steps)[]);

  it("mails the address the caller spoke, once, in all 24 orders", async () => {
    expect(orders).toHaveLength(24);
    const calls = await Promise.all(
      orders.map(async (order) => {
        const c = new TestCall(t.twilio, stranger());
        await c.incoming();
        for (const level of [1, 2, 3]) await c.dialEnded(level, "no-answer");
        for (const step of order) expect((await steps[step](c)).status, step).toBe(200);
        return { order, c };
      }),
    );
    for (const { order, c } of calls) {
      const { incidentId, outcome } = await api(`/api/calls/${c.callSid}`);
      expect(outcome, order.join(" → ")).toBe("voicemail");
      const [mail] = await waitFor(() => nonEmpty(mailsFor(incidentId)), `the email after ${order.join(" → ")}`);
      expect(mail!.envelopeTo, order.join(" → ")).toEqual(["jane.doe@globex.example"]);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const { c } of calls) expect(mailsFor((await api(`/api/calls/${c.callSid}`)).incidentId)).toHaveLength(1);
  });

  it("mails the spoken address even when the email goes before the Record action is stored", async () => {
    const c = new TestCall(t.twilio, "+447700900188");
    await c.incoming();
    for (const level of [1, 2, 3]) await c.dialEnded(level, "no-answer");
    await c.hungUp(90);
    await c.transcribed("Down since noon. Email me at ops dot lead at globex dot example.");
    const { incidentId } = await api(`/api/calls/${c.callSid}`);
    const [mail] = await waitFor(() => nonEmpty(mailsFor(incidentId)), "the email released by the transcription");
    expect(mail!.envelopeTo).toEqual(["ops.lead@globex.example"]);
    await c.recorded(40, "hangup");
  });

  it("sends at once, without waiting for a transcription, when the recording is too short or too long to transcribe", async () => {
    for (const [seconds, statusFirst] of [[1, true], [2, false], [120, true], [130, false]] as const) {
      const c = new TestCall(t.twilio, stranger());
      await c.incoming();
      for (const level of [1, 2, 3]) await c.dialEnded(level, "no-answer");
      // Status callback first: the email is already held for a transcription when the action comes.
      if (statusFirst) await c.hungUp(90);
      await c.recorded(seconds, "hangup");
      if (!statusFirst) await c.hungUp(90);
      const { incidentId } = await api(`/api/calls/${c.callSid}`);
      const [mail] = await waitFor(() => nonEmpty(mailsFor(incidentId)), `the email after a ${seconds} s recording`, 5_000);
      expect(mail!.envelopeTo).toEqual(["support@platform.test"]);
    }
  });
});

describe("a caller who hangs up while an engineer's phone rings, the Dial action first", () => {
  for (const level of [1, 3]) {
    it(`is abandoned at engineer ${level}, with no engineer dialled after the hang-up and no voicemail`, async () => {
      const c = new TestCall(t.twilio, stranger());
      await c.incoming();
      for (let missed = 1; missed < level; missed++) await c.dialEnded(missed, "no-answer");
      // The hang-up cut the ringing short: the action says so in CallStatus, before the status callback.
      const answer = await c.dialEndedAfterHangUp(level);
      expect(answer.body).not.toContain("<Dial");
      expect(answer.body).not.toContain("<Record");
      await c.hungUp(30);
      const call = await api(`/api/calls/${c.callSid}`);
      expect(call.outcome).toBe("abandoned");
      expect(call.attempts.at(-1)).toMatchObject({ level, result: "canceled" });
      const events: { event: string; level?: number }[] = call.timeline;
      expect(events.filter((e) => e.event === "engineer.dialled").map((e) => e.level)).toEqual(Array.from({ length: level }, (_, i) => i + 1));
      expect(events.map((e) => e.event)).not.toContain("voicemail.prompt");
      expect(events.filter((e) => e.event === "incident.raised")).toHaveLength(1);
    });
  }

  it("is over even when no status callback ever comes", async () => {
    const c = new TestCall(t.twilio, stranger());
    await c.incoming();
    await c.dialEndedAfterHangUp(1);
    const call = await api(`/api/calls/${c.callSid}`);
    expect(call.outcome).toBe("abandoned");
    expect(call.incidentId).toMatch(/^INC-/);
  });
});
