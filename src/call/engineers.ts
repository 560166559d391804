import { z } from "zod";
import { e164 } from "./phone.ts";

export const MAX_LEVELS = 3;

export const engineerSchema = z.object({
  name: z.string().min(1).max(60).optional(),
  number: e164,
});
export type Engineer = z.infer<typeof engineerSchema>;

/** ENGINEERS="Ada=+15550001001,+15550001002": the on-call order, primary first. */
export const engineersSchema = z
  .string()
  .transform((value) =>
    value
      .split(",")
      .map((entry) => entry.trim())
      .filter(Boolean)
      .map((entry) => {
        const eq = entry.lastIndexOf("=");
        return eq === -1 ? { number: entry } : { name: entry.slice(0, eq).trim(), number: entry.slice(eq + 1).trim() };
      }),
  )
  .pipe(
    z
      .array(engineerSchema)
      .min(1, "at least one engineer")
      .max(MAX_LEVELS, `at most ${MAX_LEVELS} engineers: the primary and two fallbacks`),
  );

export function engineerLabel(engineer: Engineer, level: number): string {
  return engineer.name ?? `engineer ${level}`;
}

/** "engineer 2 (Ada)": how the timeline and logs name whoever is at a level. */
export function engineerAt(engineers: readonly Engineer[], level: number): string {
  const engineer = engineers[level - 1];
  return engineer ? `engineer ${level} (${engineerLabel(engineer, level)})` : `engineer ${level}`;
}
