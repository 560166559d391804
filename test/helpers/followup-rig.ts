import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestLine, TestCall, type TestLine } from "./line.ts";
import { startSmtp, startWebhookReceiver } from "./receivers.ts";

export const PARTNER = "+15557770001";

/**
 * Lines with workers, a real SMTP capture and a webhook receiver: what leaves the line after a call. Each
 * line posts to `${hook.base}/real/<name>` (drills to `/drill/<name>`); PARTNER is Acme Payments.
 */
export async function startFollowupRig(options: { partner?: Record<string, unknown> } = {}) {
  const smtp = await startSmtp();
  const hook = await startWebhookReceiver();
  const partnersFile = join(mkdtempSync(join(tmpdir(), "el-followup-")), "partners.json");
  writeFileSync(partnersFile, JSON.stringify({ [PARTNER]: options.partner ?? { name: "Acme Payments", email: "oncall@acme.test" } }));
  const lines: TestLine[] = [];

  async function line(name: string, env: Record<string, string> = {}, options: Omit<Parameters<typeof startTestLine>[1], "env" | "workers"> = {}) {
    const t = await startTestLine(name, {
      ...options,
      workers: true,
      env: {
        SMTP_URL: smtp.url,
        PARTNERS_FILE: partnersFile,
        MOBILISE_WEBHOOK_URL: `${hook.base}/real/${name}`,
        MOBILISE_DRILL_WEBHOOK_URL: `${hook.base}/drill/${name}`,
        SUPPORT_EMAIL: "support@platform.test",
        FOLLOWUP_FROM: "On-call <oncall@platform.test>",
        FOLLOWUP_ATTEMPTS: "3",
        FOLLOWUP_RETRY_DELAY_MS: "50",
        TRANSCRIPTION_WAIT_SECONDS: "30",
        ...env,
      },
    });
    lines.push(t);
    return t;
  }

  const incident = async (t: TestLine, id: string) => (await t.twilio.api(`/api/incidents/${id}`)).json;

  async function voicemailCall(t: TestLine, from: string, transcript: string | null) {
    const c = new TestCall(t.twilio, from);
    await c.incoming();
    for (const level of [1, 2, 3]) await c.dialEnded(level, "no-answer");
    await c.recorded(40);
    await c.hungUp(120);
    if (transcript !== null) await c.transcribed(transcript);
    const { incidentId } = (await t.twilio.api(`/api/calls/${c.callSid}`)).json;
    return { c, incidentId: incidentId as string };
  }

  return {
    smtp,
    hook,
    line,
    incident,
    voicemailCall,
    mailsFor: (incidentId: string) => smtp.messages.filter((m) => m.mail.subject?.includes(incidentId)),
    postsTo: (path: string) => hook.posts.filter((p) => p.path === path),
    /** Stops one line before the others (e.g. while the Redis it uses is still up). */
    async stop(t: TestLine) {
      if (lines.includes(t)) lines.splice(lines.indexOf(t), 1);
      await t.stop();
    },
    async close() {
      for (const t of lines) await t.stop();
      await smtp.close();
      await hook.close();
    },
  };
}
export type FollowupRig = Awaited<ReturnType<typeof startFollowupRig>>;
