import { afterAll, describe, expect, it } from "vitest";
import { PARTNER, startFollowupRig } from "../helpers/followup-rig.ts";
import { CONSOLE_TOKEN, TestCall, type TestLine } from "../helpers/line.ts";
import { nonEmpty, waitFor } from "../helpers/receivers.ts";

/**
 * Calls whose first webhook left no session (it was lost, or answered from the request alone while Redis was
 * away): the later webhooks of the caller's leg rebuild a minimal session, so the incident is whole.
 */
const rig = await startFollowupRig();
afterAll(() => rig.close());

const callView = async (t: TestLine, callSid: string) => (await t.twilio.api(`/api/calls/${callSid}`)).json;
const listed = async (t: TestLine, id: string) => ((await t.twilio.api("/api/incidents")).json.incidents as { id: string }[]).find((i) => i.id === id);

describe("a call the line never saw start", () => {
  it("a voicemail is an incident staff can see, page and follow up, with its caller and partner", async () => {
    const t = await rig.line("orphan-voicemail");
    const c = new TestCall(t.twilio, PARTNER);
    expect((await c.recorded(40)).body).toContain("<Say");
    await c.hungUp(90);
    await c.transcribed("The payments API fails for everyone, please call back.");
    const call = await callView(t, c.callSid);
    expect(call).toMatchObject({ from: PARTNER, reconstructed: true, outcome: "voicemail", partner: { name: "Acme Payments" } });
    const incidentId = call.incidentId as string;

    expect(await listed(t, incidentId)).toMatchObject({ id: incidentId, reconstructed: true, caller: PARTNER, outcome: "voicemail", partner: { name: "Acme Payments" } });
    const [mail] = await waitFor(() => nonEmpty(rig.mailsFor(incidentId)), "the follow-up email");
    expect(mail!.envelopeTo).toEqual(["oncall@acme.test"]);
    const view = await waitFor(async () => {
      const v = await rig.incident(t, incidentId);
      return v.followup.mobilise.state === "sent" && v;
    }, "the page");
    expect(view.voicemail.transcript).toContain("payments API");
    expect(rig.postsTo("/real/orphan-voicemail")).toHaveLength(1);

    const page = await fetch(`${t.line.url}/console/calls/${c.callSid}`, { headers: { authorization: `Bearer ${CONSOLE_TOKEN}` } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Session reconstructed");
  });

  it("a hang-up alone raises an abandoned incident with the caller, not nothing", async () => {
    const t = await rig.line("orphan-hangup");
    const c = new TestCall(t.twilio, "+15557770042");
    await c.hungUp(4);
    const call = await callView(t, c.callSid);
    expect(call).toMatchObject({ from: "+15557770042", reconstructed: true, outcome: "abandoned", callStatus: "completed" });
    expect(await listed(t, call.incidentId)).toMatchObject({ reconstructed: true, caller: "+15557770042", outcome: "abandoned" });
    await waitFor(async () => (await rig.incident(t, call.incidentId)).followup.mobilise.state === "sent", "the page");
  });

  it("a Dial action goes on hunting with the session it rebuilt, and the hang-up then raises the incident", async () => {
    const t = await rig.line("orphan-dial");
    const c = new TestCall(t.twilio, PARTNER);
    const next = await c.dialEnded(1, "no-answer");
    expect(next.body).toContain("+15550001002");
    await c.hungUp(30);
    const call = await callView(t, c.callSid);
    expect(call).toMatchObject({ reconstructed: true, outcome: "abandoned", attempts: [{ level: 1, result: "no-answer" }] });
    expect(await listed(t, call.incidentId)).toMatchObject({ caller: PARTNER, attempts: [{ level: 1, result: "no-answer" }] });
  });

  it("a real session arriving after the reconstruction is the one read", async () => {
    const t = await rig.line("orphan-late-incoming");
    const c = new TestCall(t.twilio, PARTNER);
    await c.recorded(40);
    await c.incoming();
    const call = await callView(t, c.callSid);
    expect(call).toMatchObject({ reconstructed: false, callsInLastDay: 1, outcome: "voicemail" });
    expect((await rig.incident(t, call.incidentId)).reconstructed).toBe(false);
  });

  it("a transcription of an incident raised without a session makes it whole, caller unknown", async () => {
    const t = await rig.line("orphan-transcript");
    const c = new TestCall(t.twilio, PARTNER);
    // Raised before this line reconstructed sessions: an incident with no session at all.
    const { incidentId } = await t.line.incidents.raiseOnce(c.callSid, "voicemail");
    expect(await listed(t, incidentId!)).toBeUndefined();
    await c.transcribed("Please email ops at acme dot com");
    // The transcript counts before any recording is stored: its contact is there for the follow-up.
    expect(await listed(t, incidentId!)).toMatchObject({ reconstructed: true, caller: "unknown", voicemail: { recordingUrl: null, contact: { email: "ops@acme.com" } } });
  });
});
