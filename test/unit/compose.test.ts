import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

// No Docker engine runs here, so the compose file and the Dockerfile are checked as data: what a
// `docker compose up` would start. Commands they run are run here too, where they can be.
const compose = parse(readFileSync("docker-compose.yml", "utf8"), { merge: true });
const dockerfile = readFileSync("Dockerfile", "utf8");
const instruction = (name: string) => [...dockerfile.matchAll(new RegExp(`^${name}\\s+(.+)$`, "gm"))].map((m) => m[1]!.trim());
const run = promisify(execFile);

describe("docker-compose.yml", () => {
  it("runs redis with AOF on, mailpit, the line and a separate worker", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["line", "mailpit", "redis", "worker"]);
    expect(compose.services.redis.command).toEqual(expect.arrayContaining(["--appendonly", "yes"]));
    expect(compose.services.line.command).toEqual(["serve"]);
    expect(compose.services.worker.command).toEqual(["worker"]);
  });

  it("passes every variable of .env to the line and the worker, pointed at the compose Redis and Mailpit", () => {
    const mailpitSmtp = compose.services.mailpit.ports.find((p: string) => p.endsWith(":1025"));
    expect(mailpitSmtp).toBeDefined();
    for (const name of ["line", "worker"]) {
      const service = compose.services[name];
      expect([service.env_file].flat()).toContain(".env");
      expect(service.environment.REDIS_URL).toBe("redis://redis:6379");
      expect(service.environment.SMTP_URL).toBe("smtp://mailpit:1025");
      expect(service.depends_on.redis.condition).toBe("service_healthy");
      // A value here would override .env and hide the operator's setting: only container addresses belong here.
      for (const secret of ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "CONSOLE_TOKEN", "ENGINEERS"]) expect(service.environment[secret]).toBeUndefined();
    }
    expect(compose.services.worker.depends_on.mailpit).toBeDefined();
  });

  it("mounts the partner directory read-only where PARTNERS_FILE points, and refuses to start without it", () => {
    for (const name of ["line", "worker"]) {
      const service = compose.services[name];
      const mount = service.volumes.find((v: unknown) => typeof v === "object" && (v as { source: string }).source === "./partners.json");
      expect(mount, name).toMatchObject({ type: "bind", target: service.environment.PARTNERS_FILE, read_only: true });
      // Short syntax would create an empty folder for a missing file; the long one fails instead.
      expect(mount.bind?.create_host_path ?? false).toBe(false);
    }
  });

  it("pins every image to an exact version", () => {
    for (const [name, service] of Object.entries(compose.services as Record<string, { image?: string; build?: string }>)) {
      if (service.build) continue;
      expect(service.image, name).toMatch(/^[\w./-]+:v?\d+\.\d+\.\d+(-[\w.]+)?$/);
    }
  });

  it("restarts every service whatever stopped it", () => {
    for (const [name, service] of Object.entries(compose.services as Record<string, { restart?: string }>)) expect(service.restart, name).toBe("always");
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

  it("gives the worker time to finish its jobs in flight when stopped", () => {
    expect(compose.services.worker.stop_grace_period).toMatch(/^([3-9]\d|\d{3,})s$/);
  });

  it("checks the worker's health by the age of the heartbeat file the worker writes in the image's folder", async () => {
    const [kind, program, flag, script] = compose.services.worker.healthcheck.test as string[];
    expect([kind, program, flag]).toEqual(["CMD", "node", "-e"]);
    // `emergency-line worker` writes var/worker.heartbeat (its --heartbeat default) under the image's WORKDIR.
    const heartbeat = `${instruction("WORKDIR").at(-1)}/var/worker.heartbeat`;
    expect(script).toContain(`'${heartbeat}'`);

    const dir = mkdtempSync(join(tmpdir(), "el-heartbeat-"));
    const file = join(dir, "worker.heartbeat");
    const check = () => run(process.execPath, ["-e", script!.replace(heartbeat, file)]).then(() => 0, (error: { code: number }) => error.code);
    expect(await check()).toBe(1); // no heartbeat yet
    writeFileSync(file, "");
    expect(await check()).toBe(0);
    const old = new Date(Date.now() - 60_000);
    utimesSync(file, old, old);
    expect(await check()).toBe(1); // a worker that stopped beating a minute ago
  });
});

describe("Dockerfile", () => {
  const entrypoint = JSON.parse(instruction("ENTRYPOINT").at(-1)!) as string[];
  const cmd = JSON.parse(instruction("CMD").at(-1)!) as string[];

  it("runs node itself as PID 1, so SIGTERM reaches the line and the worker drains", () => {
    // Exec form (JSON) only: the shell form would put /bin/sh in between.
    expect(entrypoint[0]).toBe("node");
    expect([...entrypoint, ...cmd]).not.toEqual(expect.arrayContaining(["npx"]));
    expect([...entrypoint, ...cmd]).not.toEqual(expect.arrayContaining(["npm"]));
    expect(entrypoint).toEqual(["node", "--import", "tsx", "src/cli.ts"]);
    expect(cmd).toEqual(["serve"]);
    const pkg = JSON.parse(readFileSync("package.json", "utf8"));
    expect(pkg.dependencies.tsx, "tsx must survive npm ci --omit=dev").toBeDefined();
  });

  it("has an entrypoint that works: the image's command line answers --help", async () => {
    const { stdout } = await run(process.execPath, [...entrypoint.slice(1), "--help"]);
    expect(stdout).toContain("serve");
    expect(stdout).toContain("worker");
  });

  it("ships the bundled drills and never the local .env", () => {
    const copied = instruction("COPY").map((line) => line.split(/\s+/)[0]);
    expect(copied).toEqual(expect.arrayContaining(["src", "drills", "package.json"]));
    const ignored = readFileSync(".dockerignore", "utf8")
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith("#"));
    expect(ignored).toEqual(expect.arrayContaining([".env", "partners.json"]));
    for (const needed of ["src", "drills", "package.json", "package-lock.json", "tsconfig.json"]) expect(ignored, needed).not.toContain(needed);
  });
});
