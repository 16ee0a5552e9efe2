/** What a secret is replaced with wherever it would be stored or shown. */
export const REDACTED = '***';

/** Secrets shorter than this are too common as text to replace safely (a `1`, a `yes`). */
const MIN_SECRET_LENGTH = 4;

/** How many times a peer may have JSON-escaped what it echoes (a body quoted in a log line). */
const ESCAPE_LEVELS = 3;

/**
 * The forms a secret takes in text a peer sends back: as sent, JSON-escaped once or more (an
 * echoed JSON body, quoted again inside a JSON string), and URL-encoded (an echoed query).
 */
function formsOf(secret: string): string[] {
  const forms = [secret, encodeURIComponent(secret)];
  let escaped = secret;
  for (let level = 0; level < ESCAPE_LEVELS; level++) {
    escaped = JSON.stringify(escaped).slice(1, -1);
    forms.push(escaped);
  }
  return forms;
}

/**
 * Replaces every known secret in text from an untrusted peer (a receiver's answer, an error
 * text) with `***`, longest first so that a secret containing another is replaced whole.
 */
export function scrubSecrets(text: string, secrets: Iterable<string>): string {
  return secretScrubber(secrets)(text);
}

/** scrubSecrets for many texts and the same secrets: their forms are worked out once. */
export function secretScrubber(secrets: Iterable<string>): (text: string) => string {
  const forms = [...new Set([...secrets].filter(s => s.length >= MIN_SECRET_LENGTH).flatMap(formsOf))]
    .filter(form => form.length >= MIN_SECRET_LENGTH)
    .sort((a, b) => b.length - a.length);
  return text => {
    let scrubbed = text;
    for (const form of forms) {
      if (scrubbed.includes(form)) scrubbed = scrubbed.split(form).join(REDACTED);
    }
    return scrubbed;
  };
}

/**
 * The values of the named inputs, at any depth: the secrets of a context built without
 * `secretValues` (the plugin always sets it; a module may build its own).
 */
export function namedInputValues(inputs: Record<string, unknown>, names: string[]): string[] {
  const values: string[] = [];
  const collect = (value: unknown) => {
    if (typeof value === 'string') values.push(value);
    else if (typeof value === 'number' || typeof value === 'boolean') values.push(String(value));
    else if (Array.isArray(value)) value.forEach(collect);
    else if (value && typeof value === 'object') Object.values(value).forEach(collect);
  };
  names.forEach(name => collect(inputs[name]));
  return values;
}
