import { closeSync, fchmodSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { writeOpSchema, type WriteOp } from "./write-ops.ts";

/** "ok", or why the spool file cannot take writes (the disk is full, the path is not writable, ...). */
export type SpoolFileState = "ok" | `unwritable: ${string}`;

/**
 * The writes waiting for Redis, in order, and the append-only file that keeps them across a crash: one JSON
 * op per line, fsync'd, emptied once everything in it reached Redis. The file holds phone numbers and
 * transcripts: it is created 0600 (its directory 0700). When the file cannot take a write (a full disk, a
 * path that cannot be written) the write is still kept, in memory and in order, and replayed all the same;
 * `unspooled` counts those a crash would lose, and each later append tries the file again. Nothing here
 * throws: a write that cannot be made durable is still better kept than refused (or than a line that
 * refuses to start). See docs/architecture.md, "Nothing lost".
 */
export class Spool {
  private fd: number | null = null;
  readonly pending: WriteOp[] = [];
  /** How many of `pending`, at its end, are not in the file. */
  private memoryOnly = 0;
  private problem: string | null = null;
  private retryAt = 0;
  /** False when leftovers could not be read: such a file is never written, lest it be emptied unread. */
  private readonly loaded: boolean;

  constructor(readonly path: string) {
    this.loaded = this.attempt(() => this.load());
    if (this.loaded) this.attempt(() => this.open());
  }

  get fileState(): SpoolFileState {
    return this.problem === null ? "ok" : `unwritable: ${this.problem}`;
  }

  /** Writes held only in memory: lost if the process dies before Redis takes them. */
  get unspooled(): number {
    return Math.min(this.memoryOnly, this.pending.length);
  }

  append(op: WriteOp): void {
    this.pending.push(op);
    this.memoryOnly++;
    // While the file refuses, it is tried again at most once a second (each try rewrites everything held).
    if (this.memoryOnly > 1 && Date.now() < this.retryAt) return;
    const unsaved = this.pending.slice(-this.memoryOnly);
    // After a failed write the file may end in a torn line: a newline first closes it (loading skips it).
    const text = `${this.memoryOnly > 1 ? "\n" : ""}${unsaved.map((o) => JSON.stringify(o)).join("\n")}\n`;
    if (this.attempt(() => this.write(text))) this.memoryOnly = 0;
    else this.retryAt = Date.now() + 1000;
  }

  /** Called when every pending op reached Redis. */
  clear(): void {
    this.pending.length = 0;
    this.memoryOnly = 0;
    if (this.fd !== null && this.problem === null) {
      // Failing here leaves ops already in Redis in the file: replayed after a crash, harmlessly (idempotent).
      this.attempt(() => {
        ftruncateSync(this.fd!, 0);
        fsyncSync(this.fd!);
      });
    }
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private load(): void {
    let stats;
    try {
      stats = statSync(this.path);
    } catch (error) {
      // Nothing there, or a parent that is not a directory: no leftovers either way.
      if (["ENOENT", "ENOTDIR"].includes((error as NodeJS.ErrnoException).code ?? "")) return;
      throw error;
    }
    // Only a regular file holds leftovers (a device such as /dev/full would read forever).
    if (!stats.isFile()) return;
    for (const line of readFileSync(this.path, "utf8").split("\n").filter(Boolean)) {
      const parsed = writeOpSchema.safeParse(safeJson(line));
      // A torn line (a crash or a full disk mid-write) is the only way to get here; it was never acknowledged.
      if (parsed.success) this.pending.push(parsed.data);
    }
  }

  private open(): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const fd = openSync(this.path, "a", 0o600);
    const stats = fstatSync(fd);
    // A spool left by an older version may be readable by others; never chmod a device (e.g. /dev/full).
    if (stats.isFile() && (stats.mode & 0o077) !== 0) fchmodSync(fd, 0o600);
    this.fd = fd;
    // A blank line (skipped when loading) finds a full disk now, at start-up, rather than during an outage.
    this.write("\n");
  }

  private write(text: string): void {
    if (this.fd === null) {
      if (!this.loaded) throw new Error(this.problem ?? "the spool file could not be read");
      this.open();
    }
    const bytes = Buffer.from(text);
    for (let offset = 0; offset < bytes.length; ) offset += writeSync(this.fd!, bytes, offset);
    fsyncSync(this.fd!);
  }

  /** Runs a file operation; records its failure as the file's problem (and clears it on success). */
  private attempt(operation: () => void): boolean {
    try {
      operation();
      this.problem = null;
      return true;
    } catch (error) {
      const { code, message } = error as NodeJS.ErrnoException;
      this.problem = code && !message.startsWith(code) ? `${code}: ${message}` : message;
      return false;
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
