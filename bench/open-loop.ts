// The open-loop load: signed webhooks leave on a fixed schedule whether or not earlier ones were answered,
// so any queueing in the server shows as latency. Sent with node:http over kept-alive sockets, which costs
// the generator less than fetch: the generator shares this machine's cores with the servers and Redis.
import { Agent, request } from "node:http";
import { randomBytes } from "node:crypto";
import twilio from "twilio";
import { percentile } from "../src/simulator/load.ts";
import { forkBench } from "./servers.ts";

export interface Signer {
  accountSid: string;
  authToken: string;
}

// Callers' numbers are never reused between runs, so a later run's calls are not grouped with an earlier one's.
let numbersUsed = 0;
/** Calls of an open loop: each sends three webhooks. */
const callsIn = (rate: number, seconds: number) => Math.ceil(Math.round(rate * seconds) / 3);
function takeNumbers(count: number): number {
  const first = numbersUsed;
  numbersUsed += count;
  return first;
}

/**
 * `openLoop` from a process of its own, started for the run: its heap holds nothing but this run's requests,
 * so no collection of the bench's other work (the closed loops' calls) lands in the measured latencies.
 */
export async function openLoopElsewhere(url: string, signer: Signer, rate: number, seconds: number): Promise<OpenLoopResult> {
  const firstCall = takeNumbers(callsIn(rate, seconds));
  const child = forkBench(import.meta.url, ["run", JSON.stringify({ url, signer, rate, seconds, firstCall })]);
  return new Promise((resolve, reject) => {
    child.once("message", (result) => resolve(result as OpenLoopResult));
    child.once("exit", (code) => reject(new Error(`open loop exited with ${code} before answering`)));
  });
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/** One signed form POST; resolves with the status code once the whole answer has arrived. */
export function postSigned(url: string, path: string, params: Record<string, string>, signer: Signer): Promise<number> {
  const body = new URLSearchParams(params).toString();
  const signature = twilio.getExpectedTwilioSignature(signer.authToken, `${url}${path}`, params);
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method: "POST", agent, headers: { "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body), "x-twilio-signature": signature } }, (res) => {
      res.resume();
      res.once("end", () => resolve(res.statusCode ?? 0));
      res.once("error", reject);
    });
    req.once("error", reject);
    req.end(body);
  });
}

export interface OpenLoopResult {
  sent: number;
  failures: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** p99 of each step: incoming, Dial action, status callback. */
  stepP99: [number, number, number];
}

/**
 * `rate` webhooks a second for `seconds`: each call sends its incoming webhook, then the level-1 Dial action
 * (no answer), then the status callback, 200 ms apart, so every call's webhooks arrive in order.
 */
export async function openLoop(url: string, signer: Signer, rate: number, seconds: number, firstCall = takeNumbers(callsIn(rate, seconds))): Promise<OpenLoopResult> {
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const latencies: number[] = [];
  const byStep: number[][] = [[], [], []];
  let failures = 0;
  const calls = Array.from({ length: callsIn(rate, seconds) }, () => `CA${randomBytes(16).toString("hex")}`);
  const firstNumber = 7_000_000 + firstCall;
  const send = async (index: number) => {
    const step = index % 3;
    const call = Math.floor(index / 3);
    // Each call from its own number, as in an outage many partners call at once (none grouped, each pages).
    const base = { AccountSid: signer.accountSid, CallSid: calls[call]!, From: `+1555${firstNumber + call}`, To: "+15550009999", Direction: "inbound", ApiVersion: "2010-04-01" };
    const [path, params] =
      step === 0
        ? ["/voice/incoming", { ...base, CallStatus: "ringing" }]
        : step === 1
          ? ["/voice/dial?level=1", { ...base, CallStatus: "in-progress", DialCallStatus: "no-answer", DialCallDuration: "0" }]
          : ["/voice/status", { ...base, CallStatus: "completed", CallDuration: "30" }];
    const sent = performance.now();
    const status = await postSigned(url, path, params, signer).catch(() => 0);
    const ms = performance.now() - sent;
    latencies.push(ms);
    byStep[step]!.push(ms);
    if (status !== 200) failures++;
  };
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
  const sorted = (values: number[]) => values.sort((a, b) => a - b);
  const all = sorted(latencies);
  return {
    sent: total,
    failures,
    p50: percentile(all, 50),
    p95: percentile(all, 95),
    p99: percentile(all, 99),
    max: all.at(-1) ?? 0,
    stepP99: byStep.map((values) => percentile(sorted(values), 99)) as [number, number, number],
  };
}

// Run by openLoopElsewhere (last in the file: everything above is initialised by then).
if (process.argv[2] === "run" && process.argv[1] === new URL(import.meta.url).pathname) {
  const { url, signer, rate, seconds, firstCall } = JSON.parse(process.argv[3]!) as { url: string; signer: Signer; rate: number; seconds: number; firstCall: number };
  const result = await openLoop(url, signer, rate, seconds, firstCall);
  process.send!(result, () => process.exit(0));
}
