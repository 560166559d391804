import { configErrorOf } from "../helpers/config.ts";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { describe, expect, it } from "vitest";
import { CONFIG_VARIABLES, loadConfig } from "../../src/config.ts";

const valid = {
  TWILIO_ACCOUNT_SID: `AC${"0".repeat(32)}`,
  TWILIO_AUTH_TOKEN: "secret-token-123",
  ENGINEERS: "Ada=+15550001001,+15550001002, Linus = +15550001003",
  CONSOLE_TOKEN: "console-token-0123456789",
};

const errorOf = configErrorOf;

describe("configuration", () => {
  it("applies the documented defaults and parses the roster in order", () => {
    const config = loadConfig(valid);
    expect(config.PORT).toBe(3000);
    expect(config.PUBLIC_BASE_URL).toBe("http://localhost:3000");
    expect(config.RING_TIMEOUT_SECONDS).toBe(20);
    expect(config.CASE_HOLD_HOURS).toBe(72);
    expect(config.MISUSE_CALLS_PER_DAY).toBe(5);
    expect(config.SMTP_URL).toBe("smtp://127.0.0.1:1025");
    expect(config.REDIS_URL).toBe("redis://127.0.0.1:6379");
    expect(config.ENGINEERS).toEqual([
      { name: "Ada", number: "+15550001001" },
      { number: "+15550001002" },
      { name: "Linus", number: "+15550001003" },
    ]);
    expect(config.DRILL_CALLERS).toEqual([]);
  });

  it("drops a trailing slash from PUBLIC_BASE_URL, since signatures are computed over the exact URL", () => {
    expect(loadConfig({ ...valid, PUBLIC_BASE_URL: "https://line.example.com/" }).PUBLIC_BASE_URL).toBe("https://line.example.com");
  });

  it.each([
    [{ ENGINEERS: undefined }, "ENGINEERS: required"],
    [{ ENGINEERS: "Ada=555-1234" }, "ENGINEERS.0.number: an E.164 phone number"],
    [{ ENGINEERS: "+15550001001,+15550001002,+15550001003,+15550001004" }, "ENGINEERS: at most 3 engineers"],
    [{ TWILIO_AUTH_TOKEN: undefined }, "TWILIO_AUTH_TOKEN"],
    [{ TWILIO_ACCOUNT_SID: "AB123" }, "TWILIO_ACCOUNT_SID: an Account SID"],
    [{ CONSOLE_TOKEN: "short" }, "CONSOLE_TOKEN: at least 16 characters"],
    [{ PORT: "eighty" }, "PORT"],
    [{ RING_TIMEOUT_SECONDS: "2" }, "RING_TIMEOUT_SECONDS"],
    [{ DRILL_CALLERS: "+15550001001,12345" }, "DRILL_CALLERS.1: an E.164 phone number"],
    [{ STATUSPAGE_URL: "not a url" }, "STATUSPAGE_URL"],
    [{ MOBILISE_FORMAT: "pagerduty" }, "PAGERDUTY_ROUTING_KEY: required when MOBILISE_FORMAT=pagerduty"],
    [{ SUPPORT_EMAIL: "support" }, "SUPPORT_EMAIL"],
  ])("refuses %o naming the variable", (override, message) => {
    expect(errorOf({ ...valid, ...override })).toContain(message);
  });

  it("reads the partner directory and names the file and entry that is wrong", () => {
    const dir = mkdtempSync(join(tmpdir(), "el-config-"));
    const good = join(dir, "partners.json");
    writeFileSync(good, JSON.stringify({ "+15557770001": { name: "Acme", email: "ops@acme.test" } }));
    expect(loadConfig({ ...valid, PARTNERS_FILE: good }).partners["+15557770001"]).toEqual({ name: "Acme", email: "ops@acme.test" });

    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ "+15557770001": { name: "Acme", email: "not-an-email" } }));
    expect(errorOf({ ...valid, PARTNERS_FILE: bad })).toMatch(/PARTNERS_FILE \(.*bad\.json\) at \+15557770001\.email/);
    expect(errorOf({ ...valid, PARTNERS_FILE: join(dir, "missing.json") })).toContain("PARTNERS_FILE: cannot read");
  });

  it("reads the email door's variables: off by default, 10 MB, addresses checked and named when wrong", () => {
    const config = loadConfig(valid);
    expect(config.INBOUND_SMTP_PORT).toBeUndefined();
    expect(config.INBOUND_MAX_BYTES).toBe(10 * 1024 * 1024);
    expect(config.INBOUND_ADDRESSES).toEqual([]);
    expect(config.DRILL_SENDERS).toEqual([]);
    const on = loadConfig({ ...valid, INBOUND_SMTP_PORT: "2525", INBOUND_ADDRESSES: "Urgent@Example.com, ops@example.com", DRILL_SENDERS: "Drill@Acme.test" });
    expect(on).toMatchObject({ INBOUND_SMTP_PORT: 2525, INBOUND_ADDRESSES: ["urgent@example.com", "ops@example.com"], DRILL_SENDERS: ["drill@acme.test"] });
    expect(errorOf({ ...valid, INBOUND_ADDRESSES: "urgent@example.com,not-an-address" })).toContain("INBOUND_ADDRESSES");
    expect(errorOf({ ...valid, INBOUND_EMAIL_TOKEN: "short" })).toContain("INBOUND_EMAIL_TOKEN");
    expect(errorOf({ ...valid, INBOUND_SMTP_PORT: "70000" })).toContain("INBOUND_SMTP_PORT");
  });

  it("accepts partners' mail addresses and domains, and names a bad domain with its place in the file", () => {
    const dir = mkdtempSync(join(tmpdir(), "el-partners-mail-"));
    const good = join(dir, "good.json");
    writeFileSync(good, JSON.stringify({ "+15557770001": { name: "Acme", emails: ["ops@acme.test"], domains: ["Acme.test"] } }));
    expect(loadConfig({ ...valid, PARTNERS_FILE: good }).partners["+15557770001"]).toMatchObject({ emails: ["ops@acme.test"], domains: ["acme.test"] });
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ "+15557770001": { name: "Acme", domains: ["not a domain"] } }));
    expect(errorOf({ ...valid, PARTNERS_FILE: bad })).toContain("+15557770001.domains.0");
  });
});

