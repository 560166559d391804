import { createServer } from "node:http";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { webhookEdge } from "../../src/line/edge.ts";
import { twimlRoute } from "../../src/line/twiml-route.ts";
import { createMetrics } from "../../src/metrics.ts";
import { SimulatedCall } from "../../src/simulator/carrier.ts";
import { callerSchema, engineerSchema } from "../../src/simulator/scenario.ts";
import { ACCOUNT_SID, AUTH_TOKEN, ENGINEERS, startTestLine, TestCall, type TestLine } from "../helpers/line.ts";

const numberDialled = (twiml: string) => /<Number[^>]*>([^<]+)<\/Number>/.exec(twiml)?.[1];
let t: TestLine;
beforeAll(async () => {
  t = await startTestLine("fallback");
});
afterAll(async () => {
  await t.stop();
});

describe("POST /voice/fallback (the number's Fallback URL)", () => {
  it("resumes at the engineer after the one whose Dial action failed, not at the greeting", async () => {
    const c = new TestCall(t.twilio, "+15557770001");
    await c.incoming();
    await c.dialEnded(1, "no-answer");
    // The Dial action of engineer 2 timed out at Twilio (11205): it asks the fallback URL with the same params.
    const answer = await t.twilio.post("/voice/fallback", {
      ...c.dialParams(2, "no-answer"),
      ErrorCode: "11205",
      ErrorUrl: `${t.publicBase}/voice/dial?level=2`,
    });
    expect(answer.status).toBe(200);
    expect(numberDialled(answer.body)).toBe(ENGINEERS[2]!.number);
    expect(answer.body).not.toContain("Emergency on-call line.");
    const call = (await t.twilio.api(`/api/calls/${c.callSid}`)).json;
    expect(call.attempts.map((a: { level: number }) => a.level)).toEqual([1, 2]);
    expect(call.timeline.map((e: { event: string }) => e.event)).toContain("webhook.fallback");
  });

  it("without a usable ErrorUrl, resumes from the stage the session records", async () => {
    const c = new TestCall(t.twilio, "+15557770001");
    await c.incoming();
    await c.dialEnded(1, "busy");
    for (const errorUrl of [undefined, "https://elsewhere.example/voice/dial?level=1", "not a url"]) {
      const params: Record<string, string> = { ...c.dialParams(1, "busy"), ErrorCode: "11200" };
      if (errorUrl) params.ErrorUrl = errorUrl;
      const answer = await t.twilio.post("/voice/fallback", params);
      expect(numberDialled(answer.body), String(errorUrl)).toBe(ENGINEERS[1]!.number);
    }
  });

  it("is signed like every webhook", async () => {
    const c = new TestCall(t.twilio, "+15557770001");
    const answer = await t.twilio.post("/voice/fallback", { ...c.dialParams(1, "busy"), ErrorUrl: `${t.publicBase}/voice/dial?level=1` }, null);
    expect(answer.status).toBe(403);
  });
});

describe("a webhook past its deadline", () => {
  it("holds the caller with a word and a Redirect carrying the key pressed, then answers the redirect in full", async () => {
    let slow = true;
    const webhook = twimlRoute({
        body: z.looseObject({ Digits: z.string().optional() }),
        deadline: { ms: 50, publicUrl: (url) => `https://line.example.test${url}`, holdOn: (redirect) => `<Response><Say>One moment please.</Say><Redirect>${redirect}</Redirect></Response>` },
        answer: async (p) => {
          if (slow) await new Promise((resolve) => setTimeout(resolve, 300));
          return `<Response><Say>pressed ${p.Digits}</Say></Response>`;
        },
        fallback: () => "<Response><Hangup/></Response>",
      });
    // The webhook behind the line's own edge, unsigned requests let through: the deadline is what is tested.
    const edge = webhookEdge({ webhooks: new Map([["/voice/whisper/answer", webhook]]), checkSignature: () => null, metrics: createMetrics({ queues: () => [], spool: () => ({}) as never }), limits: { bytes: 65536, fields: 1000 } });
    const server = createServer((req, res) => void edge.serve(edge.match(req)!, req, res, () => pino({ level: "silent" }))).listen(0);
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const held = await (await fetch(`${base}/voice/whisper/answer?level=1`, { method: "POST", body: new URLSearchParams({ Digits: "1" }) })).text();
      expect(held).toContain("One moment please.");
      const redirect = new URL(/<Redirect>([^<]+)<\/Redirect>/.exec(held)![1]!.replaceAll("&amp;", "&"));
      expect(redirect.searchParams.get("Digits")).toBe("1");
      expect(redirect.searchParams.get("level")).toBe("1");
      // Twilio's Redirect sends the call's parameters but no Digits: the key comes from the URL.
      slow = false;
      const answered = await (await fetch(`${base}${redirect.pathname}${redirect.search}`, { method: "POST", body: new URLSearchParams({}) })).text();
      expect(answered).toContain("pressed 1");
      // Slow again on the redirected request: the fallback, never another hold.
      slow = true;
      const twice = await (await fetch(`${base}${redirect.pathname}${redirect.search}`, { method: "POST", body: new URLSearchParams({}) })).text();
      expect(twice).toContain("<Hangup/>");
    } finally {
      server.close();
    }
  });
});


describe("end to end: the carrier gives up on a slow webhook and asks the Fallback URL", () => {
  it("resumes at the right engineer, never back at the greeting and engineer 1", async () => {
    const line = await startTestLine("fallback-e2e", { publicIsLocal: true, env: { WEBHOOK_DEADLINE_MS: "5000" } });
    // Engineer 2's Dial action is made slow on purpose, once: longer than the carrier waits.
    const recordAttempt = line.line.sessions.recordAttempt.bind(line.line.sessions);
    let slowed = 0;
    const spy = vi.spyOn(line.line.sessions, "recordAttempt").mockImplementation(async (callSid, attempt) => {
      if (attempt.level === 2 && slowed++ === 0) await new Promise((resolve) => setTimeout(resolve, 1500));
      return recordAttempt(callSid, attempt);
    });
    try {
      const call = new SimulatedCall(
        { target: line.line.url, accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, lineNumber: "+15550009999", webhookTimeoutMs: 500 },
        callerSchema.parse({ number: "+15557770001" }),
        [engineerSchema.parse({ does: "no-answer" }), engineerSchema.parse({ does: "no-answer" }), engineerSchema.parse({ does: "accept", answerAfter: 3 })],
      );
      const result = await call.run();
      expect(result.errors).toEqual([]);
      expect(result.bridgedLevel).toBe(3);
      expect(result.events.some((e) => e.party === "carrier" && /fallback/i.test(e.text))).toBe(true);
      const view = (await line.twilio.api(`/api/calls/${call.callSid}`)).json;
      expect(view.outcome).toBe("connected");
      const events: { event: string; level?: number }[] = view.timeline;
      expect(events.filter((e) => e.event === "engineer.dialled").map((e) => e.level)).toEqual([1, 2, 3]);
      expect(events.filter((e) => e.event === "call.received")).toHaveLength(1);
      expect(events.map((e) => e.event)).toContain("webhook.fallback");
    } finally {
      spy.mockRestore();
      await line.stop();
    }
  });
});
