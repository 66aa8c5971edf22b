import type { ProxyAnswer } from '../../proxy/proxy.service';

/** The page shows at most this much of an answer. */
export const SHOWN_BYTES = 64 * 1024;

/** Keys whose string values the page never shows, whatever a provider puts in its answer. */
const SECRET_KEY = /token|secret|password/i;

export interface ShownAnswer {
  contentType?: string;
  /** JSON pretty-printed (secret-looking fields hidden), else the text as it came. */
  body: string;
  truncated: boolean;
}

/** The first SHOWN_BYTES of a proxy answer's body, ready to show (the rest is not read: the stream is closed). */
export async function readAnswer(answer: ProxyAnswer): Promise<ShownAnswer> {
  const raw = answer.headers['content-type'];
  const contentType = Array.isArray(raw) ? raw[0] : raw;
  const { bytes, truncated } = await firstBytes(answer.body, SHOWN_BYTES);
  return { contentType, body: shown(bytes.toString('utf8'), truncated), truncated };
}

/** The same, in text that is not (or no longer, once shortened) JSON as a whole: `"…token…": "…"`. */
const SECRET_MEMBER = /("[^"\\]*(?:token|secret|password)[^"\\]*"\s*:\s*)"(?:[^"\\]|\\.)*"/gi;

const hidden = (key: string, value: unknown) =>
  key && SECRET_KEY.test(key) && typeof value === 'string' ? '[hidden]' : value;

/** A value the service answered itself (the page's other actions), as the page shows a provider's JSON. */
export function shownJson(value: unknown): string {
  return JSON.stringify(value, hidden, 2);
}

function shown(text: string, truncated: boolean): string {
  if (!truncated) {
    try {
      return JSON.stringify(JSON.parse(text), hidden, 2);
    } catch {
      // not JSON: shown as text
    }
  }
  return text.replace(SECRET_MEMBER, '$1"[hidden]"');
}

async function firstBytes(body: ProxyAnswer['body'], max: number): Promise<{ bytes: Buffer; truncated: boolean }> {
  if (Buffer.isBuffer(body)) return { bytes: body.subarray(0, max), truncated: body.length > max };
  const chunks: Buffer[] = [];
  let size = 0;
  // Leaving the loop early destroys the stream (and so the provider connection): nothing more is read.
  for await (const chunk of body as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > max) break;
  }
  const bytes = Buffer.concat(chunks);
  return { bytes: bytes.subarray(0, max), truncated: bytes.length > max };
}
