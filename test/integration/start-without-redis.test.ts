import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../../src/simulator/wait.ts";
import { baseEnv, ENGINEERS, TestCall, TwilioClient } from "../helpers/line.ts";
import { Redis } from "ioredis";
import { cliProcess, freezingProxy, hungRedis, ownRedis } from "../helpers/processes.ts";
import { deleteKeys, REDIS_URL, testRedis, uniquePrefix } from "../helpers/redis.ts";

const PUBLIC = "https://line.example.test";
const numberDialled = (twiml: string) => /<Number[^>]*>([^<]+)<\/Number>/.exec(twiml)?.[1];
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** `emergency-line serve` on a free port, against whatever REDIS_URL says; resolves once it listens. */
async function serve(prefix: string, redisUrl: string) {
  const line = cliProcess("serve", baseEnv(prefix, { REDIS_URL: redisUrl, PORT: "0", PUBLIC_BASE_URL: PUBLIC, RUN_WORKERS: "false", LOG_LEVEL: "info" }));
  cleanups.push(() => line.kill());
  const listening = await line.logEntry((e) => e.msg === "emergency line listening");
  const client = new TwilioClient(`http://127.0.0.1:${listening.port}`, PUBLIC);
  const readyz = async () => {
    const response = await fetch(`${client.target}/readyz`);
    return { status: response.status, body: (await response.json()) as { ready: boolean; spooled: number } };
  };
  return { line, client, readyz };
}

/**
 * A caller rings while Redis is unreachable, the line is restarted mid-call (a deploy, a crash), and only
 * then Redis comes back: every step is answered, and the call's writes reach Redis in the end.
 */
async function callThroughOutage(prefix: string, redisUrl: string, bringRedisBack: () => Promise<void>) {
  let line = await serve(prefix, redisUrl);
  const call = new TestCall(line.client, "+15557773001");
  expect(numberDialled((await call.incoming()).body)).toBe(ENGINEERS[0]!.number);
  expect(numberDialled((await call.dialEnded(1, "no-answer")).body)).toBe(ENGINEERS[1]!.number);
  const down = await line.readyz();
  expect(down.status).toBe(503);
  expect(down.body.spooled).toBeGreaterThan(0);

  await line.line.kill();
  line = await serve(prefix, redisUrl);
  const after = call.via(line.client);
  expect(numberDialled((await after.dialEnded(2, "busy")).body)).toBe(ENGINEERS[2]!.number);
  expect((await after.hungUp(40)).status).toBe(200);
  expect((await line.readyz()).status).toBe(503);

  await bringRedisBack();
  await waitFor(async () => {
    const { status, body } = await line.readyz();
    return status === 200 && body.spooled === 0;
  }, "/readyz 200 with the spool replayed", 15_000);
  const view = (await line.client.api(`/api/calls/${call.callSid}`)).json;
  expect(view.outcome).toBe("abandoned");
  expect(view.attempts.map((a: { result: string }) => a.result)).toEqual(["no-answer", "busy"]);
  const incident = await line.client.api(`/api/incidents/${view.incidentId}`);
  expect(incident.status).toBe(200);
  expect(incident.json.callSid).toBe(call.callSid);
}

describe("emergency-line serve started while Redis is unreachable", () => {
  it("answers calls from the fallbacks and the spool, survives a restart, and replays it all when Redis starts", async () => {
    const prefix = uniquePrefix("start-down");
    const redis = await ownRedis({ started: false });
    cleanups.push(() => redis.stop());
    await callThroughOutage(prefix, redis.url, () => redis.start());
    const client = new Redis(redis.url);
    await deleteKeys(client, prefix);
    client.disconnect();
  }, 60_000);

  it("does the same when Redis accepts connections but never answers", async () => {
    const prefix = uniquePrefix("start-hung");
    const hung = await hungRedis();
    cleanups.push(() => hung.close());
    const redis = await ownRedis({ started: false, port: hung.port });
    cleanups.push(() => redis.stop());
    await callThroughOutage(prefix, hung.url, async () => {
      expect(hung.connections).toBeGreaterThan(0);
      // The frozen server gives up its port to a real one; the line's old connections to it stay silent.
      await hung.release();
      await redis.start();
    });
    const client = new Redis(hung.url);
    await deleteKeys(client, prefix);
    client.disconnect();
  }, 60_000);
});

describe("emergency-line serve whose Redis link goes silent in the middle of a call", () => {
  it("keeps the writes it could not deliver, reconnects on its own, and delivers them all", async () => {
    const prefix = uniquePrefix("serve-silent");
    const proxy = await freezingProxy(Number(new URL(REDIS_URL).port || 6379));
    cleanups.push(() => proxy.close());
    const line = await serve(prefix, proxy.url);
    const call = new TestCall(line.client, "+15557773002");
    expect(numberDialled((await call.incoming()).body)).toBe(ENGINEERS[0]!.number);

    proxy.freeze();
    expect(numberDialled((await call.dialEnded(1, "no-answer")).body)).toBe(ENGINEERS[1]!.number);
    expect(numberDialled((await call.dialEnded(2, "busy")).body)).toBe(ENGINEERS[2]!.number);
    await call.hungUp(30);
    // Writes that time out on a link still "connected" wait in the spool; none is taken for a refusal and dropped.
    await waitFor(async () => {
      const { status, body } = await line.readyz();
      return status === 200 && body.spooled === 0;
    }, "the line to reconnect and replay its spool", 20_000);
    const view = (await line.client.api(`/api/calls/${call.callSid}`)).json;
    expect(view.attempts.map((a: { result: string }) => a.result)).toEqual(["no-answer", "busy"]);
    expect(view.outcome).toBe("abandoned");
    expect((await line.client.api(`/api/incidents/${view.incidentId}`)).status).toBe(200);
    expect(line.line.lines.some((l) => l.includes("no answer to PING"))).toBe(true);
    const client = testRedis();
    await deleteKeys(client, prefix);
    client.disconnect();
  }, 60_000);
});
