/**
 * Text that cannot be stored as given: PostgreSQL refuses the NUL character in text, and a lone
 * UTF-16 surrogate is no character at all (encoding it to UTF-8 silently turns it into U+FFFD).
 * Every string the API accepts is checked, so such input is answered with a 422 naming the field,
 * never a 500 from the database or a silently changed value.
 */

export interface TextProblem {
  /** Dotted path of the string (or the key) in the input, e.g. `leads.3.firstName`. */
  field: string;
  message: string;
}

const NUL = '\u0000';
/** A high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Deeper input is not walked further (bodies are size-limited; this bounds the walk). */
const MAX_DEPTH = 32;

/** Why `text` cannot be stored, or null when it can. */
export function unstorableText(text: string): string | null {
  if (text.includes(NUL)) return 'must not contain the NUL character (U+0000)';
  if (LONE_SURROGATE.test(text)) return 'must not contain a lone surrogate (not valid Unicode text)';
  return null;
}

/** Every string (and object key) of `value` that cannot be stored, with its path. */
export function unstorableTextProblems(value: unknown, path: readonly string[] = []): TextProblem[] {
  const problems: TextProblem[] = [];
  const field = (parts: readonly string[]) => parts.join('.') || '(body)';
  const walk = (current: unknown, at: readonly string[], depth: number): void => {
    if (typeof current === 'string') {
      const message = unstorableText(current);
      if (message) problems.push({ field: field(at), message });
      return;
    }
    if (depth >= MAX_DEPTH || current === null || typeof current !== 'object') return;
    if (Array.isArray(current)) {
      current.forEach((item, index) => walk(item, [...at, String(index)], depth + 1));
      return;
    }
    for (const [key, item] of Object.entries(current)) {
      const keyMessage = unstorableText(key);
      if (keyMessage) problems.push({ field: field([...at, JSON.stringify(key)]), message: `field name ${keyMessage}` });
      else walk(item, [...at, key], depth + 1);
    }
  };
  walk(value, path, 0);
  return problems;
}
