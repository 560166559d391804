import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Redis } from "ioredis";
import { pino, type Logger } from "pino";
import twilio from "twilio";
import { loadConfig } from "../../src/config.ts";
import { startLine, type RunningLine } from "../../src/server.ts";
import type { StatusPage } from "../../src/statuspage/client.ts";
import { connectRedis } from "../../src/store/redis.ts";
import { deleteKeys, REDIS_URL, uniquePrefix } from "./redis.ts";

export const AUTH_TOKEN = "test-auth-token-0123456789abcdef";
export const ACCOUNT_SID = `AC${"a".repeat(32)}`;
export const CONSOLE_TOKEN = "console-token-for-tests-0123456789";
export const ENGINEERS = [
  { name: "Ada", number: "+15550001001" },
  { name: "Grace", number: "+15550001002" },
  { name: "Linus", number: "+15550001003" },
];
export const LINE_NUMBER = "+15550009999";
export const DRILL_CALLER = "+15557770099";

export function baseEnv(prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    CONSOLE_TOKEN,
    REDIS_URL,
    REDIS_PREFIX: prefix,
    ENGINEERS: ENGINEERS.map((e) => `${e.name}=${e.number}`).join(","),
    DRILL_CALLERS: DRILL_CALLER,
    LOG_LEVEL: "silent",
    SPOOL_FILE: join(tmpdir(), `el-spool-${prefix}jsonl`),
    ...extra,
  };
}

export interface TestLine {
  line: RunningLine;
  redis: Redis;
  prefix: string;
  /** The URL Twilio would sign: PUBLIC_BASE_URL, which is not where the server listens (as behind a proxy). */
  publicBase: string;
  twilio: TwilioClient;
  stop(): Promise<void>;
}

/** The line on a free port, with its own Redis prefix; PUBLIC_BASE_URL is a public name, as in production. */
export async function startTestLine(
  name: string,
  options: {
    env?: Record<string, string>;
    statusPage?: StatusPage;
    workers?: boolean;
    prefix?: string;
    log?: Logger;
    /** Serve under the URL it listens on (for the simulator, which follows TwiML URLs), not a public name. */
    publicIsLocal?: boolean;
    /** The line's clock (calls' start times, grouping windows, incident ids; schedules resolve at a call's arrival), for tests that move time on. */
    now?: () => Date;
    stopGraceMs?: number;
  } = {},
): Promise<TestLine> {
  const prefix = options.prefix ?? uniquePrefix(name);
  // The configuration says where Redis is: REDIS_URL, or REDIS_CLUSTER_NODES / REDIS_SENTINELS in `env`.
  const redis = connectRedis(loadConfig(baseEnv(prefix, options.env)));
  let publicBase = "https://line.example.test";
  const line = await startLine({
    config: (port) => {
      if (options.publicIsLocal) publicBase = `http://127.0.0.1:${port}`;
      return loadConfig({ ...baseEnv(prefix, options.env), PORT: String(port), PUBLIC_BASE_URL: publicBase });
    },
    redis,
    log: options.log ?? pino({ level: "silent" }),
    port: 0,
    host: "127.0.0.1",
    statusPage: options.statusPage,
    workers: options.workers ?? false,
    now: options.now,
    stopGraceMs: options.stopGraceMs,
  });
  return {
    line,
    redis,
    prefix,
    publicBase,
    twilio: new TwilioClient(line.url, publicBase),
    async stop() {
      await line.stop();
      if (redis.status === "ready") await deleteKeys(redis, prefix);
      redis.disconnect();
    },
  };
}

export interface Answer {
  status: number;
  body: string;
}

/** Speaks to the line as Twilio does: form-encoded POSTs signed over the public URL. */
export class TwilioClient {
  constructor(
    readonly target: string,
    readonly publicBase: string,
  ) {}

  async post(pathAndQuery: string, params: Record<string, string>, signature: string | null | "sign" = "sign"): Promise<Answer> {
    const signed = signature === "sign" ? twilio.getExpectedTwilioSignature(AUTH_TOKEN, `${this.publicBase}${pathAndQuery}`, params) : signature;
    const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
    if (signed) headers["x-twilio-signature"] = signed;
    const response = await fetch(`${this.target}${pathAndQuery}`, { method: "POST", headers, body: new URLSearchParams(params) });
    return { status: response.status, body: await response.text() };
  }

