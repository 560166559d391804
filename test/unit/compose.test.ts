import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

// No Docker engine runs here, so the compose file is checked as data: what a `docker compose up` would start.
const compose = parse(readFileSync("docker-compose.yml", "utf8"), { merge: true });

describe("docker-compose.yml", () => {
  it("runs redis with AOF on, mailpit, the line and a separate worker", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["line", "mailpit", "redis", "worker"]);
    expect(compose.services.redis.command).toEqual(expect.arrayContaining(["--appendonly", "yes"]));
    expect(compose.services.line.command).toEqual(["serve"]);
    expect(compose.services.worker.command).toEqual(["worker"]);
  });

  it("points the line and the worker at the compose Redis and at Mailpit's SMTP port", () => {
    const mailpitSmtp = compose.services.mailpit.ports.find((p: string) => p.endsWith(":1025"));
    expect(mailpitSmtp).toBeDefined();
    for (const name of ["line", "worker"]) {
      const env = compose.services[name].environment;
      expect(env.REDIS_URL).toBe("redis://redis:6379");
      expect(env.SMTP_URL).toBe("smtp://mailpit:1025");
      expect(compose.services[name].depends_on.redis.condition).toBe("service_healthy");
      for (const required of ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "CONSOLE_TOKEN", "ENGINEERS"]) {
        expect(env[required]).toMatch(new RegExp(`^\\$\\{${required}:\\?`));
      }
    }
    expect(compose.services.worker.depends_on.mailpit).toBeDefined();
  });

  it("keeps the line's spool on a volume, so writes waiting for Redis survive a restart", () => {
    const line = compose.services.line;
    expect(line.volumes).toContain("line-spool:/app/var");
    expect(line.environment.SPOOL_FILE).toMatch(/^\/app\/var\//);
    expect(Object.keys(compose.volumes)).toContain("line-spool");
  });

  it("checks the line's readiness on the route docs/architecture.md names", () => {
    expect(compose.services.line.healthcheck.test.join(" ")).toContain("/readyz");
  });
});
