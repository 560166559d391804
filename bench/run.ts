// `npm run bench`: the line's throughput and latency against bare Express on this machine, measured by the
// same load generator in one run. See README "Benchmark" for the figures and what they mean.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpus } from "node:os";
import { createInterface } from "node:readline";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import twilio from "twilio";
import { deleteByPrefix } from "../src/store/redis.ts";
import { SimulatedCall } from "../src/simulator/carrier.ts";
import { percentile } from "../src/simulator/load.ts";
import { callerSchema, engineerSchema } from "../src/simulator/scenario.ts";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const PREFIX = `bench-${randomBytes(4).toString("hex")}:`;
const ACCOUNT = `AC${randomBytes(16).toString("hex")}`;
const TOKEN = randomBytes(16).toString("hex");
const ENV = {
  TWILIO_ACCOUNT_SID: ACCOUNT,
  TWILIO_AUTH_TOKEN: TOKEN,
  CONSOLE_TOKEN: randomBytes(16).toString("hex"),
  ENGINEERS: "Ada=+15550001001,Grace=+15550001002,Linus=+15550001003",
  REDIS_URL,
  REDIS_PREFIX: PREFIX,
  LOG_LEVEL: "silent",
};
const THROUGHPUT_SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const IN_FLIGHT = 50;
const OPEN_LOOP_RATE = 500;
const OPEN_LOOP_SECONDS = 10;
const BURST_CALLS = 200;

async function startServer(mode: "line" | "bare"): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [...(process.env.BENCH_NODE_FLAGS ?? "").split(" ").filter(Boolean), "--import", "tsx", "bench/server.ts", mode], { env: { ...process.env, ...ENV }, stdio: ["ignore", "pipe", "inherit"] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`${mode} server exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${JSON.parse(line).port}`, child };
}

const SHAPES = [
  [{ does: "accept", answerAfter: 4, talkFor: 60 }],
  [{ does: "no-answer" }, { does: "accept", answerAfter: 5 }],
  [{ does: "no-answer" }, { does: "busy" }, { does: "voicemail", answerAfter: 10 }],
].map((shape) => shape.map((e) => engineerSchema.parse(e)));

function simulatedCall(url: string, index: number) {
  const caller = callerSchema.parse({ number: `+1555${String(7000000 + (index % 3000000))}`, voicemail: { seconds: 20, says: "email ops at acme dot com", endsWith: "key" } });
  return new SimulatedCall({ target: url, accountSid: ACCOUNT, authToken: TOKEN, lineNumber: "+15550009999" }, caller, SHAPES[index % SHAPES.length]!);
}

/** Closed loop: IN_FLIGHT workers, each starting the next call as soon as its last one ended. */
async function lineThroughput(url: string) {
  const deadline = performance.now() + THROUGHPUT_SECONDS * 1000;
  let calls = 0;
  let webhooks = 0;
  let errors = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < deadline) {
        const result = await simulatedCall(url, calls).run();
        calls++;
        webhooks += result.webhooks.length;
        errors += result.errors.length;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { callsPerSecond: calls / seconds, webhooksPerSecond: webhooks / seconds, calls, errors };
}

/** The same generator's request shape (signed form POST) against bare Express, closed loop. */
async function bareThroughput(url: string) {
  const deadline = performance.now() + THROUGHPUT_SECONDS * 1000;
  let requests = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < deadline) {
        const params = { AccountSid: ACCOUNT, CallSid: `CA${randomBytes(16).toString("hex")}`, From: "+15557770001", To: "+15550009999", CallStatus: "ringing", Direction: "inbound", ApiVersion: "2010-04-01" };
        const signature = twilio.getExpectedTwilioSignature(TOKEN, `${url}/voice/incoming`, params);
        const response = await fetch(`${url}/voice/incoming`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature }, body: new URLSearchParams(params) });
        await response.text();
        requests++;
      }
    }),
  );
  return { requestsPerSecond: requests / ((performance.now() - started) / 1000) };
}

/**
 * Open loop: webhooks leave on a fixed schedule whether or not earlier ones were answered, so queueing in
 * the line shows up as latency. Each scheduled call sends incoming, then the level-1 Dial action, then the
 * status callback, 200 ms apart.
 */
