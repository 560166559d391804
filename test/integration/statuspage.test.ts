import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStatusPage } from "../../src/statuspage/client.ts";
import { startTestLine, TestCall } from "../helpers/line.ts";

type Mode = "incident" | "none" | "garbage" | "hang" | "error";
let mode: Mode = "incident";
let hits = 0;
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    if (req.url !== "/api/v2/incidents/unresolved.json") return void res.writeHead(404).end();
    if (mode === "hang") return; // never answers
    if (mode === "error") return void res.writeHead(500).end("oops");
    if (mode === "garbage") return void res.writeHead(200, { "content-type": "application/json" }).end("{<html>");
    const incidents = mode === "incident" ? [{ name: "Payments API degraded", status: "investigating", shortlink: "https://stspg.io/x" }] : [];
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ page: { id: "p" }, incidents }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe("status page client", () => {
  it("reads the first unresolved incident, and nothing when none is open", async () => {
    mode = "incident";
    expect(await createStatusPage({ baseUrl: base }).currentIncident()).toEqual({ name: "Payments API degraded", link: "https://stspg.io/x" });
    mode = "none";
    expect(await createStatusPage({ baseUrl: base }).currentIncident()).toBeNull();
  });

  it.each<Mode>(["garbage", "error", "hang"])("announces nothing when the page answers %s, within its budget", async (broken) => {
    mode = broken;
    const errors: unknown[] = [];
    const page = createStatusPage({ baseUrl: base, budgetMs: 300, onError: (e) => errors.push(e) });
    const started = Date.now();
    expect(await page.currentIncident()).toBeNull();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(errors).toHaveLength(1);
  });

  it("keeps answering from its cache: a burst of callers costs one request", async () => {
    mode = "incident";
    hits = 0;
    const page = createStatusPage({ baseUrl: base });
    const answers = await Promise.all(Array.from({ length: 20 }, () => page.currentIncident()));
    expect(new Set(answers.map((a) => a?.name))).toEqual(new Set(["Payments API degraded"]));
    await page.currentIncident();
    expect(hits).toBe(1);
  });

  it("keeps the last good answer when the page breaks later", async () => {
    let clock = 0;
    mode = "incident";
    const page = createStatusPage({ baseUrl: base, cacheMs: 10, budgetMs: 300, now: () => clock });
    await page.currentIncident();
    mode = "error";
    clock = 1000;
    expect(await page.currentIncident()).toMatchObject({ name: "Payments API degraded" });
  });
});

describe("the greeting with a status page that never answers", () => {
  it("still greets and dials engineer 1, under 2 s", async () => {
    mode = "hang";
    const t = await startTestLine("statuspage", { env: { STATUSPAGE_URL: base } });
    try {
      const started = Date.now();
      const answer = await new TestCall(t.twilio, "+15557770001").incoming();
      expect(Date.now() - started).toBeLessThan(2000);
      expect(answer.body).toContain("Emergency on-call line.");
      expect(answer.body).toContain("<Dial");
    } finally {
      await t.stop();
    }
  });
});
