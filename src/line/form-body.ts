import type { IncomingMessage } from "node:http";
import { fieldsOf, type Fields } from "./webhook.ts";

/** Why a webhook's body was refused: a 4xx naming the problem, and nothing changed. */
export interface BodyRefusal {
  status: 400 | 413 | 415;
  message: string;
  /** The body may go on past what was read of it: the connection is not kept for another request. */
  close: boolean;
}

const FORM = "application/x-www-form-urlencoded";

/**
 * A webhook's form, read whole up to `limit` bytes and at most `maxFields` fields, before anything looks at
 * it (its signature covers it: edge.ts checks that next). The refusals say what body-parser's did, which
 * the line used before: 413 "too large" or "too many parameters", 415 for a charset or encoding other than
 * Twilio's (UTF-8, none). A body of another type is no form: no fields, and the signature check decides.
 */
export function readForm(req: IncomingMessage, { limit, maxFields }: { limit: number; maxFields: number }): Promise<{ fields: Fields } | { refused: BodyRefusal }> {
  const type = req.headers["content-type"];
  const [mediaType, ...parameters] = (type ?? "").split(";").map((part) => part.trim());
  const isForm = mediaType?.toLowerCase() === FORM;
  const charset = parameters.find((parameter) => /^charset=/i.test(parameter))?.slice("charset=".length).replace(/^"|"$/g, "").toLowerCase();
  // An empty list of codings is no coding.
  const encoding = (req.headers["content-encoding"] || "identity").trim().toLowerCase();
  const length = req.headers["content-length"] === undefined ? null : Number(req.headers["content-length"]);
  // A refused body of a length within the limit is read to its end and dropped, keeping the connection.
  const close = length === null || length > limit;
  const refusal: BodyRefusal | null =
    isForm && charset !== undefined && charset !== "utf-8" && charset !== "utf8"
      ? { status: 415, message: `unsupported charset "${charset.toUpperCase()}": webhooks are UTF-8`, close }
      : encoding !== "identity"
        ? { status: 415, message: `unsupported content encoding "${encoding}"`, close }
        : length !== null && length > limit
          ? tooLarge(limit)
          : null;
  return new Promise((resolve) => {
    if (refusal) return resolve(refuse(req, refusal));
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off("data", onData);
        resolve(refuse(req, tooLarge(limit)));
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => {
      if (size > limit) return;
      if (!isForm) return resolve({ fields: Object.create(null) as Fields });
      const text = chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8");
      // Counted before anything is parsed: a thousand fields is far more than any webhook's few dozen.
      let fields = text.length > 0 ? 1 : 0;
      for (let at = text.indexOf("&"); at !== -1 && fields <= maxFields; at = text.indexOf("&", at + 1)) fields++;
      resolve(fields > maxFields ? { refused: { status: 413, message: "too many parameters", close: false } } : { fields: fieldsOf(text) });
    });
    req.once("error", () => resolve({ refused: { status: 400, message: "the request body was cut off", close: true } }));
  });
}

function tooLarge(limit: number): BodyRefusal {
  return { status: 413, message: `request body too large: at most ${limit} bytes here`, close: true };
}

/** The rest of a refused body is read and dropped; edge.ts closes the connection when `close` says so. */
function refuse(req: IncomingMessage, refused: BodyRefusal): { refused: BodyRefusal } {
  req.resume();
  return { refused };
}
