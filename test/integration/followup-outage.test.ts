import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestLine, TestCall, type TestLine } from "../helpers/line.ts";
import { ownRedis } from "../helpers/processes.ts";
import { startSmtp, waitFor } from "../helpers/receivers.ts";

const PARTNER = "+15557770042";
let redis: Awaited<ReturnType<typeof ownRedis>>;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let t: TestLine;
const dir = mkdtempSync(join(tmpdir(), "el-followup-outage-"));

beforeAll(async () => {
  redis = await ownRedis();
  smtp = await startSmtp();
  writeFileSync(join(dir, "partners.json"), JSON.stringify({ [PARTNER]: { name: "Acme", email: "oncall@acme.test" } }));
  t = await startTestLine("followup-outage", {
    workers: true,
    env: { REDIS_URL: redis.url, SMTP_URL: smtp.url, PARTNERS_FILE: join(dir, "partners.json"), FOLLOWUP_RETRY_DELAY_MS: "100", FOLLOWUP_ATTEMPTS: "10" },
  });
});
afterAll(async () => {
  await t.stop();
  await redis.stop();
  await smtp.close();
  rmSync(dir, { recursive: true, force: true });
});

it("sends the follow-up email once when Redis goes away between sending it and recording it", async () => {
  // The mail relay holds the message a moment: Redis stops while it does, so the send succeeds and the
  // record of it cannot be written. A failover does exactly this to a job in flight.
  smtp.slowDown(300);
  const c = new TestCall(t.twilio, PARTNER);
  await c.incoming();
  await c.whisper(1);
  await c.pressOnWhisper(1, "1");
  const { incidentId } = (await t.twilio.api(`/api/calls/${c.callSid}`)).json;
  expect(incidentId).toMatch(/^INC-/);
  await waitFor(() => smtp.receiving > 0, "the email on its way");
  await redis.stop();
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await redis.start();
  smtp.slowDown(0);
  await waitFor(() => smtp.messages.length > 0, "the follow-up email");
  const sent = async () => (await t.twilio.api(`/api/incidents/${incidentId}`)).json.followup?.email?.state === "sent";
  await waitFor(sent, "the send recorded", 15_000);
  // A retried job would have sent it again by now (retries are 100 ms apart).
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect(smtp.messages).toHaveLength(1);
}, 30_000);
