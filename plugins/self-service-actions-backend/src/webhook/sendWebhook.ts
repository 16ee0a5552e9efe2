import { WebhookRequest } from './buildRequest';

/** What happened when a webhook was sent. */
export type WebhookOutcome =
  | { kind: 'response'; status: number; body: string }
  | { kind: 'error'; message: string }
  | { kind: 'timeout' };

async function readCapped(response: Response, maxBytes: number): Promise<string> {
  if (!response.body) {
    return '';
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      break;
    }
    chunks.push(value);
    size += value.byteLength;
    if (size >= maxBytes) {
      // An endless or huge answer must not hold memory or the request open.
      await reader.cancel();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8');
}

/**
 * Sends a webhook and waits for its immediate answer up to `timeoutMs`, reading at most
 * `maxResponseBytes` of the body. Redirects are never followed.
 */
export async function sendWebhook(
  request: WebhookRequest,
  options: { timeoutMs: number; maxResponseBytes: number },
): Promise<WebhookOutcome> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  try {
    const response = await fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal: controller.signal,
    });
    const body = await readCapped(response, options.maxResponseBytes);
    return { kind: 'response', status: response.status, body };
  } catch (error) {
    if (controller.signal.aborted) {
      return { kind: 'timeout' };
    }
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return {
      kind: 'error',
      message: cause?.code
        ? `${cause.code}${cause.message ? `: ${cause.message}` : ''}`
        : (error as Error).message,
    };
  } finally {
    clearTimeout(timer);
  }
}