describe(".env.example", () => {
  const text = readFileSync(".env.example", "utf8");
  const example = parseEnv(text) as Record<string, string>;
  const PLACEHOLDER_MESSAGE = "looks like the placeholder from .env.example: set the real value";

  it("is refused as copied, naming every secret still a placeholder", () => {
    const message = errorOf(example);
    for (const name of ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "CONSOLE_TOKEN", "ENGINEERS", "FOLLOWUP_FROM", "SUPPORT_EMAIL"]) {
      expect(message).toContain(`${name}: ${PLACEHOLDER_MESSAGE}`);
    }
    // Only the placeholder line for each: its format errors would send people after the wrong problem.
    expect(message).not.toContain("an Account SID");
    expect(message).not.toContain("E.164");
    expect(message).not.toContain("SUPPORT_EMAIL: Invalid email");
  });

  it("refuses a placeholder set by hand too, even one that would pass the variable's format", () => {
    expect(errorOf({ ...valid, TWILIO_AUTH_TOKEN: "change-me" })).toContain(`TWILIO_AUTH_TOKEN: ${PLACEHOLDER_MESSAGE}`);
    expect(errorOf({ ...valid, CONSOLE_TOKEN: "change-me-to-a-long-random-token" })).toContain(`CONSOLE_TOKEN: ${PLACEHOLDER_MESSAGE}`);
  });

  it("starts once the placeholders are replaced", () => {
    const filled = { ...example, ...valid, FOLLOWUP_FROM: "Emergency line <oncall@platform.test>", SUPPORT_EMAIL: "support@platform.test" };
    expect(() => loadConfig(filled)).not.toThrow();
  });

  it("lists every variable the configuration reads, and none it does not", () => {
    const listed = [...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!);
    expect(new Set(listed)).toEqual(new Set(CONFIG_VARIABLES));
    // The required ones are set (with placeholders), not commented, so nobody misses them.
    for (const name of ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "CONSOLE_TOKEN", "ENGINEERS"]) expect(example[name]).toBeDefined();
  });
});

describe("where Redis is", () => {
  it("reads Cluster seeds and Sentinels as host:port lists, and allows a hash tag in the prefix", () => {
    const config = loadConfig({ ...valid, REDIS_CLUSTER_NODES: "10.0.0.1:7000, redis-b:7001,[::1]:7002", REDIS_PREFIX: "{el}:" });
    expect(config.REDIS_CLUSTER_NODES).toEqual([
      { host: "10.0.0.1", port: 7000 },
      { host: "redis-b", port: 7001 },
      { host: "::1", port: 7002 },
    ]);
    expect(config.SPOOL_FILE).toBe("var/spool-el.jsonl");
    const sentinel = loadConfig({ ...valid, REDIS_SENTINELS: "s1:26379,s2:26379" });
    expect(sentinel.REDIS_SENTINELS).toEqual([{ host: "s1", port: 26379 }, { host: "s2", port: 26379 }]);
    expect(sentinel.REDIS_SENTINEL_MASTER).toBe("mymaster");
    expect(loadConfig(valid).REDIS_CLUSTER_NODES).toEqual([]);
  });

  it.each([
    [{ REDIS_CLUSTER_NODES: "10.0.0.1:7000" }, "REDIS_PREFIX: on Redis Cluster (REDIS_CLUSTER_NODES) the prefix must be a hash tag, e.g. {el}:"],
    [{ REDIS_CLUSTER_NODES: "10.0.0.1:7000", REDIS_PREFIX: "line:" }, "e.g. {line}:"],
    [{ REDIS_CLUSTER_NODES: "10.0.0.1" }, "REDIS_CLUSTER_NODES.0: host:port"],
    [{ REDIS_SENTINELS: "s1:26379,s2:99999" }, "REDIS_SENTINELS.1: a port from 1 to 65535"],
    [{ REDIS_PREFIX: "{}:" }, "REDIS_PREFIX: letters, digits, _ . -, at most one {hash tag}"],
    [{ REDIS_PREFIX: "{a}{b}:" }, "REDIS_PREFIX"],
  ])("refuses %o naming the variable", (override, message) => {
    expect(errorOf({ ...valid, ...override })).toContain(message);
  });
});
