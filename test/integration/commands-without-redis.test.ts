import { afterEach, describe, expect, it } from "vitest";
import { baseEnv, startTestLine, TestCall } from "../helpers/line.ts";
import { cliProcess, freePort, freezingProxy, hungRedis, ownRedis } from "../helpers/processes.ts";
import { startSmtp, waitFor } from "../helpers/receivers.ts";
import { REDIS_URL, uniquePrefix } from "../helpers/redis.ts";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function worker(prefix: string, env: Record<string, string>) {
  const process = cliProcess("worker", baseEnv(prefix, { LOG_LEVEL: "info", ...env }));
  cleanups.push(() => process.kill());
  return process;
}

describe("emergency-line worker while Redis is down", () => {
  it("backs off and says so once per reconnect attempt, without stack traces, and stops on SIGTERM", async () => {
    const down = `redis://127.0.0.1:${await freePort()}`;
    const w = worker(uniquePrefix("worker-down"), { REDIS_URL: down });
    await w.logEntry((e) => e.msg === "follow-up workers running");
    const started = w.lines.length;
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const lines = w.lines.slice(started);

    // Three connections (the stores', the queues' own, the workers') backing off 0.5, 1, 2 s: at most four attempts each in 3 s,
    // one line each (it was some 40 lines of stack traces).
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(JSON.parse(line)).toMatchObject({ msg: "Redis unreachable; reconnecting", reason: expect.stringContaining("ECONNREFUSED") });
      expect(line).not.toContain('"stack"');
    }
    const perConnection = new Map<string, number>();
    for (const { connection } of lines.map((line) => JSON.parse(line) as { connection: string })) perConnection.set(connection, (perConnection.get(connection) ?? 0) + 1);
    expect([...perConnection.keys()].sort()).toEqual(["queues", "stores", "workers"]);
    for (const count of perConnection.values()) expect(count).toBeLessThanOrEqual(4);
    const exited = w.kill("SIGTERM");
    expect(await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve("still running"), 5000))])).toBe(0);
  }, 30_000);
});

describe("emergency-line worker against a Redis that accepts connections and never answers", () => {
  it("leaves the silent connections and sends the follow-up email once a real Redis takes the port", async () => {
    const prefix = uniquePrefix("worker-hung");
    const smtp = await startSmtp();
    cleanups.push(() => smtp.close());
    const hung = await hungRedis();
    cleanups.push(() => hung.close());
    const w = worker(prefix, { REDIS_URL: hung.url, SMTP_URL: smtp.url });
    await w.logEntry((e) => e.msg === "follow-up workers running");
    await waitFor(() => hung.connections >= 2, "the worker to connect to the silent server");

    // The frozen server gives up its port to a real one; the worker's connections to it stay open and silent.
    await hung.release();
    const redis = await ownRedis({ port: hung.port });
    cleanups.push(() => redis.stop());
    const back = Date.now();

    const t = await startTestLine("worker-hung-line", { prefix, env: { REDIS_URL: redis.url, SMTP_URL: smtp.url } });
    cleanups.push(() => t.stop());
    const call = new TestCall(t.twilio, "+15557773101");
    await call.incoming();
    await call.hungUp(5);
    const { incidentId } = (await t.twilio.api(`/api/calls/${call.callSid}`)).json;
    expect(incidentId).toMatch(/^INC-/);

    await waitFor(() => smtp.messages.some((m) => m.mail.subject?.includes(incidentId)), "the worker to send the follow-up email", 30_000);
    expect(Date.now() - back).toBeLessThan(30_000);
    expect((await t.twilio.api(`/api/incidents/${incidentId}`)).json.followup.email.state).toBe("sent");
  }, 60_000);
});

describe("emergency-line worker whose connection goes silent after it connected", () => {
  it("notices within seconds that Redis stopped answering, reconnects, and sends the follow-up email", async () => {
    const prefix = uniquePrefix("worker-silent");
    const smtp = await startSmtp();
    cleanups.push(() => smtp.close());
    const proxy = await freezingProxy(Number(new URL(REDIS_URL).port || 6379));
    cleanups.push(() => proxy.close());
    const w = worker(prefix, { REDIS_URL: proxy.url, SMTP_URL: smtp.url, FOLLOWUP_RETRY_DELAY_MS: "500" });
    await w.logEntry((e) => e.msg === "follow-up workers running");
    // Its own connection and one blocking connection per queue.
    await waitFor(() => proxy.connections >= 5, "the worker's connections");
    await new Promise((resolve) => setTimeout(resolve, 500));
    proxy.freeze();

    const t = await startTestLine("worker-silent-line", { prefix, env: { SMTP_URL: smtp.url } });
    cleanups.push(() => t.stop());
    const call = new TestCall(t.twilio, "+15557773102");
    await call.incoming();
    await call.hungUp(5);
    const { incidentId } = (await t.twilio.api(`/api/calls/${call.callSid}`)).json;
    await waitFor(() => smtp.messages.some((m) => m.mail.subject?.includes(incidentId)), "the worker to send the follow-up email", 25_000);
    expect(w.lines.some((line) => line.includes("no answer to PING"))).toBe(true);
    // Stopped before the line's cleanup deletes the prefix: it would go on writing its jobs' keys after it.
    await w.kill();
  }, 60_000);
});

describe("emergency-line drill (a local line) while Redis is unreachable", () => {
  const drill = async (redisUrl: string) => {
    const started = Date.now();
    const d = cliProcess("drill", { REDIS_URL: redisUrl, LOG_LEVEL: "silent" });
    cleanups.push(() => d.kill());
    const code = await Promise.race([d.exited, new Promise((resolve) => setTimeout(() => resolve("still running"), 20_000))]);
    return { code, seconds: (Date.now() - started) / 1000, output: d.lines.join("\n") };
  };

  it("fails within seconds, exit code 2, naming REDIS_URL and the reason, when nothing listens there", async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const { code, seconds, output } = await drill(url);
    expect(code).toBe(2);
    expect(output).toContain(`cannot reach Redis at REDIS_URL=${url}`);
    expect(output).toContain("ECONNREFUSED");
    // Three seconds of trying, plus starting the CLI (a few seconds of its own on a busy test machine);
    // before, it waited silently for as long as anyone let it.
    expect(seconds).toBeLessThan(15);
  }, 30_000);

  it("does the same when Redis accepts connections and never answers, and hides a password in the URL", async () => {
    const hung = await hungRedis();
    cleanups.push(() => hung.close());
    const { code, seconds, output } = await drill(`redis://:s3cret@127.0.0.1:${hung.port}`);
    expect(code).toBe(2);
    expect(output).toContain(`cannot reach Redis at REDIS_URL=redis://:***@127.0.0.1:${hung.port}`);
    expect(output).not.toContain("s3cret");
    expect(seconds).toBeLessThan(15);
  }, 30_000);
});
