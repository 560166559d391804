import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callerSchema } from "../../src/simulator/scenario.ts";
import { speechSeconds } from "../../src/simulator/verbs/say.ts";
import { heard, runCall, startTwimlServer, type CallSetup, type TwimlServer } from "../helpers/twiml-server.ts";

/**
 * The carrier as unkind as the real network: what Twilio really sends (and does not), the order and
 * repetition of its callbacks, its ring time, and its Fallback URL when the line fails.
 */
let server: TwimlServer;
beforeAll(async () => {
  server = await startTwimlServer();
});
afterAll(() => server.close());

const call = (incoming: string, others: Record<string, string> = {}, setup: CallSetup = {}) => runCall(server, incoming, others, setup);
const dial = (timeout = 20) => `<Dial action="/voice/after" timeout="${timeout}"><Number url="/voice/whisper">+15550001001</Number></Dial>`;
const whisper = '<Gather numDigits="1" timeout="10" action="/voice/answer"><Say>press 1</Say><Pause length="1"/><Say>star repeats</Say></Gather><Hangup/>';
const record = '<Record action="/voice/rec" maxLength="300" finishOnKey="#" transcribe="true" transcribeCallback="/voice/tx" recordingStatusCallback="/voice/recstatus"/>';

describe("ring time", () => {
  it("lets a phone ring 5 s past the Dial's timeout, so an engineer answering then is reached, later than the timeout says", async () => {
    const { result, requests } = await call(dial(20), { "/voice/whisper": whisper, "/voice/answer": "" }, { engineers: [{ does: "accept", answerAfter: 22 }] });
    expect(result.bridgedLevel).toBe(1);
    expect(result.humanAt).toBe(22 + speechSeconds("press 1") + 1 + speechSeconds("star repeats"));
    expect(requests.find((r) => r.path === "/voice/after")!.params).toMatchObject({ DialCallStatus: "completed", DialBridged: "true" });
  });
});

describe("what callers and engineers press", () => {
  const menu = '<Gather action="/voice/choice"><Say>press one</Say></Gather><Say>after</Say>';

  it("treats # alone on a Gather with the default finishOnKey as no input: the next verb runs, the action is not requested", async () => {
    const { paths, result } = await call(menu, {}, { caller: { keys: ["#"] } });
    expect(paths).not.toContain("/voice/choice");
    expect(heard(result)).toEqual(["press one", "after"]);
  });

  it("sends the keys before the finishOnKey, without it, and no more than numDigits", async () => {
    const ended = await call(menu, {}, { caller: { keys: ["12#"] } });
    expect(ended.requests.find((r) => r.path === "/voice/choice")!.params.Digits).toBe("12");
    const one = await call(menu.replace("<Gather ", '<Gather numDigits="1" '), {}, { caller: { keys: ["42"] } });
    expect(one.requests.find((r) => r.path === "/voice/choice")!.params.Digits).toBe("4");
  });

  it("sends a withheld caller ID as From exactly, and refuses such a caller as a drill or a partner", async () => {
    for (const number of ["anonymous", "unknown"] as const) {
      const { requests } = await call("<Say>hi</Say>", {}, { caller: { number } });
      expect(requests[0]!.params).toMatchObject({ From: number, Caller: number });
    }
    expect(callerSchema.parse({ number: "anonymous" }).drill).toBe(false);
    expect(callerSchema.safeParse({ number: "anonymous", drill: true }).error?.issues[0]).toMatchObject({ path: ["drill"] });
    expect(callerSchema.safeParse({ number: "unknown", partner: { name: "Acme" } }).error?.issues[0]).toMatchObject({ path: ["partner"] });
  });

  it("lets an engineer press * to hear the whisper again, then 1", async () => {
    const again = '<Gather numDigits="1" action="/voice/answer2"><Say>press 1 now</Say></Gather><Hangup/>';
    const { requests, result } = await call(dial(), { "/voice/whisper": whisper, "/voice/answer": again, "/voice/answer2": "" }, { engineers: [{ does: "accept", before: ["*"] }] });
    expect(requests.filter((r) => r.path.startsWith("/voice/answer")).map((r) => [r.path, r.params.Digits])).toEqual([["/voice/answer", "*"], ["/voice/answer2", "1"]]);
    expect(heard(result, "engineer 1")).toEqual(["press 1", "star repeats", "press 1 now"]);
    expect(result.bridgedLevel).toBe(1);
  });

  it("says in DialBridged whether the legs were bridged", async () => {
    const declined = await call(dial(), { "/voice/whisper": whisper, "/voice/answer": "<Hangup/>" }, { engineers: [{ does: "decline", press: "2" }] });
    expect(declined.requests.find((r) => r.path === "/voice/after")!.params).toMatchObject({ DialCallStatus: "completed", DialBridged: "false" });
    const missed = await call(dial(), {}, { engineers: [{ does: "no-answer" }] });
    expect(missed.requests.find((r) => r.path === "/voice/after")!.params).toMatchObject({ DialCallStatus: "no-answer", DialBridged: "false" });
  });

  it("fails the call when the line dials an engineer the scenario does not describe", async () => {
    const { result } = await call(dial(), { "/voice/after": '<Dial timeout="20"><Number>+15550001002</Number></Dial>' }, { engineers: [{ does: "no-answer" }] });
    expect(result.errors).toEqual(["the line dialled +15550001002 as engineer 2, which the scenario does not describe (it lists 1)"]);
  });
});

