import { spawn } from "node:child_process";
import { afterAll, beforeAll, expect, it } from "vitest";
import { baseEnv, startTestLine, TestCall, type TestLine } from "../helpers/line.ts";
import { startSmtp, waitFor } from "../helpers/receivers.ts";

let t: TestLine;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
beforeAll(async () => {
  smtp = await startSmtp();
  t = await startTestLine("worker-process", { env: { SMTP_URL: smtp.url } });
});
afterAll(async () => {
  await t.stop();
  await smtp.close();
});

it("`emergency-line worker` finishes the email in flight on SIGTERM, then exits cleanly", async () => {
  const c = new TestCall(t.twilio, "+15557770001");
  await c.incoming();
  await c.hungUp(4);
  const { incidentId } = (await t.twilio.api(`/api/calls/${c.callSid}`)).json;

  smtp.slowDown(1500);
  const worker = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", "worker"], {
    env: { ...process.env, ...baseEnv(t.prefix, { SMTP_URL: smtp.url, LOG_LEVEL: "info" }) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  worker.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  worker.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => worker.on("exit", (code) => resolve(code)));

  await waitFor(() => smtp.receiving > 0, "the worker to start sending", 15_000);
  worker.kill("SIGTERM");
  expect(await exited).toBe(0);
  expect(output).toContain("finishing jobs in flight");
  expect(smtp.messages.filter((m) => m.mail.subject?.includes(incidentId))).toHaveLength(1);
  const incident = (await t.twilio.api(`/api/incidents/${incidentId}`)).json;
  expect(incident.followup.email).toMatchObject({ state: "sent", job: "completed" });
}, 30_000);
