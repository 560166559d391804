import { XMLParser } from "fast-xml-parser";

/** One TwiML element: a verb (Say, Dial, ...) or a noun inside one (Number inside Dial). */
export interface Verb {
  name: string;
  attrs: Record<string, string>;
  text: string;
  children: Verb[];
}

export class TwimlError extends Error {
  override name = "TwimlError";
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  // "+15550001001" must stay a string, not become the number 15550001001.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
});

type Node = Record<string, unknown> & { ":@"?: Record<string, string> };

/** Parses a TwiML document into the verbs of its <Response>, in order. */
export function parseTwiml(xml: string): Verb[] {
  let nodes: Node[];
  try {
    nodes = parser.parse(xml) as Node[];
  } catch (error) {
    throw new TwimlError(`not XML: ${(error as Error).message}`);
  }
  const response = nodes.find((node) => "Response" in node);
  if (!response) throw new TwimlError("no <Response> element");
  return toVerbs(response.Response as Node[]);
}

function toVerbs(nodes: Node[]): Verb[] {
  return nodes.filter((node) => !("#text" in node)).map(toVerb);
}

function toVerb(node: Node): Verb {
  const name = Object.keys(node).find((key) => key !== ":@")!;
  const content = (node[name] as Node[]) ?? [];
  const text = content
    .filter((child) => "#text" in child)
    .map((child) => String(child["#text"]))
    .join("")
    .trim();
  return { name, attrs: node[":@"] ?? {}, text, children: toVerbs(content) };
}
