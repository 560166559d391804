import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SimulatedCall } from "../../src/simulator/carrier.ts";
import { callerSchema } from "../../src/simulator/scenario.ts";
import { speechSeconds } from "../../src/simulator/verbs/say.ts";
import { ACCOUNT, heard, runCall, startTwimlServer, TOKEN, type TwimlServer } from "../helpers/twiml-server.ts";

/**
 * The interpreter, verb by verb, against hand-written TwiML: a small server answers each path with the
 * document a test gives it and records every request Twilio would make, with its signature checked.
 */
let server: TwimlServer;
let base: string;

beforeAll(async () => {
  server = await startTwimlServer();
  base = server.base;
});
afterAll(() => server.close());

function call(incoming: string, others: Record<string, string> = {}, caller = {}, engineers: unknown[] = []) {
  return runCall(server, incoming, others, { caller, engineers });
}

describe("every request", () => {
  it("is signed as Twilio signs, carries Twilio's call parameters, and the call ends with the status callback", async () => {
    const { result, requests } = await call("<Say>Hello there caller</Say>");
    expect(requests.every((r) => r.signed)).toBe(true);
    expect(requests[0]).toMatchObject({ path: "/voice/incoming", params: { AccountSid: ACCOUNT, CallSid: result.callSid, From: "+15557770001", To: "+15550009999", CallStatus: "ringing", Direction: "inbound", ApiVersion: "2010-04-01" } });
    expect(requests.at(-1)).toMatchObject({ path: "/voice/status", params: { CallStatus: "completed", CallDuration: String(Math.round(speechSeconds("Hello there caller"))) } });
    expect(result.errors).toEqual([]);
  });
});

describe("Say, Play, Pause", () => {
  it("plays to the caller in order and takes time by word count and length", async () => {
    const { result } = await call('<Say>one two three four five</Say><Play>https://x.test/a.mp3</Play><Pause length="7"/><Say>bye</Say>');
    expect(heard(result)).toEqual(["one two three four five", "(audio https://x.test/a.mp3)", "bye"]);
    expect(result.events.map((e) => e.t).slice(0, 3)).toEqual([0, 2, 14]);
    expect(result.endedAt).toBe(2 + 5 + 7 + 1);
  });
});

describe("Gather", () => {
  it("posts the caller's keys to the action, whose document continues the call", async () => {
    const { requests, result } = await call('<Gather numDigits="1" action="/voice/choice"><Say>press one</Say></Gather><Say>never heard</Say>', { "/voice/choice": "<Say>you chose</Say>" }, { keys: ["1"] });
    expect(requests[1]).toMatchObject({ path: "/voice/choice", params: { Digits: "1" } });
    expect(heard(result)).toEqual(["press one", "you chose"]);
  });

  it("runs the next verb after the timeout when no key is pressed", async () => {
    const { paths, result } = await call('<Gather action="/voice/choice" timeout="6"><Say>press one</Say></Gather><Say>after</Say>', {}, { keys: [""] });
    expect(paths).not.toContain("/voice/choice");
    expect(heard(result)).toEqual(["press one", "after"]);
    expect(result.events.at(-1)!.t).toBeGreaterThanOrEqual(6);
  });

  it("requests the action without Digits when actionOnEmptyResult is true", async () => {
    const { requests } = await call('<Gather action="/voice/choice" actionOnEmptyResult="true"><Say>x</Say></Gather>');
    expect(requests[1]!.path).toBe("/voice/choice");
    expect(requests[1]!.params.Digits).toBeUndefined();
  });
});

