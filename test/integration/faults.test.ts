import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobId } from "../../src/followup/jobs/incident-job.ts";
import { waitFor } from "../../src/simulator/wait.ts";
import { ENGINEERS, startTestLine, TestCall, TwilioClient, baseEnv, type TestLine } from "../helpers/line.ts";
import { ownRedis } from "../helpers/processes.ts";
import { deleteKeys, testRedis, uniquePrefix } from "../helpers/redis.ts";

const numberDialled = (twiml: string) => /<Number[^>]*>([^<]+)<\/Number>/.exec(twiml)?.[1];

describe("Redis stops in the middle of 20 concurrent calls", () => {
  let redis: Awaited<ReturnType<typeof ownRedis>>;
  let t: TestLine;
  beforeAll(async () => {
    redis = await ownRedis();
    t = await startTestLine("redis-outage", { env: { REDIS_URL: redis.url } });
  });
  afterAll(async () => {
    await t.stop();
    await redis.stop();
  });

  it("keeps every caller moving, even one who calls during the outage, then has every incident and follow-up exactly once", async () => {
    const calls = Array.from({ length: 20 }, (_, i) => new TestCall(t.twilio, `+1555777${String(1000 + i)}`));
    await Promise.all(calls.map((c) => c.incoming()));

    await redis.stop();
    const notReady = await fetch(`${t.line.url}/readyz`);
    expect(notReady.status).toBe(503);

    // A 21st caller dials in while Redis is down, and nobody answers.
    const late = new TestCall(t.twilio, "+15557772000");
    expect(numberDialled((await late.incoming()).body)).toBe(ENGINEERS[0]!.number);
    expect(numberDialled((await late.dialEnded(1, "no-answer")).body)).toBe(ENGINEERS[1]!.number);
    expect(numberDialled((await late.dialEnded(2, "busy")).body)).toBe(ENGINEERS[2]!.number);
    expect((await late.dialEnded(3, "failed")).body).toContain("<Record");
    await late.hungUp(70);

    await Promise.all(
      calls.map(async (c, i) => {
        const second = await c.dialEnded(1, "no-answer");
        expect(second.status).toBe(200);
        expect(numberDialled(second.body)).toBe(ENGINEERS[1]!.number);
        if (i % 2 === 0) {
          // Engineer 2 takes the call during the outage; after the conversation the caller is not re-dialled.
          expect((await c.whisper(2)).body).toContain("Press 1 to accept");
          await c.pressOnWhisper(2, "1");
          expect((await c.dialEnded(2, "completed", 90)).body).toContain("<Hangup/>");
        } else {
          expect(numberDialled((await c.dialEnded(2, "busy")).body)).toBe(ENGINEERS[2]!.number);
          expect((await c.dialEnded(3, "no-answer")).body).toContain("<Record");
          expect((await c.recorded(25)).body).toContain("Thank you");
        }
        await c.hungUp(120);
      }),
    );
    const spooled = (await (await fetch(`${t.line.url}/readyz`)).json()).spooled;
    expect(spooled).toBeGreaterThan(0);

    await redis.start();
    await waitFor(async () => (await (await fetch(`${t.line.url}/readyz`)).json()).spooled === 0, "the spool to drain", 15_000);

    const lateView = (await t.twilio.api(`/api/calls/${late.callSid}`)).json;
    expect(lateView.outcome).toBe("voicemail");
    expect(lateView.attempts.map((a: { result: string }) => a.result)).toEqual(["no-answer", "busy", "failed"]);
    calls.push(late);
    const views = await Promise.all(calls.map(async (c) => (await t.twilio.api(`/api/calls/${c.callSid}`)).json));
    expect(views.map((v) => v.outcome)).toEqual(calls.map((_, i) => (i === 20 ? "voicemail" : i % 2 === 0 ? "connected" : "voicemail")));
    expect(views.every((v) => /^INC-/.test(v.incidentId))).toBe(true);
    const incidents = (await t.twilio.api("/api/incidents?limit=100")).json.incidents;
    expect(incidents).toHaveLength(21);
    expect(new Set(incidents.map((i: { callSid: string }) => i.callSid))).toEqual(new Set(calls.map((c) => c.callSid)));
    for (const view of views) {
      for (const [queue, kind] of [[t.line.queues.mobilise, "mobilise"], [t.line.queues.email, "email"]] as const) {
        expect(await queue.getJob(jobId(kind, view.incidentId)), `${kind} job of ${view.incidentId}`).toBeDefined();
      }
      const incident = (await t.twilio.api(`/api/incidents/${view.incidentId}`)).json;
      expect(incident.timeline.filter((e: { event: string }) => e.event === "incident.raised")).toHaveLength(1);
      expect(incident.timeline.map((e: { event: string }) => e.event)).toContain("call.ended");
    }
    expect(await t.line.queues.mobilise.getJobCountByTypes("waiting", "delayed", "completed", "active", "failed")).toBe(21);
    expect(await t.line.queues.email.getJobCountByTypes("waiting", "delayed", "completed", "active", "failed")).toBe(21);
  }, 60_000);
});