describe("the Record action and the transcription", () => {
  const caller = (seconds: number) => ({ voicemail: { seconds, says: "call me", endsWith: "key" as const } });

  it("carries RecordingUrl, RecordingDuration and Digits, and RecordingSid unless the variation leaves it out", async () => {
    const usual = await call(record, {}, { caller: caller(30) });
    expect(Object.keys(usual.requests.find((r) => r.path === "/voice/rec")!.params)).toEqual(expect.arrayContaining(["RecordingUrl", "RecordingDuration", "Digits", "RecordingSid"]));
    const bare = await call(record, {}, { caller: caller(30), variation: { omitRecordingSid: true } });
    const params = bare.requests.find((r) => r.path === "/voice/rec")!.params;
    expect(params).toMatchObject({ RecordingDuration: "30", Digits: "#" });
    expect(params.RecordingSid).toBeUndefined();
  });

  it.each([
    [2, false],
    [3, true],
    [119, true],
    [120, false],
  ])("a %i s recording gets a transcription callback: %s (Twilio transcribes over 2 s and under 120 s only)", async (seconds, transcribed) => {
    const { paths } = await call(record, {}, { caller: caller(seconds) });
    expect(paths.includes("/voice/tx")).toBe(transcribed);
  });
});

describe("the end of the call, in any order and twice", () => {
  it("requests the Dial action after a hang-up while the engineer rings (CallStatus completed), in the variation's order with the status callback", async () => {
    const first = await call(dial(), {}, { caller: { hangUpAfter: 10 }, engineers: [{ does: "no-answer" }] });
    expect(first.paths.slice(1)).toEqual(["/voice/after", "/voice/status"]);
    expect(first.requests[1]!.params).toMatchObject({ CallStatus: "completed", DialCallStatus: "canceled", DialBridged: "false" });
    const reversed = await call(dial(), {}, { caller: { hangUpAfter: 10 }, engineers: [{ does: "no-answer" }], variation: { order: ["status", "action"], hangUpDialStatus: "no-answer" } });
    expect(reversed.paths.slice(1)).toEqual(["/voice/status", "/voice/after"]);
    expect(reversed.requests[2]!.params).toMatchObject({ CallStatus: "completed", DialCallStatus: "no-answer" });
    expect(reversed.result.callbacks).toEqual([{ kind: "status", path: "/voice/status" }, { kind: "action", path: "/voice/after" }]);
  });

  it("requests the Dial action when the caller hangs up during the whisper: answered, never bridged", async () => {
    const { requests } = await call(dial(), { "/voice/whisper": whisper }, { caller: { hangUpAfter: 6 }, engineers: [{ does: "accept", answerAfter: 4 }] });
    expect(requests.find((r) => r.path === "/voice/after")!.params).toMatchObject({ CallStatus: "completed", DialCallStatus: "completed", DialBridged: "false" });
  });

  it("sends the voicemail's four callbacks in the order asked", async () => {
    const order = ["transcription", "status", "action", "recording-status"] as const;
    const { paths } = await call(record, {}, { caller: { voicemail: { seconds: 30, says: "hi" } }, variation: { order } });
    expect(paths.slice(1)).toEqual(["/voice/tx", "/voice/status", "/voice/rec", "/voice/recstatus"]);
  });

  it("sends every webhook twice when replaying, the second with the same parameters and idempotency token", async () => {
    const { requests } = await call('<Gather action="/voice/choice"><Say>press one</Say></Gather>', { "/voice/choice": "<Say>ok</Say>" }, { caller: { keys: ["1"] }, variation: { replay: true } });
    expect(requests.map((r) => r.path)).toEqual(["/voice/incoming", "/voice/incoming", "/voice/choice", "/voice/choice", "/voice/status", "/voice/status"]);
    for (let i = 0; i < requests.length; i += 2) {
      expect(requests[i + 1]!.params).toEqual(requests[i]!.params);
      expect(requests[i + 1]!.token).toBe(requests[i]!.token);
      expect(requests[i]!.token).toMatch(/^[0-9a-f]{32}$/);
    }
    expect(new Set(requests.map((r) => r.token)).size).toBe(3);
  });
});

