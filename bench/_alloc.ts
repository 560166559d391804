import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { deleteByPrefix } from "../src/store/redis.ts";
import { openLoop } from "./open-loop.ts";
import { startServer, stop } from "./servers.ts";
const PREFIX = `probe-${randomBytes(3).toString("hex")}:`;
const signer = { accountSid: `AC${randomBytes(16).toString("hex")}`, authToken: randomBytes(16).toString("hex") };
const env = { TWILIO_ACCOUNT_SID: signer.accountSid, TWILIO_AUTH_TOKEN: signer.authToken, CONSOLE_TOKEN: randomBytes(16).toString("hex"), ENGINEERS: "Ada=+15550001001,Grace=+15550001002", REDIS_URL: "redis://127.0.0.1:6379", REDIS_PREFIX: PREFIX, LOG_LEVEL: "silent" };
const redis = new Redis();
const line = await startServer("line", env, ["--import", "/tmp/alloc/preload.mjs"]);
try { for (let i = 0; i < 2; i++) { const r = await openLoop(line.url, signer, 500, 5); console.error(`run ${i} p99 ${r.p99.toFixed(1)}`); } line.child.kill("SIGUSR2"); await new Promise((r) => setTimeout(r, 4000)); }
finally { await stop(line); await deleteByPrefix(redis, PREFIX); redis.disconnect(); }