async function openLoopLatency(url: string) {
  const total = OPEN_LOOP_RATE * OPEN_LOOP_SECONDS;
  const interval = 1000 / OPEN_LOOP_RATE;
  const latencies: number[] = [];
  const byStep: number[][] = [[], [], []];
  let failures = 0;
  const calls = Array.from({ length: Math.ceil(total / 3) }, () => `CA${randomBytes(16).toString("hex")}`);
  const send = async (index: number) => {
    const callSid = calls[Math.floor(index / 3)]!;
    const step = index % 3;
    const base = { AccountSid: ACCOUNT, CallSid: callSid, From: "+15557770001", To: "+15550009999", Direction: "inbound", ApiVersion: "2010-04-01" };
    const [path, params] =
      step === 0
        ? ["/voice/incoming", { ...base, CallStatus: "ringing" }]
        : step === 1
          ? ["/voice/dial?level=1", { ...base, CallStatus: "in-progress", DialCallStatus: "no-answer", DialCallDuration: "0" }]
          : ["/voice/status", { ...base, CallStatus: "completed", CallDuration: "30" }];
    const signature = twilio.getExpectedTwilioSignature(TOKEN, `${url}${path}`, params);
    const sent = performance.now();
    const response = await fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature }, body: new URLSearchParams(params) });
    await response.text();
    latencies.push(performance.now() - sent);
    byStep[step]!.push(performance.now() - sent);
    if (!response.ok) failures++;
  };
  // Call k's three webhooks go out at k*3 slots but spread 200 ms apart, keeping each call in order.
  const schedule: { at: number; index: number }[] = [];
  for (let k = 0; k < calls.length; k++) for (let step = 0; step < 3; step++) if (k * 3 + step < total) schedule.push({ at: k * 3 * interval + step * 200, index: k * 3 + step });
  schedule.sort((a, b) => a.at - b.at);
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (const { at, index } of schedule) {
    const wait = started + at - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(send(index));
  }
  await Promise.all(pending);
  const sorted = latencies.sort((a, b) => a - b);
  const stepP99 = byStep.map((values) => percentile(values.sort((a, b) => a - b), 99));
  return { sent: total, failures, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted.at(-1) ?? 0, stepP99 };
}

/** BURST_CALLS callers at once, to the end; then exactly one incident and one job of each kind per call. */
async function burst(url: string, redis: Redis) {
  const queues = ["mobilise", "followup-email"].map((name) => new Queue(name, { connection: redis, prefix: `${PREFIX}bull` }));
  const jobCounts = () => Promise.all(queues.map((queue) => queue.getJobCountByTypes("waiting", "delayed", "active", "completed", "failed", "prioritized")));
  const before = await redis.zcard(`${PREFIX}incidents`);
  const jobsBefore = await jobCounts();
  const results = await Promise.all(Array.from({ length: BURST_CALLS }, (_, i) => simulatedCall(url, 1_000_000 + i).run()));
  const incidents = (await redis.zcard(`${PREFIX}incidents`)) - before;
  const jobsAfter = await jobCounts();
  const counts = Object.fromEntries(queues.map((queue, i) => [queue.name, jobsAfter[i]! - jobsBefore[i]!]));
  await Promise.all(queues.map((queue) => queue.close()));
  const perCall = await Promise.all(results.map(async (r) => (await redis.hget(`${PREFIX}call:${r.callSid}`, "incidentId")) !== null));
  return { calls: BURST_CALLS, errors: results.flatMap((r) => r.errors).length, incidents, withIncident: perCall.filter(Boolean).length, jobs: counts as Record<string, number> };
}

async function main() {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const line = await startServer("line");
  const bare = await startServer("bare");
  try {
    console.log(`bench on ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, Node ${process.version}; load generator in this process, servers in their own`);
    const bareResult = await bareThroughput(bare.url);
    console.log(`bare express: ${bareResult.requestsPerSecond.toFixed(0)} requests/s (${IN_FLIGHT} in flight, ${THROUGHPUT_SECONDS} s)`);
    const lineResult = await lineThroughput(line.url);
    console.log(`line: ${lineResult.callsPerSecond.toFixed(1)} calls/s, ${lineResult.webhooksPerSecond.toFixed(0)} webhooks/s (${IN_FLIGHT} calls in flight, ${lineResult.calls} calls, ${lineResult.errors} errors)`);
    const latency = await openLoopLatency(line.url);
    console.log(`open loop ${OPEN_LOOP_RATE} webhooks/s for ${OPEN_LOOP_SECONDS} s: p50 ${latency.p50.toFixed(2)} ms, p95 ${latency.p95.toFixed(2)} ms, p99 ${latency.p99.toFixed(2)} ms, max ${latency.max.toFixed(2)} ms, ${latency.failures} failed of ${latency.sent}; p99 by webhook: incoming ${latency.stepP99[0]!.toFixed(1)} ms, dial ${latency.stepP99[1]!.toFixed(1)} ms, status ${latency.stepP99[2]!.toFixed(1)} ms`);
    const burstResult = await burst(line.url, redis);
    const exact =
      burstResult.incidents === BURST_CALLS &&
      burstResult.withIncident === BURST_CALLS &&
      burstResult.errors === 0 &&
      Object.values(burstResult.jobs).every((count) => count === BURST_CALLS);
    console.log(`${BURST_CALLS} calls at once: ${burstResult.withIncident} with an incident, ${burstResult.incidents} incidents raised, new jobs ${JSON.stringify(burstResult.jobs)}, ${burstResult.errors} errors — ${exact ? "exactly one incident and one job of each kind per call" : "MISMATCH"}`);
    const ratio = lineResult.webhooksPerSecond / bareResult.requestsPerSecond;
    console.log(`bench: calls/s ${lineResult.callsPerSecond.toFixed(0)}, p99 ${latency.p99.toFixed(1)} ms at ${OPEN_LOOP_RATE} webhooks/s, ratio ${ratio.toFixed(2)} vs bare express`);
    if (!exact || latency.failures > 0) process.exitCode = 1;
  } finally {
    line.child.kill();
    bare.child.kill();
    await deleteByPrefix(redis, PREFIX);
    redis.disconnect();
  }
}

await main();
