import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import argon2 from "argon2";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { baseEnv } from "../helpers/line.ts";
import { uniquePrefix } from "../helpers/redis.ts";

/** `emergency-line ARGS` with `input` piped to stdin. */
function cli(args: string[], input: string, env: Record<string, string | undefined> = process.env) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    const child = execFile(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], { env }, (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
    child.stdin!.end(input);
  });
}

describe("emergency-line staff", () => {
  it("hash: reads a password on stdin and prints an argon2id hash of it", async () => {
    const run = await cli(["staff", "hash"], "a long enough password\n");
    expect(run.code).toBe(0);
    const hash = run.stdout.trim();
    expect(hash).toMatch(/^\$argon2id\$v=19\$/);
    expect(await argon2.verify(hash, "a long enough password")).toBe(true);
    expect(run.stdout).not.toContain("a long enough password");
    expect(await cli(["staff", "hash"], "short\n")).toMatchObject({ code: 2, stderr: "emergency-line staff: the password must have at least 12 characters\n" });
  });

  it("add: appends people the line then signs in, refusing a second entry for one email and an unknown role", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "el-staff-cli-")), "staff.yaml");
    writeFileSync(file, "# who may use the console\nstaff: []\n");
    const env = { ...process.env, STAFF_FILE: file };
    expect(await cli(["staff", "add", "Ada Lovelace", "--email", "ada@platform.example", "--role", "admin"], "ada's long password\n", env)).toMatchObject({ code: 0 });
    expect(await cli(["staff", "add", "Grace Hopper", "--email", "grace@platform.example", "--role", "engineer", "--file", file], "grace's long password\n")).toMatchObject({ code: 0 });
    const text = readFileSync(file, "utf8");
    expect(text).toContain("# who may use the console");
    expect(text).not.toContain("long password");
    const staff = loadConfig({ ...baseEnv(uniquePrefix("staff-cli")), STAFF_FILE: file }).staff;
    expect(staff.map(({ name, email, role }) => ({ name, email, role }))).toEqual([
      { name: "Ada Lovelace", email: "ada@platform.example", role: "admin" },
      { name: "Grace Hopper", email: "grace@platform.example", role: "engineer" },
    ]);
    expect(await argon2.verify(staff[1]!.password, "grace's long password")).toBe(true);

    const twice = await cli(["staff", "add", "Ada Again", "--email", "ADA@platform.example", "--role", "viewer"], "another long password\n", env);
    expect(twice).toMatchObject({ code: 2 });
    expect(twice.stderr).toContain("ada@platform.example is listed twice");
    const role = await cli(["staff", "add", "Linus", "--email", "linus@platform.example", "--role", "root"], "another long password\n", env);
    expect(role.stderr).toContain("role: one of viewer, engineer, admin");
    expect(readFileSync(file, "utf8")).toBe(text);
  }, 30_000);

  it("serve refuses a staff file with a bad entry, naming it, before it starts", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "el-staff-cli-")), "staff.yaml");
    writeFileSync(file, 'staff:\n  - { name: Ada, email: ada@platform.example, role: admin, password: "hunter2hunter2" }\n');
    const run = await cli(["serve"], "", { ...process.env, ...baseEnv(uniquePrefix("staff-cli")), STAFF_FILE: file });
    expect(run.code).toBe(78);
    expect(run.stderr).toContain(`STAFF_FILE (${file}) at staff.0.password (ada@platform.example): an argon2 hash`);
  }, 30_000);
});
