import { z } from "zod";

/**
 * Console staff and what each role may do (docs/architecture.md, "Console staff"): a viewer reads; an engineer also
 * acts on cases, replies and overrides; an admin also changes the roster, schedule and queues, manages staff
 * and reads the audit trail. Each role includes the ones before it.
 */
export const ROLES = ["viewer", "engineer", "admin"] as const;
export const roleSchema = z.enum(ROLES, { error: `one of ${ROLES.join(", ")}` });
export type Role = z.infer<typeof roleSchema>;

export const roleAtLeast = (role: Role, needed: Role) => ROLES.indexOf(role) >= ROLES.indexOf(needed);

/** argon2's standard encoded form (PHC string): what `emergency-line staff hash` prints. */
export const PASSWORD_HASH = /^\$argon2(id|i|d)\$v=\d+\$[a-z]+=\d+(,[a-z]+=\d+)*\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

export const staffMemberSchema = z.strictObject({
  name: z.string().trim().min(1, "a name"),
  email: z.email("an email address").transform((email) => email.toLowerCase()),
  role: roleSchema,
  password: z.string().regex(PASSWORD_HASH, "an argon2 hash from `emergency-line staff hash`, never the password itself"),
});
export type StaffMember = z.infer<typeof staffMemberSchema>;

/** The STAFF_FILE: `staff: [{ name, email, role, password }]`, each email once. */
export const staffFileSchema = z.strictObject({
  staff: z.array(staffMemberSchema).superRefine((staff, ctx) => {
    const seen = new Set<string>();
    staff.forEach((member, index) => {
      if (seen.has(member.email)) ctx.addIssue({ code: "custom", path: [index, "email"], message: `${member.email} is listed twice` });
      seen.add(member.email);
    });
  }),
});

/** Who did something, as the audit trail and the role checks see them. */
export interface Actor {
  email: string;
  name: string;
  role: Role;
  /** How they proved it: a console session (local password or single sign-on), their API token, or CONSOLE_TOKEN. */
  via: "password" | "sso" | "api-token" | "console-token";
}
