import http from 'node:http';
import https from 'node:https';
import { WebhookRequest } from './buildRequest';

/** What happened when a webhook was sent. */
export type WebhookOutcome =
  | { kind: 'response'; status: number; body: string }
  | { kind: 'error'; message: string }
  | { kind: 'timeout' };

/**
 * Sends a webhook and waits for its immediate answer up to `timeoutMs`, reading at most
 * `maxResponseBytes` of the body. Redirects are never followed.
 *
 * node:http rather than fetch: every run sends one, and fetch's web streams and request
 * cloning cost several times more CPU per request. Node's global agent keeps connections alive.
 */
export function sendWebhook(
  request: WebhookRequest,
  options: { timeoutMs: number; maxResponseBytes: number },
): Promise<WebhookOutcome> {
  const { timeoutMs, maxResponseBytes } = options;
  return new Promise(resolve => {
    // finish() can run before the timer exists (a header Node refuses), so it is set below.
    // eslint-disable-next-line prefer-const
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = (outcome: WebhookOutcome) => {
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
    let outgoing: http.ClientRequest;
    try {
      outgoing = (url.protocol === 'https:' ? https : http).request(
        url,
        { method: 'POST', headers: { ...request.headers, 'content-length': String(body.length) } },
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
