import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { writeOpSchema, type WriteOp } from "./write-ops.ts";

/** The append-only spool file: one JSON op per line, fsync'd; emptied once everything in it reached Redis. */
export class Spool {
  private readonly fd: number;
  readonly pending: WriteOp[] = [];

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    const existing = existsSync(path) ? readFileSync(path, "utf8") : "";
    for (const line of existing.split("\n").filter(Boolean)) {
      const parsed = writeOpSchema.safeParse(safeJson(line));
      // A torn last line (a crash mid-write) is the only way to get here; what it held was never acknowledged.
      if (parsed.success) this.pending.push(parsed.data);
    }
    this.fd = openSync(path, "a");
  }

  append(op: WriteOp): void {
    writeSync(this.fd, `${JSON.stringify(op)}\n`);
    fsyncSync(this.fd);
    this.pending.push(op);
  }

  /** Called when every pending op reached Redis. */
  clear(): void {
    this.pending.length = 0;
    ftruncateSync(this.fd, 0);
    fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
