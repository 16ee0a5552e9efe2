import http from 'node:http';
import https from 'node:https';
import { publicOnlyAgents, refuseLiteralNonPublic } from './publicAddresses';

/** A JSON POST to an external system (a webhook, the GitHub or GitLab API), ready to send. */
export interface PostRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** What every invoker's requests say they come from (GitHub refuses requests without one). */
export const USER_AGENT = 'backstage-self-service-actions/0.1';

/** What happened when a request was sent. */
export type PostOutcome =
  | { kind: 'response'; status: number; body: string }
  | { kind: 'error'; message: string }
  | { kind: 'timeout' };

/**
 * Sends a POST and waits for its immediate answer up to `timeoutMs`, reading at most
 * `maxResponseBytes` of the body. Redirects are never followed: a request that carries
 * credentials or a report token never goes anywhere the config did not name.
 *
 * node:http rather than fetch: every run sends one, and fetch's web streams and request
 * cloning cost several times more CPU per request. Node's global agent keeps connections alive.
 */
export function sendPost(
  request: PostRequest,
  options: {
    timeoutMs: number;
    maxResponseBytes: number;
    /**
     * Connect only to public addresses, checked on the address connected to (owner-managed
     * actions; see publicAddresses.ts).
     */
    publicAddressesOnly?: boolean;
  },
): Promise<PostOutcome> {
  const { timeoutMs, maxResponseBytes, publicAddressesOnly } = options;
  return new Promise(resolve => {
    // finish() can run before the timer exists (a header Node refuses), so it is set below.
    // eslint-disable-next-line prefer-const
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = (outcome: PostOutcome) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      }
    };
    const onResponse = (response: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const answer = () =>
        finish({
          kind: 'response',
          status: response.statusCode ?? 0,
          body: Buffer.concat(chunks).subarray(0, maxResponseBytes).toString('utf8'),
        });
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= maxResponseBytes) {
          // An endless or huge answer must not hold memory or the request open.
          answer();
          response.destroy();
        }
      });
      response.on('end', answer);
      response.on('error', error => finish({ kind: 'error', message: error.message }));
    };

    const url = new URL(request.url);
    const body = Buffer.from(request.body, 'utf8');
    const literal = publicAddressesOnly ? refuseLiteralNonPublic(url) : undefined;
    if (literal) {
      finish({ kind: 'error', message: `${literal.code}: ${literal.message}` });
      return;
    }
    let outgoing: http.ClientRequest;
    try {
      outgoing = (url.protocol === 'https:' ? https : http).request(
        url,
        {
          method: 'POST',
          headers: { ...request.headers, 'content-length': String(body.length) },
          ...(publicAddressesOnly ? { agent: publicOnlyAgents[url.protocol as 'http:' | 'https:'] } : {}),
        },
        onResponse,
      );
    } catch (error) {
      // A header value Node refuses to send, for instance.
      finish({ kind: 'error', message: (error as Error).message });
      return;
    }
    timer = setTimeout(() => {
      finish({ kind: 'timeout' });
      outgoing.destroy();
    }, timeoutMs);
    outgoing.on('error', (error: NodeJS.ErrnoException) =>
      finish({
        kind: 'error',
        message: error.code ? `${error.code}: ${error.message}` : error.message,
      }),
    );
    outgoing.end(body);
  });
}

/** The first `bytes` of a text in UTF-8 (what a run keeps of a refusing peer's answer). */
export function firstBytes(text: string, bytes: number): string {
  return Buffer.from(text, 'utf8').subarray(0, bytes).toString('utf8');
}
