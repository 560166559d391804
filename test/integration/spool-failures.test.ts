import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log.ts";
import { waitFor } from "../../src/simulator/wait.ts";
import { Spool } from "../../src/store/spool.ts";
import type { WriteOp } from "../../src/store/write-ops.ts";
import { CONSOLE_TOKEN, ENGINEERS, startTestLine, TestCall, type TestLine } from "../helpers/line.ts";
import { ownRedis } from "../helpers/processes.ts";

const numberDialled = (twiml: string) => /<Number[^>]*>([^<]+)<\/Number>/.exec(twiml)?.[1];
const op = (n: number): WriteOp => ({ op: "hash", callSid: `CA${String(n).padStart(32, "0")}`, setnx: {}, set: { stage: "hunting" } });
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), "el-spool-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

describe("the spool file", () => {
  it("is created 0600 in a directory created 0700, and an older, looser file is tightened", () => {
    const dir = join(scratch(), "var", "spool");
    const spool = new Spool(join(dir, "spool.jsonl"));
    spool.append(op(1));
    spool.close();
    expect(statSync(join(dir, "spool.jsonl")).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);

    const old = join(scratch(), "old.jsonl");
    writeFileSync(old, `${JSON.stringify(op(2))}\n`);
    chmodSync(old, 0o644);
    const reopened = new Spool(old);
    expect(reopened.pending).toEqual([op(2)]);
    reopened.close();
    expect(statSync(old).mode & 0o777).toBe(0o600);
  });

  it("on a full disk (/dev/full: every write fails with ENOSPC) keeps the writes in memory, in order, and counts them", () => {
    const mode = statSync("/dev/full").mode;
    const spool = new Spool("/dev/full");
    // Found at start-up, before any outage needs the file.
    expect(spool.fileState).toMatch(/^unwritable: ENOSPC/);
    for (const n of [1, 2, 3]) spool.append(op(n));
    expect(spool.pending).toEqual([op(1), op(2), op(3)]);
    expect(spool.unspooled).toBe(3);
    spool.pending.shift(); // the first reached Redis
    expect(spool.unspooled).toBe(2);
    spool.clear();
    expect(spool.unspooled).toBe(0);
    spool.close();
    expect(statSync("/dev/full").mode).toBe(mode);
  });

  it("under a path that cannot be created starts anyway, and writes everything held, in order, once the path can be", async () => {
    // Tests run as root, whom permissions do not stop: a parent that is a regular file stops everyone.
    const parent = join(scratch(), "not-a-dir");
    writeFileSync(parent, "");
    const spool = new Spool(join(parent, "spool.jsonl"));
    expect(spool.fileState).toMatch(/^unwritable: (ENOTDIR|EEXIST)/);
    spool.append(op(1));
    spool.append(op(2));
    expect(spool.unspooled).toBe(2);

    rmSync(parent);
    mkdirSync(parent);
    // A refusing file is tried again at most once a second.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    spool.append(op(3));
    expect(spool.fileState).toBe("ok");
    expect(spool.unspooled).toBe(0);
    spool.close();
    expect(new Spool(join(parent, "spool.jsonl")).pending).toEqual([op(1), op(2), op(3)]);
  });
});

describe("a line whose spool file cannot be written", () => {
  const logs: string[] = [];
  const logger = () => {
    logs.length = 0;
    return createLogger("info", new Writable({ write: (chunk, _encoding, done) => done(void logs.push(String(chunk))) }));
  };
  const status = async (t: TestLine) => {
    const response = await fetch(`${t.line.url}/readyz`);
    return { status: response.status, ...((await response.json()) as { spooled: number; unspooled: number; spoolFile: string }) };
  };

  it("while Redis is down and the disk is full, answers the caller, says loudly what only memory holds, and loses nothing", async () => {
    const redis = await ownRedis({ started: false });
    cleanups.push(() => redis.stop());
    const t = await startTestLine("spool-full", { env: { REDIS_URL: redis.url, SPOOL_FILE: "/dev/full" }, log: logger() });
    cleanups.push(() => t.stop());

    const call = new TestCall(t.twilio, "+15557773201");
    expect(numberDialled((await call.incoming()).body)).toBe(ENGINEERS[0]!.number);
    expect(numberDialled((await call.dialEnded(1, "no-answer")).body)).toBe(ENGINEERS[1]!.number);
    await call.hungUp(25);

    const down = await status(t);
    expect(down).toMatchObject({ status: 503, spoolFile: expect.stringMatching(/^unwritable: ENOSPC/) });
    expect(down.spooled).toBeGreaterThan(3);
    expect(down.unspooled).toBe(down.spooled);
    const metrics = await (await fetch(`${t.line.url}/metrics`)).text();
    expect(metrics).toContain(`emergency_line_unspooled_writes ${down.unspooled}`);
    // The API cannot read incidents now: it says why (503, come back shortly), never a bare 500.
    const incidents = await fetch(`${t.line.url}/api/incidents`, { headers: { authorization: `Bearer ${CONSOLE_TOKEN}` } });
    expect(incidents.status).toBe(503);
    expect(incidents.headers.get("retry-after")).toBe("5");
    expect((await incidents.json()).error).toContain("Redis");
    const dashboard = await fetch(`${t.line.url}/console`, { headers: { authorization: `Bearer ${CONSOLE_TOKEN}` } });
    expect(dashboard.status).toBe(200);
    const page = await dashboard.text();
    expect(page).toMatch(new RegExp(`class="status error" role="alert">Spool file unwritable: ENOSPC[^<]*: ${down.unspooled} write\\(s\\) held in memory only`));
    // One error line for the file, however many writes it refused.
    const errors = logs.map((line) => JSON.parse(line)).filter((entry) => entry.msg?.startsWith("spool file unwritable"));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ level: 50, spoolFile: "/dev/full", problem: expect.stringMatching(/^unwritable: ENOSPC/) });

    await redis.start();
    await waitFor(async () => (await status(t)).status === 200, "/readyz to see Redis back", 15_000);
    await waitFor(async () => (await status(t)).spooled === 0, "the spool to drain", 15_000);
    expect(await status(t)).toMatchObject({ unspooled: 0 });
    const view = (await t.twilio.api(`/api/calls/${call.callSid}`)).json;
    expect(view.outcome).toBe("abandoned");
    expect((await t.twilio.api(`/api/incidents/${view.incidentId}`)).json.callSid).toBe(call.callSid);
  }, 40_000);

  it("starts and serves with Redis healthy when SPOOL_FILE cannot be created, and says so on /readyz", async () => {
    const parent = join(scratch(), "a-file");
    writeFileSync(parent, "");
    const t = await startTestLine("spool-unwritable", { env: { SPOOL_FILE: join(parent, "spool.jsonl") }, log: logger() });
    cleanups.push(() => t.stop());
    const ready = await status(t);
    expect(ready).toMatchObject({ status: 200, spooled: 0, unspooled: 0, spoolFile: expect.stringMatching(/^unwritable: (ENOTDIR|EEXIST)/) });
    expect(logs.filter((line) => line.includes("spool file unwritable"))).toHaveLength(1);

    const call = new TestCall(t.twilio, "+15557773202");
    expect(numberDialled((await call.incoming()).body)).toBe(ENGINEERS[0]!.number);
    await call.hungUp(5);
    expect((await t.twilio.api(`/api/calls/${call.callSid}`)).json.incidentId).toMatch(/^INC-/);
    expect(readFileSync(parent, "utf8")).toBe("");
  });
});