describe("the line killed between two webhooks of a call", () => {
  it("continues each call from Redis after a SIGKILL and a restart", async () => {
    const prefix = uniquePrefix("sigkill");
    // PORT=0: the process picks a free port and logs it, so no other test can take it in between.
    const env = { ...process.env, ...baseEnv(prefix, { PORT: "0", PUBLIC_BASE_URL: "https://line.example.test", RUN_WORKERS: "false", LOG_LEVEL: "info" }) };
    const start = async () => {
      const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", "serve"], { env, stdio: ["ignore", "pipe", "inherit"] });
      const port = await new Promise<number>((resolve, reject) => {
        const lines = createInterface({ input: child.stdout! });
        lines.on("line", (line) => {
          const entry = JSON.parse(line) as { msg?: string; port?: number };
          if (entry.msg === "emergency line listening") resolve(entry.port!);
        });
        child.once("exit", (code) => reject(new Error(`the line exited with ${code}`)));
      });
      return { child, client: new TwilioClient(`http://127.0.0.1:${port}`, "https://line.example.test") };
    };
    const redis = testRedis();
    let line = await start();
    try {
      const c = new TestCall(line.client, "+15557770042");
      await c.incoming();
      expect(numberDialled((await c.dialEnded(1, "no-answer")).body)).toBe(ENGINEERS[1]!.number);

      const killed = once(line.child, "exit");
      line.child.kill("SIGKILL");
      await killed;
      line = await start();

      const after = c.via(line.client);
      await after.whisper(2);
      await after.pressOnWhisper(2, "1");
      expect((await after.dialEnded(2, "completed", 45)).body).toContain("<Hangup/>");
      await after.hungUp(80);
      const view = (await line.client.api(`/api/calls/${c.callSid}`)).json;
      expect(view.outcome).toBe("connected");
      expect(view.attempts.map((a: { result: string }) => a.result)).toEqual(["no-answer", "accepted"]);
    } finally {
      line.child.kill("SIGKILL");
      await deleteKeys(redis, prefix);
      redis.disconnect();
    }
  }, 60_000);
});

describe("two instances behind one URL", () => {
  it("serve one call alternately without harm", async () => {
    const a = await startTestLine("two-a");
    const b = await startTestLine("two-b", { prefix: a.prefix });
    try {
      const onA = new TestCall(a.twilio, "+15557770043");
      const onB = onA.via(b.twilio);
      await onA.incoming();
      await onB.dialEnded(1, "busy");
      await onA.whisper(2);
      await onB.pressOnWhisper(2, "1");
      await onA.dialEnded(2, "completed", 30);
      await onB.hungUp(50);
      await onA.hungUp(50);
      const view = (await a.twilio.api(`/api/calls/${onA.callSid}`)).json;
      expect(view.outcome).toBe("connected");
      expect(view.attempts.map((x: { result: string }) => x.result)).toEqual(["busy", "accepted"]);
      const incidents = (await b.twilio.api("/api/incidents")).json.incidents;
      expect(incidents.filter((i: { callSid: string }) => i.callSid === onA.callSid)).toHaveLength(1);
    } finally {
      await b.stop();
      await a.stop();
    }
  });
});

describe("a caller over MISUSE_CALLS_PER_DAY", () => {
  it("is still put through, and the incident is flagged for staff", async () => {
    const t = await startTestLine("misuse", { env: { MISUSE_CALLS_PER_DAY: "2" } });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const c = new TestCall(t.twilio, "+15557770044");
        expect((await c.incoming()).body).toContain("<Dial");
        await c.hungUp(3);
        ids.push((await t.twilio.api(`/api/calls/${c.callSid}`)).json.incidentId);
      }
      const flags = await Promise.all(ids.map(async (id) => (await t.twilio.api(`/api/incidents/${id}`)).json.misuse));
      expect(flags).toEqual([null, null, { callsInLastDay: 3, limit: 2 }]);
    } finally {
      await t.stop();
    }
  });
});