describe("Dial", () => {
  const dial = (attrs = 'action="/voice/after" timeout="20"', url = ' url="/voice/whisper"') => `<Dial ${attrs}><Number${url}>+15550001001</Number></Dial>`;

  it.each([
    // Twilio rings about 5 s past the Dial's timeout of 20.
    ["no-answer", { does: "no-answer" }, 25],
    ["busy", { does: "busy" }, 3],
    ["failed", { does: "failed" }, 1],
  ])("reports %s to the action after the ring", async (status, engineer, seconds) => {
    const { requests, result } = await call(dial(), {}, {}, [engineer]);
    const action = requests.find((r) => r.path === "/voice/after")!;
    expect(action.params).toMatchObject({ DialCallStatus: status, DialCallDuration: "0" });
    expect(result.firstRingAt).toBe(0);
    expect(result.events.find((e) => e.kind === "misses")!.t).toBe(seconds);
  });

  it("counts an answer after the ring timeout and Twilio's 5 s of grace as no answer", async () => {
    const { requests } = await call(dial(), {}, {}, [{ does: "accept", answerAfter: 25 }]);
    expect(requests.find((r) => r.path === "/voice/after")!.params.DialCallStatus).toBe("no-answer");
  });

  it("runs the whisper on the engineer's leg and bridges when it ends without hanging up", async () => {
    const { requests, result } = await call(dial(), { "/voice/whisper": '<Gather numDigits="1" action="/voice/accept"><Say>press 1</Say></Gather><Hangup/>', "/voice/accept": "" }, {}, [{ does: "accept", answerAfter: 4, talkFor: 30 }]);
    const whisper = requests.find((r) => r.path === "/voice/whisper")!;
    expect(whisper.params).toMatchObject({ ParentCallSid: result.callSid, To: "+15550001001", From: "+15557770001" });
    expect(whisper.params.CallSid).not.toBe(result.callSid);
    expect(requests.find((r) => r.path === "/voice/accept")!.params).toMatchObject({ Digits: "1", CallSid: whisper.params.CallSid });
    expect(heard(result, "engineer 1")).toEqual(["press 1"]);
    expect(result.bridgedLevel).toBe(1);
    expect(result.humanAt).toBe(4 + speechSeconds("press 1"));
    const action = requests.find((r) => r.path === "/voice/after")!;
    expect(action.params).toMatchObject({ DialCallStatus: "completed", DialCallSid: whisper.params.CallSid });
    expect(Number(action.params.DialCallDuration)).toBeGreaterThanOrEqual(30);
  });

  it("shows the engineer the Dial's callerId and plays a Number's sendDigits", async () => {
    const { requests, result } = await call('<Dial callerId="+15550009999" action="/voice/after"><Number url="/voice/whisper" sendDigits="ww123">+15550001001</Number></Dial>', { "/voice/whisper": "" }, {}, [{ does: "accept", answerAfter: 2 }]);
    expect(requests.find((r) => r.path === "/voice/whisper")!.params.From).toBe("+15550009999");
    expect(result.events.some((e) => e.party === "carrier" && e.text === "sends ww123 to engineer 1")).toBe(true);
  });

  it("does not bridge a personal voicemail: the whisper times out and hangs up the leg", async () => {
    const { requests, result } = await call(dial(), { "/voice/whisper": '<Gather numDigits="1" timeout="10" action="/voice/accept"><Say>press 1</Say></Gather><Hangup/>' }, {}, [{ does: "voicemail", answerAfter: 12 }]);
    expect(requests.map((r) => r.path)).not.toContain("/voice/accept");
    expect(result.bridgedLevel).toBeNull();
    expect(requests.find((r) => r.path === "/voice/after")!.params.DialCallStatus).toBe("completed");
  });

  it("rings several Numbers at once and bridges the first to answer", async () => {
    const { result } = await call('<Dial timeout="20"><Number>+15550001001</Number><Number>+15550001002</Number></Dial>', {}, {}, [{ does: "accept", answerAfter: 9 }, { does: "accept", answerAfter: 3 }]);
    expect(result.bridgedLevel).toBe(2);
    expect(result.humanAt).toBe(3);
  });

  it("without an action, continues with the next verb", async () => {
    const { result } = await call(`${dial('timeout="5"', "")}<Say>after the dial</Say>`, {}, {}, [{ does: "no-answer" }]);
    expect(heard(result)).toEqual(["after the dial"]);
  });

  it("requests the action when the caller hangs up while it rings, then posts the status callback", async () => {
    const { requests } = await call(dial(), {}, { hangUpAfter: 10 }, [{ does: "no-answer" }]);
    expect(requests.find((r) => r.path === "/voice/after")!.params.DialCallStatus).toBe("canceled");
    expect(requests.at(-1)).toMatchObject({ path: "/voice/status", params: { CallStatus: "completed", CallDuration: "10" } });
  });
});

