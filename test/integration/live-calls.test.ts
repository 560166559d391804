import { afterAll, beforeAll, expect, it } from "vitest";
import { CONSOLE_TOKEN, startTestLine, TestCall, type TestLine } from "../helpers/line.ts";

// In a major outage more partners call at once than any "newest N sessions" look-up holds: the dashboard's
// "Calls in progress" comes from an exact index of calls not yet ended, so every one of them shows, and a
// call leaves it when it ends, whatever else the line stored meanwhile.

let t: TestLine;
beforeAll(async () => {
  t = await startTestLine("live-calls");
});
afterAll(async () => {
  await t?.stop();
});

const liveShown = async () => {
  const response = await fetch(`${t.line.url}/console`, { headers: { authorization: `Bearer ${CONSOLE_TOKEN}` } });
  expect(response.status).toBe(200);
  const html = await response.text();
  return [...html.matchAll(/<li class="live-call"><a href="\/console\/calls\/(CA[0-9a-f]+)"/g)].map((m) => m[1]!);
};

it("shows every call in progress, 70 at once, and drops each as it ends", async () => {
  const calls = Array.from({ length: 70 }, (_, i) => new TestCall(t.twilio, `+1555888${String(i).padStart(4, "0")}`));
  await Promise.all(calls.map((c) => c.incoming()));
  expect(new Set(await liveShown())).toEqual(new Set(calls.map((c) => c.callSid)));

  // Twenty hang up; then sixty more calls come and go (newer sessions than the seventy, none of them live).
  await Promise.all(calls.slice(0, 20).map((c) => c.hungUp(30)));
  for (let i = 0; i < 60; i++) {
    const passing = new TestCall(t.twilio, `+1555889${String(i).padStart(4, "0")}`);
    await passing.incoming();
    await passing.hungUp(5);
  }
  expect(new Set(await liveShown())).toEqual(new Set(calls.slice(20).map((c) => c.callSid)));
}, 60_000);
