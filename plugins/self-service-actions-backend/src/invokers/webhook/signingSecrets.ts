const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Checks a Standard Webhooks signing secret: base64 (optionally prefixed `whsec_`) of at least
 * 24 bytes, as the specification recommends. Returns a problem, or undefined when it is fine.
 */
export function signingSecretProblem(secret: string): string | undefined {
  const key = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  if (!BASE64.test(key)) {
    return 'must be base64 (optionally prefixed whsec_)';
  }
  if (Buffer.from(key, 'base64').length < 24) {
    return 'must be at least 24 bytes (32 characters of base64)';
  }
  return undefined;
}

/**
 * Reads a signing secret or a list of them, each checked; `fail` gets the problem (to name
 * the setting it came from).
 */
export function readSigningSecrets(value: unknown, fail: (problem: string) => never): string[] {
  if (value === undefined || value === null) {
    return [];
  }
  const list = Array.isArray(value) ? value : [value];
  return list.map(secret => {
    if (typeof secret !== 'string' || !secret) {
      return fail('must be a secret string or a list of them');
    }
    const problem = signingSecretProblem(secret);
    return problem ? fail(problem) : secret;
  });
}