describe("Record", () => {
  const record = '<Record action="/voice/rec" maxLength="120" finishOnKey="#" transcribe="true" transcribeCallback="/voice/tx" recordingStatusCallback="/voice/recstatus"/><Say>no message</Say>';

  it("posts the recording to the action, then the recording status and the transcription after the call", async () => {
    const { requests, result } = await call(record, { "/voice/rec": "<Say>thanks</Say>" }, { voicemail: { seconds: 30, says: "email me at a@b.co", endsWith: "key" } });
    const paths = requests.map((r) => r.path);
    expect(paths.slice(0, 2)).toEqual(["/voice/incoming", "/voice/rec"]);
    // The status callback and the recording status come at about the same moment; the transcription minutes later.
    expect(paths.slice(2, 4).sort()).toEqual(["/voice/recstatus", "/voice/status"]);
    expect(paths[4]).toBe("/voice/tx");
    expect(requests[1]!.params).toMatchObject({ RecordingDuration: "30", Digits: "#" });
    expect(requests[1]!.params.RecordingUrl).toMatch(/\/Recordings\/RE[0-9a-f]{32}$/);
    expect(requests.find((r) => r.path === "/voice/recstatus")!.params).toMatchObject({ RecordingStatus: "completed", RecordingSid: requests[1]!.params.RecordingSid });
    expect(requests[4]!.params).toMatchObject({ TranscriptionStatus: "completed", TranscriptionText: "email me at a@b.co", RecordingSid: requests[1]!.params.RecordingSid });
    expect(heard(result)).toEqual(["(beep)", "thanks"]);
    expect(result.beepAt).toBe(0);
  });

  it("posts Digits=hangup when the caller hangs up to finish, and the call ends there", async () => {
    const { requests, result } = await call(record, { "/voice/rec": "<Say>thanks</Say>" }, { voicemail: { seconds: 15, says: "hi" } });
    expect(requests[1]!.params).toMatchObject({ Digits: "hangup", CallStatus: "completed" });
    expect(heard(result)).not.toContain("thanks");
  });

  it("skips the action and runs the next verb when the recording is empty", async () => {
    const { paths, result } = await call(record);
    expect(paths).not.toContain("/voice/rec");
    expect(heard(result)).toContain("no message");
  });

  it("stops at maxLength, and a recording of two minutes or more gets no transcription callback at all (13617)", async () => {
    const { paths, result } = await call(record.replace('maxLength="120"', 'maxLength="300"'), {}, { voicemail: { seconds: 200, says: "long", endsWith: "key" } });
    expect(paths).toContain("/voice/recstatus");
    expect(paths).not.toContain("/voice/tx");
    expect(result.events.some((e) => e.party === "carrier" && e.text.includes("13617"))).toBe(true);
    const capped = await call(record, {}, { voicemail: { seconds: 200, says: "long", endsWith: "key" } });
    expect(capped.requests[1]!.params.RecordingDuration).toBe("120");
  });
});

