import { Writable } from "node:stream";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { jobId } from "../../src/followup/jobs/incident-job.ts";
import { createLogger } from "../../src/log.ts";
import { PARTNER, startFollowupRig } from "../helpers/followup-rig.ts";
import { CONSOLE_TOKEN, TestCall, type TestLine } from "../helpers/line.ts";
import { nonEmpty, waitFor } from "../helpers/receivers.ts";

/** Paging must either reach someone or say loudly that it did not: retries, /readyz, the console, the email. */
const rig = await startFollowupRig();
afterAll(() => rig.close());
afterEach(() => rig.hook.answerWith(202));

const auth = { authorization: `Bearer ${CONSOLE_TOKEN}` };
const readyz = async (t: TestLine) => {
  const response = await fetch(`${t.line.url}/readyz`);
  return { status: response.status, json: await response.json() };
};
const dashboard = async (t: TestLine) => (await fetch(`${t.line.url}/console`, { headers: auth })).text();

async function abandonedCall(t: TestLine): Promise<string> {
  const c = new TestCall(t.twilio, PARTNER);
  await c.incoming();
  await c.hungUp(5);
  return (await t.twilio.api(`/api/calls/${c.callSid}`)).json.incidentId;
}

describe("the mobilisation webhook", () => {
  it("is tried again after a 404 (a receiver being deployed) until the page goes out", async () => {
    const t = await rig.line("page-404", { FOLLOWUP_ATTEMPTS: "6" });
    rig.hook.answerWith(404);
    const id = await abandonedCall(t);
    await waitFor(() => rig.postsTo("/real/page-404").length >= 2, "two refused posts");
    rig.hook.answerWith(202);
    const view = await waitFor(async () => {
      const v = await rig.incident(t, id);
      return v.followup.mobilise.state === "sent" && v;
    }, "the page after the receiver is back");
    expect(view.followup.mobilise.attempts).toBeGreaterThanOrEqual(3);
    expect((await readyz(t)).json.paging).toBe("ok");
  });

  it("gives up at once on a refused event (400), and /readyz and the dashboard say paging is failing until it is paged", async () => {
    const t = await rig.line("page-400", { FOLLOWUP_ATTEMPTS: "6" });
    rig.hook.answerWith(400);
    const id = await abandonedCall(t);
    const view = await waitFor(async () => {
      const v = await rig.incident(t, id);
      return v.followup.mobilise.state === "failed" && v.followup.mobilise.job === "failed" && v;
    }, "the failed page");
    expect(view.followup.mobilise).toMatchObject({ attempts: 1, error: expect.stringContaining("HTTP 400") });
    expect(rig.postsTo("/real/page-400")).toHaveLength(1);
    // Still ready (Redis is fine, calls are taken): the detail says what is wrong.
    expect(await readyz(t)).toMatchObject({ status: 200, json: { ready: true, paging: "failing" } });
    expect(await dashboard(t)).toContain(`Paging failed for <a href="/console/incidents/${id}">${id}</a>`);

    // Staff retry the job once the receiver is fixed: the page goes out and the alarm clears.
    rig.hook.answerWith(202);
    await (await t.line.queues.mobilise.getJob(jobId("mobilise", id)))!.retry("failed");
    await waitFor(async () => (await rig.incident(t, id)).followup.mobilise.state === "sent", "the retried page");
    expect((await readyz(t)).json.paging).toBe("ok");
    expect(await dashboard(t)).not.toContain("Paging failed");
  });
});

describe("without MOBILISE_WEBHOOK_URL", () => {
  it("warns at start-up, says paging is off in /readyz and on the dashboard, and the email claims no page", async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const t = await rig.line("page-off", { MOBILISE_WEBHOOK_URL: "" }, { log: createLogger("info", sink) });
    const warnings = lines.map((line) => JSON.parse(line)).filter((line) => line.level === 40 && /Paging is OFF/.test(line.msg));
    expect(warnings).toHaveLength(1);
    expect(warnings[0].msg).toContain("MOBILISE_WEBHOOK_URL is not set");
    expect(await readyz(t)).toMatchObject({ status: 200, json: { ready: true, paging: "off" } });
    expect(await dashboard(t)).toContain("Paging is OFF: MOBILISE_WEBHOOK_URL is not set");

    const { incidentId } = await rig.voicemailCall(t, PARTNER, "The API is down, please help.");
    const [mail] = await waitFor(() => nonEmpty(rig.mailsFor(incidentId)), "the follow-up email");
    expect(mail!.mail.text).toContain("our support team will pick up your case and get back to you");
    expect(mail!.mail.text).not.toMatch(/paged|alerted/);
    expect((await rig.incident(t, incidentId)).followup.mobilise).toMatchObject({ state: "skipped", reason: "no MOBILISE_WEBHOOK_URL configured" });
  });
});