describe("the Fallback URL", () => {
  const fallback = { "/voice/fallback": "<Say>sorry, one moment</Say>" };
  const fallbackRequest = (run: Awaited<ReturnType<typeof call>>) => run.requests.find((r) => r.path === "/voice/fallback");

  it.each([
    ["an HTTP 5xx", { status: 503 }, "11200"],
    ["a dropped connection", { drop: true }, "11205"],
    ["no answer in time", { delayMs: 400 }, "11205"],
  ] as const)("is requested after %s, with the same parameters plus ErrorCode and ErrorUrl, and its TwiML runs", async (_what, fault, code) => {
    const run = await call("<Say>never</Say>", fallback, { webhookTimeoutMs: 200, faults: (s) => s.failNext("/voice/incoming", fault) });
    const first = run.requests[0]!;
    expect(fallbackRequest(run)!.params).toEqual({ ...first.params, ErrorCode: code, ErrorUrl: `${server.base}/voice/incoming` });
    expect(fallbackRequest(run)!.signed).toBe(true);
    expect(heard(run.result)).toEqual(["sorry, one moment"]);
    expect(run.result.events.some((e) => e.party === "carrier" && e.text.includes("Fallback URL") && e.text.includes(code))).toBe(true);
    expect(run.result.errors).toEqual([]);
  });

  it("is requested for an action on the caller's leg too", async () => {
    const run = await call('<Gather action="/voice/choice"><Say>press</Say></Gather>', fallback, { caller: { keys: ["1"] }, faults: (s) => s.failNext("/voice/choice", { status: 500 }) });
    expect(fallbackRequest(run)!.params).toMatchObject({ Digits: "1", ErrorCode: "11200", ErrorUrl: `${server.base}/voice/choice` });
  });

  it("when it fails too, the caller hears an application error, the call ends and the drill reports it", async () => {
    const run = await call("<Say>never</Say>", {}, { faults: (s) => (s.failNext("/voice/incoming", { status: 502 }), s.failNext("/voice/fallback", { status: 500 })) });
    expect(heard(run.result)).toEqual(["(an application error has occurred; the call ends)"]);
    expect(run.result.errors).toEqual([expect.stringMatching(/^\/voice\/incoming answered HTTP 502.*the Fallback URL failed too.*application error/)]);
    expect(run.paths.at(-1)).toBe("/voice/status");
  });

  it("is not requested for a 4xx, which says the line refused a correct request, nor for an engineer's leg", async () => {
    const refused = await call("<Say>x</Say>", fallback, { faults: (s) => s.failNext("/voice/incoming", { status: 403 }) });
    expect(refused.paths).not.toContain("/voice/fallback");
    expect(refused.result.errors[0]).toMatch(/^\/voice\/incoming answered HTTP 403/);
    const engineer = await call(dial(), { ...fallback, "/voice/whisper": whisper }, { engineers: [{ does: "accept" }], faults: (s) => s.failNext("/voice/whisper", { status: 500 }) });
    expect(engineer.paths).not.toContain("/voice/fallback");
    expect(engineer.result.bridgedLevel).toBeNull();
  });
});
