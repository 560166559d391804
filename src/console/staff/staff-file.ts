import { existsSync, readFileSync, writeFileSync } from "node:fs";
import argon2 from "argon2";
import { isMap, isSeq, parseDocument, YAMLSeq } from "yaml";
import { staffFileSchema, staffMemberSchema } from "../../call/staff.ts";

/** Shorter passwords are refused by `staff hash` and `staff add`: the console reaches production controls. */
export const MIN_PASSWORD_LENGTH = 12;

export class StaffFileError extends Error {}

/** argon2id with the library's defaults, in its standard string form: what STAFF_FILE's `password` holds. */
export async function hashPassword(password: string): Promise<string> {
  if (password.length < MIN_PASSWORD_LENGTH) throw new StaffFileError(`the password must have at least ${MIN_PASSWORD_LENGTH} characters`);
  return argon2.hash(password, { type: argon2.argon2id });
}

/**
 * Appends a person to the staff file (created when missing), keeping its comments and layout. The entry and
 * the file it makes are checked first (an email already listed, an unknown role), so `password` is asked
 * for only when it can be used.
 */
export async function addToStaffFile(file: string, person: { name: string; email: string; role: string }, password: () => Promise<string>): Promise<void> {
  // The password hash is checked last: a placeholder of the right form stands in for it meanwhile.
  const placeholder = "$argon2id$v=19$m=1,t=1,p=1$AAAA$AAAA";
  const fields = staffMemberSchema.safeParse({ ...person, password: placeholder });
  if (!fields.success) throw new StaffFileError(fields.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  const doc = parseDocument(existsSync(file) ? readFileSync(file, "utf8") : "staff:\n");
  if (doc.errors.length) throw new StaffFileError(`${file} is not valid YAML: ${doc.errors[0]!.message}`);
  if (!isMap(doc.contents)) throw new StaffFileError(`${file} must hold a map with a "staff" list`);
  let list = doc.get("staff");
  if (list === undefined || list === null) {
    list = new YAMLSeq();
    doc.set("staff", list);
  }
  if (!isSeq(list)) throw new StaffFileError(`${file}: "staff" must be a list`);
  // One line per person, as in the documented format: `- { name, email, role, password }`.
  list.flow = false;
  list.add(doc.createNode(fields.data, { flow: true }));
  const parsed = staffFileSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new StaffFileError(`not added: ${file} at ${issue.path.join(".")}: ${issue.message}`);
  }
  list.setIn([list.items.length - 1, "password"], await hashPassword(await password()));
  writeFileSync(file, doc.toString({ lineWidth: 0 }), { mode: 0o600 });
}
