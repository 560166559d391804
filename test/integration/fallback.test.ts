import express from "express";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { twimlRoute } from "../../src/line/twiml-route.ts";
import { ENGINEERS, startTestLine, TestCall, type TestLine } from "../helpers/line.ts";

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
    const app = express();
    app.use(express.urlencoded({ extended: false }));
    app.post(
      "/voice/whisper/answer",
      twimlRoute({
        log: pino({ level: "silent" }),
        body: z.looseObject({ Digits: z.string().optional() }),
        deadline: { ms: 50, publicUrl: (url) => `https://line.example.test${url}`, holdOn: (redirect) => `<Response><Say>One moment please.</Say><Redirect>${redirect}</Redirect></Response>` },
        answer: async (p) => {
          if (slow) await new Promise((resolve) => setTimeout(resolve, 300));
          return `<Response><Say>pressed ${p.Digits}</Say></Response>`;
        },
        fallback: () => "<Response><Hangup/></Response>",
      }),
    );
    const server = app.listen(0);
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

