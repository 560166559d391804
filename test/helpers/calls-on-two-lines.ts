import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { startTestLine, TestCall, type TestLine, type TwilioClient } from "./line.ts";
import { startSmtp, startWebhookReceiver, waitFor } from "./receivers.ts";

export const CALL_KINDS = ["connected", "voicemail", "abandoned"] as const;
export type CallKind = (typeof CALL_KINDS)[number];

/**
 * Two instances of the line, each with its workers, over one Redis (a Cluster or behind Sentinels, as `env`
 * says), and the calls Twilio would send them, each call's webhooks shared between the two as a load
 * balancer would. Then the checks of "nothing lost, nothing twice": every call has its incident, and each
 * incident one page and one email.
 */
export async function startTwoLines(name: string, env: Record<string, string>) {
  const smtp = await startSmtp();
  const hook = await startWebhookReceiver();
  const dir = mkdtempSync(join(tmpdir(), `el-${name}-`));
  const prefix = `{test-${name}-${randomBytes(4).toString("hex")}}:`;
  const partners = Array.from({ length: 90 }, (_, i) => `+1555444${String(i).padStart(4, "0")}`);
  const partnersFile = join(dir, "partners.json");
  writeFileSync(partnersFile, JSON.stringify(Object.fromEntries(partners.map((number, i) => [number, { name: `Partner ${i}`, email: `oncall-${i}@partner.test` }]))));
  const lines: TestLine[] = [];
  const stop = async () => {
    // Each step on its own, so one failing does not leave the others running.
    for (const line of lines) await line.stop().catch(() => {});
    await Promise.allSettled([smtp.close(), hook.close()]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const instance of ["a", "b"]) {
      lines.push(
        await startTestLine(`${name}-${instance}`, {
          prefix,
          workers: true,
          env: {
            ...env,
            SMTP_URL: smtp.url,
            MOBILISE_WEBHOOK_URL: `${hook.base}/page`,
            PARTNERS_FILE: partnersFile,
            SUPPORT_EMAIL: "support@platform.test",
            FOLLOWUP_FROM: "On-call <oncall@platform.test>",
            FOLLOWUP_ATTEMPTS: "30",
            FOLLOWUP_RETRY_DELAY_MS: "100",
            TRANSCRIPTION_WAIT_SECONDS: "2",
            MISUSE_CALLS_PER_DAY: "1000",
            // One spool per instance, as in production.
            SPOOL_FILE: join(dir, `spool-${instance}.jsonl`),
          },
        }),
      );
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const [a, b] = lines as [TestLine, TestLine];
  let next = 0;
  const incidents = new Set<string>();
  const answered = { slowestMs: 0 };

  /** One call, its webhooks alternating between the instances, `pauseMs` apart as a person would be. */
  async function call(kind: CallKind, pauseMs: number): Promise<string> {
    const from = partners[next++ % partners.length]!;
    const [first, second] = next % 2 ? [a.twilio, b.twilio] : [b.twilio, a.twilio];
    const on = (client: TwilioClient) => c.via(client);
    const c = new TestCall(first, from);
    const steps = {
      connected: [() => c.incoming(), () => on(second).whisper(1), () => c.pressOnWhisper(1, "1"), () => on(second).dialEnded(1, "completed", 60), () => c.hungUp(90)],
      voicemail: [
        () => c.incoming(),
        () => on(second).dialEnded(1, "no-answer"),
        () => c.dialEnded(2, "no-answer"),
        () => on(second).dialEnded(3, "no-answer"),
        () => c.recorded(40),
        () => on(second).hungUp(80),
        () => c.transcribed("Payments are down, call me back on this number."),
      ],
      // The caller gives up while engineer 1's phone rings: the hang-up alone raises the incident.
      abandoned: [() => c.incoming(), () => c.dialEndedAfterHangUp(1), () => on(second).hungUp(9)],
    }[kind];
    for (const step of steps) {
      const started = Date.now();
      const answer = await step();
      answered.slowestMs = Math.max(answered.slowestMs, Date.now() - started);
      // Whatever Redis is doing, Twilio gets TwiML it can play: never an error the caller would hear.
      expect(answer.status, `${kind} call ${c.callSid}: ${answer.body}`).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
    return c.callSid;
  }

  /**
   * `callers` people calling at once, each call after call (every kind in turn), while `failover` runs a
   * moment after the first calls start; each places two more calls once it is over. Returns every CallSid.
   */
  async function callsDuring(failover: () => Promise<void>, { callers = 4, pauseMs = 150, startAfterMs = 800 } = {}): Promise<string[]> {
    const calls: Promise<string>[] = [];
    let over = false;
    const caller = async (n: number) => {
      for (let i = 0, after = 0; after < 2; i++) {
        if (over) after++;
        const placed = call(CALL_KINDS[(n + i) % CALL_KINDS.length]!, pauseMs);
        calls.push(placed);
        await placed;
      }
    };
    const callersDone = Promise.all(Array.from({ length: callers }, (_, n) => caller(n)));
    callersDone.catch(() => {}); // awaited below, where a failed call fails the test
    await new Promise((resolve) => setTimeout(resolve, startAfterMs));
    try {
      await failover();
    } finally {
      over = true;
    }
    await callersDone;
    return Promise.all(calls);
  }

  /** Every call has its incident, and each incident exactly one page and one email; nothing else was sent. */
  async function expectEachOnce(callSids: string[], timeoutMs = 20_000): Promise<string[]> {
    const incidentOf = async (callSid: string) => {
      for (const line of lines) {
        const { status, json } = await line.twilio.api(`/api/calls/${callSid}`).catch(() => ({ status: 0, json: null }));
        if (status === 200 && json.incidentId) return json.incidentId as string;
      }
      return null;
    };
    const ids: string[] = [];
    for (const callSid of callSids) ids.push(await waitFor(() => incidentOf(callSid), `the incident of call ${callSid}`, timeoutMs));
    expect(new Set(ids).size).toBe(callSids.length);
    const pagesOf = (id: string) => hook.posts.filter((post) => post.path === "/page" && JSON.stringify(post.body).includes(id));
    const mailsOf = (id: string) => smtp.messages.filter((message) => message.mail.subject?.includes(id));
    const missing = () => ids.filter((id) => pagesOf(id).length === 0 || mailsOf(id).length === 0);
    try {
      await waitFor(() => missing().length === 0, "a page and an email for every incident", timeoutMs);
    } catch (error) {
      const views = await Promise.all(missing().map(async (id) => ({ id, pages: pagesOf(id).length, mails: mailsOf(id).length, view: (await a.twilio.api(`/api/incidents/${id}`)).json })));
      throw new Error(`${(error as Error).message}: ${JSON.stringify(views, null, 1)}`);
    }
    // A second page or email would come from a retried job: give the workers a moment to send one.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    for (const id of ids) {
      expect(pagesOf(id), `pages for ${id}`).toHaveLength(1);
      expect(mailsOf(id), `emails for ${id}`).toHaveLength(1);
    }
    for (const id of ids) incidents.add(id);
    expect(hook.posts).toHaveLength(incidents.size);
    expect(smtp.messages).toHaveLength(incidents.size);
    return ids;
  }

  return { lines, prefix, smtp, hook, call, callsDuring, expectEachOnce, answered, stop };
}