  async api(path: string, token: string | null = CONSOLE_TOKEN): Promise<{ status: number; json: any }> {
    const response = await fetch(`${this.target}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: response.status, json: await response.json() };
  }
}

export function newCallSid(): string {
  return `CA${randomBytes(16).toString("hex")}`;
}

/** One caller's call, step by step, with the parameters Twilio sends at each step. */
export class TestCall {
  constructor(
    readonly client: TwilioClient,
    readonly from: string,
    readonly callSid = newCallSid(),
    private readonly legs = new Map<number, string>(),
  ) {}

  /** The same call, its next webhooks sent to another instance of the line (as behind a load balancer). */
  via(client: TwilioClient): TestCall {
    return new TestCall(client, this.from, this.callSid, this.legs);
  }

  private params(extra: Record<string, string> = {}): Record<string, string> {
    return {
      AccountSid: ACCOUNT_SID,
      CallSid: this.callSid,
      From: this.from,
      To: LINE_NUMBER,
      CallStatus: "in-progress",
      Direction: "inbound",
      ApiVersion: "2010-04-01",
      ...extra,
    };
  }

  incoming() {
    return this.client.post("/voice/incoming", this.params({ CallStatus: "ringing", Caller: this.from, FromCountry: "US" }));
  }

  notice(digits?: string) {
    return this.client.post("/voice/notice", this.params(digits === undefined ? {} : { Digits: digits }));
  }

  private leg(level: number): string {
    if (!this.legs.has(level)) this.legs.set(level, newCallSid());
    return this.legs.get(level)!;
  }

  /** The engineer at `level` picked up: Twilio fetches the Number's whisper URL on their leg. */
  whisper(level: number) {
    return this.client.post(`/voice/whisper?level=${level}&parent=${this.callSid}`, {
      ...this.params({ CallSid: this.leg(level), ParentCallSid: this.callSid, Direction: "outbound-api", To: ENGINEERS[level - 1]!.number }),
    });
  }

  /** What Twilio posts from engineer `level`'s leg when they press `digits` on the whisper. */
  whisperParams(level: number, digits: string): Record<string, string> {
    return this.params({ CallSid: this.leg(level), ParentCallSid: this.callSid, Direction: "outbound-api", Digits: digits });
  }

  pressOnWhisper(level: number, digits: string) {
    return this.client.post(`/voice/whisper/answer?level=${level}&parent=${this.callSid}`, this.whisperParams(level, digits));
  }

  dialParams(level: number, status: string, duration = 0): Record<string, string> {
    return this.params({ DialCallStatus: status, DialCallSid: this.leg(level), DialCallDuration: String(duration) });
  }

  dialEnded(level: number, status: string, duration = 0) {
    return this.client.post(`/voice/dial?level=${level}`, this.dialParams(level, status, duration));
  }

  /** The Dial action Twilio sends when the caller hung up while engineer `level`'s phone rang. */
  dialEndedAfterHangUp(level: number) {
    return this.client.post(`/voice/dial?level=${level}`, this.params({ CallStatus: "completed", DialCallStatus: "no-answer", DialCallSid: this.leg(level), DialCallDuration: "0" }));
  }

  recorded(duration = 42, digits = "#") {
    return this.client.post("/voice/recording", this.params({
      RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Recordings/RE${"1".repeat(32)}`,
      RecordingSid: `RE${"1".repeat(32)}`,
      RecordingDuration: String(duration),
      Digits: digits,
    }));
  }

  recordingStatus(status = "completed") {
    return this.client.post("/voice/recording/status", {
      AccountSid: ACCOUNT_SID,
      CallSid: this.callSid,
      RecordingSid: `RE${"1".repeat(32)}`,
      RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Recordings/RE${"1".repeat(32)}`,
      RecordingStatus: status,
      RecordingDuration: "42",
    });
  }

  transcribed(text: string, status = "completed") {
    return this.client.post("/voice/transcription", {
      AccountSid: ACCOUNT_SID,
      CallSid: this.callSid,
      RecordingSid: `RE${"1".repeat(32)}`,
      TranscriptionSid: `TR${"2".repeat(32)}`,
      TranscriptionStatus: status,
      TranscriptionText: text,
    });
  }

  hungUp(duration = 60, status = "completed") {
    return this.client.post("/voice/status", this.params({ CallStatus: status, CallDuration: String(duration) }));
  }
}
