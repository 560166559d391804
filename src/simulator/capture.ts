import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";

/**
 * What leaves the line during a drill, caught on this machine: an SMTP server for the follow-up emails, an
 * HTTP receiver for the mobilisation webhook, and a Statuspage-compatible page whose state the drill sets.
 */

export interface CapturedMail {
  envelopeTo: string[];
  mail: ParsedMail;
}

async function listen(server: Server | SMTPServer): Promise<number> {
  const http = server instanceof SMTPServer ? server.server : server;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (http.address() as AddressInfo).port;
}

function closeHttp(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/**
 * A real SMTP server; `refuseNext(n)` answers 451 to the next n messages, as a struggling relay does, and
 * `slowDown(ms)` holds each message that long before accepting it, as a slow one does.
 */
export async function startSmtpCapture() {
  const messages: CapturedMail[] = [];
  let refuse = 0;
  let attempts = 0;
  let delayMs = 0;
  let receiving = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      receiving++;
      stream.on("end", async () => {
        attempts++;
        if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
        receiving--;
        if (refuse > 0) {
          refuse--;
          callback(Object.assign(new Error("451 try again later"), { responseCode: 451 }));
          return;
        }
        messages.push({ envelopeTo: session.envelope.rcptTo.map((r) => r.address), mail: await simpleParser(Buffer.concat(chunks)) });
        callback();
      });
    },
  });
  const port = await listen(server);
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    get attempts() {
      return attempts;
    },
    get receiving() {
      return receiving;
    },
    refuseNext(count: number) {
      refuse = count;
    },
    slowDown(ms: number) {
      delayMs = ms;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
export type SmtpCapture = Awaited<ReturnType<typeof startSmtpCapture>>;

export interface CapturedPost {
  path: string;
  body: any;
}

/** A real HTTP receiver for the mobilisation webhook: records every POST with its path. */
export async function startWebhookCapture() {
  const posts: CapturedPost[] = [];
  let status = 202;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      let body: unknown = null;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        body = Buffer.concat(chunks).toString("utf8");
      }
      posts.push({ path: req.url ?? "", body });
      res.writeHead(status, { "content-type": "application/json" }).end('{"status":"success"}');
    });
  });
  const port = await listen(server);
  return {
    base: `http://127.0.0.1:${port}`,
    posts,
    answerWith(code: number) {
      status = code;
    },
    close: () => closeHttp(server),
  };
}
export type WebhookCapture = Awaited<ReturnType<typeof startWebhookCapture>>;

/** A Statuspage-compatible page per drill scenario: `${base}/<key>/` shows what `set(key, ...)` said. */
export async function startStatusPage() {
  const states = new Map<string, string | null>();
  const server = createServer((req, res) => {
    const match = /^\/([^/]+)\/api\/v2\/incidents\/unresolved\.json$/.exec(req.url ?? "");
    if (!match) return void res.writeHead(404).end();
    const incident = states.get(match[1]!) ?? null;
    const incidents = incident ? [{ id: "drill", name: incident, status: "investigating", shortlink: "https://status.example.test/drill" }] : [];
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ page: { id: "drill" }, incidents }));
  });
  const port = await listen(server);
  const base = `http://127.0.0.1:${port}`;
  return {
    urlFor(key: string, incident: string | null) {
      states.set(key, incident);
      return `${base}/${key}/`;
    },
    close: () => closeHttp(server),
  };
}