describe("Redirect, Hangup, Reject", () => {
  it("follows a Redirect to the next document", async () => {
    const { paths, result } = await call('<Redirect method="POST">/voice/next</Redirect>', { "/voice/next": "<Say>redirected</Say>" });
    expect(paths.slice(0, 2)).toEqual(["/voice/incoming", "/voice/next"]);
    expect(heard(result)).toEqual(["redirected"]);
  });

  it("ends the call at Hangup; nothing after it runs", async () => {
    const { result } = await call("<Hangup/><Say>never</Say>");
    expect(heard(result)).toEqual(["(the line hangs up)"]);
  });

  it("reports a rejected call as busy in the status callback", async () => {
    const { requests } = await call('<Reject reason="busy"/>');
    expect(requests.at(-1)!.params.CallStatus).toBe("busy");
  });

  it("reports a line that answers garbage instead of TwiML", async () => {
    const broken = new SimulatedCall({ target: `${base}/nowhere`, accountSid: ACCOUNT, authToken: TOKEN, lineNumber: "+15550009999" }, callerSchema.parse({ number: "+15557770001" }), []);
    server.serve("");
    server.answerRaw("/nowhere/voice/incoming", "this is not xml <");
    const failed = await broken.run();
    expect(failed.errors[0]).toMatch(/invalid TwiML/);
  });
});

describe("the engineer's leg runs the whisper by the caller's leg's rules", () => {
  const dial = '<Dial action="/voice/after" timeout="20"><Number url="/voice/whisper">+15550001001</Number></Dial>';
  const accepts = [{ does: "accept", answerAfter: 4, talkFor: 30 }];

  it("reports a <Dial> in the whisper as Twilio's error 13201, even after a Gather the engineer answers, and does not bridge", async () => {
    const whisper = '<Gather numDigits="1" action="/voice/accept"><Say>press 1</Say></Gather><Dial><Number>+15550002002</Number></Dial>';
    const { result, paths } = await call(dial, { "/voice/whisper": whisper, "/voice/accept": "" }, {}, accepts);
    expect(result.errors).toEqual([expect.stringMatching(/^\/voice\/whisper: <Dial> is not allowed on an engineer's leg .*13201/)]);
    expect(result.events.at(-1)).toMatchObject({ party: "carrier", kind: "error" });
    expect(result.bridgedLevel).toBeNull();
    expect(heard(result, "engineer 1")).toEqual([]);
    expect(paths).not.toContain("/voice/accept");
  });

  it("reports a verb the carrier does not support in the whisper instead of skipping it", async () => {
    const { result } = await call(dial, { "/voice/whisper": "<Say>hello engineer</Say><Enqueue>support</Enqueue>" }, {}, accepts);
    expect(result.errors).toEqual(["/voice/whisper: unsupported TwiML verb <Enqueue>"]);
    expect(result.bridgedLevel).toBeNull();
  });

  it("stops a whisper redirect loop with the caller's leg's guard, after the same number of documents", async () => {
    const looping = '<Say>hold on</Say><Redirect method="POST">/voice/loop</Redirect>';
    const caller = await call('<Redirect method="POST">/voice/loop</Redirect>', { "/voice/loop": looping });
    const engineer = await call(dial, { "/voice/whisper": '<Redirect method="POST">/voice/loop</Redirect>', "/voice/loop": looping }, {}, accepts);
    expect(caller.result.errors).toEqual(["more than 50 TwiML documents on the caller's leg: a redirect loop?"]);
    expect(engineer.result.errors).toEqual(["more than 50 TwiML documents on the engineer 1's leg: a redirect loop?"]);
    const loops = (paths: (string | undefined)[]) => paths.filter((path) => path === "/voice/loop").length;
    expect(loops(engineer.paths)).toBe(loops(caller.paths));
    expect(engineer.requests.filter((r) => r.path === "/voice/loop").every((r) => r.params.ParentCallSid === engineer.result.callSid)).toBe(true);
    expect(engineer.result.bridgedLevel).toBeNull();
  });
});

describe("invalid TwiML on any leg", () => {
  it("reports a verb nested in <Gather> that Twilio does not play there (13320)", async () => {
    const { result, paths } = await call('<Gather action="/voice/choice"><Say>press one</Say><Dial>+15550001001</Dial></Gather>', {}, { keys: ["1"] });
    expect(result.errors).toEqual(["<Gather> may only contain <Say>, <Play> and <Pause>, not <Dial> (Twilio 13320)"]);
    expect(paths).not.toContain("/voice/choice");
  });
});
