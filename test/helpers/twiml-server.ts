import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import twilio from "twilio";
import type { z } from "zod";
import { SimulatedCall } from "../../src/simulator/carrier.ts";
import { PLAIN, type Variation } from "../../src/simulator/chaos.ts";
import { callerSchema, engineerSchema } from "../../src/simulator/scenario.ts";

/**
 * A stand-in line for the carrier's tests: a small server answers each path with the TwiML document a test
 * gives it and records every request Twilio would make, with its signature checked; it can also fail the
 * next requests to a path (an HTTP error, a dropped connection, a slow answer).
 */
export const TOKEN = "carrier-test-token";
export const ACCOUNT = `AC${"c".repeat(32)}`;

export interface Recorded {
  path: string;
  params: Record<string, string>;
  signed: boolean;
  token: string;
}

export type Fault = { status: number } | { drop: true } | { delayMs: number };

export const xml = (body: string) => `<?xml version="1.0" encoding="UTF-8"?><Response>${body}</Response>`;

export async function startTwimlServer() {
  let docs: Record<string, string> = {};
  const requests: Recorded[] = [];
  const faults = new Map<string, Fault[]>();
  let base = "";
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString()));
      const signed = twilio.validateRequest(TOKEN, String(req.headers["x-twilio-signature"] ?? ""), `${base}${req.url}`, params);
      const path = req.url?.split("?")[0] ?? "";
      requests.push({ path: req.url ?? "", params, signed, token: String(req.headers["i-twilio-idempotency-token"] ?? "") });
      const fault = faults.get(path)?.shift();
      if (fault && "drop" in fault) return void req.socket.destroy();
      if (fault && "delayMs" in fault) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      if (fault && "status" in fault) return void res.writeHead(fault.status).end("line trouble");
      res.writeHead(200, { "content-type": "text/xml" }).end(docs[path] ?? "<Response/>");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    base,
    /** Answers for the next call: the incoming document and others by path (bodies inside <Response>). */
    serve(incoming: string, others: Record<string, string> = {}) {
      docs = { "/voice/incoming": xml(incoming), ...Object.fromEntries(Object.entries(others).map(([path, body]) => [path, xml(body)])) };
      requests.length = 0;
      faults.clear();
    },
    /** `path` answers exactly `body`, not wrapped in a <Response>. */
    answerRaw(path: string, body: string) {
      docs[path] = body;
    },
    /** The next requests to `path` meet these faults, one each, in order. */
    failNext(path: string, ...next: Fault[]) {
      faults.set(path, [...(faults.get(path) ?? []), ...next]);
    },
    requests,
    close() {
      server.closeAllConnections();
      server.close();
    },
  };
}
export type TwimlServer = Awaited<ReturnType<typeof startTwimlServer>>;

export interface CallSetup {
  caller?: Partial<z.input<typeof callerSchema>>;
  engineers?: unknown[];
  variation?: Partial<Variation>;
  webhookTimeoutMs?: number;
  /** Set after serve(): faults for this call. */
  faults?: (server: TwimlServer) => void;
}

/** Runs one simulated call against the server, serving `incoming` and `others`. */
export async function runCall(server: TwimlServer, incoming: string, others: Record<string, string> = {}, setup: CallSetup = {}) {
  server.serve(incoming, others);
  setup.faults?.(server);
  const sim = new SimulatedCall(
    { target: server.base, accountSid: ACCOUNT, authToken: TOKEN, lineNumber: "+15550009999", webhookTimeoutMs: setup.webhookTimeoutMs },
    callerSchema.parse({ number: "+15557770001", ...setup.caller }),
    (setup.engineers ?? []).map((e) => engineerSchema.parse(e)),
    { ...PLAIN, ...setup.variation },
  );
  const result = await sim.run();
  const requests = [...server.requests];
  return { result, requests, paths: requests.map((r) => r.path.split("?")[0]) };
}

export type CallRun = Awaited<ReturnType<typeof runCall>>;

export const heard = (result: CallRun["result"], party = "caller") => result.events.filter((e) => e.party === party && e.kind === "hears").map((e) => e.text);
