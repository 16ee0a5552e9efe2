import { Webhook } from 'standardwebhooks';
import { WebhookRequest } from './buildRequest';

/**
 * Adds the Standard Webhooks headers: `webhook-id` (the run id, so receivers can dedupe
 * repeated deliveries), and with secrets `webhook-timestamp` and `webhook-signature` holding
 * one `v1,<base64>` signature per secret, so a receiver can rotate secrets without downtime.
 */
export function signWebhook(
  request: WebhookRequest,
  runId: string,
  secrets: string[],
  now = new Date(),
): WebhookRequest {
  const headers: Record<string, string> = { ...request.headers, 'webhook-id': runId };
  if (secrets.length > 0) {
    headers['webhook-timestamp'] = String(Math.floor(now.getTime() / 1000));
    headers['webhook-signature'] = secrets
      .map(secret => new Webhook(secret).sign(runId, now, request.body))
      .join(' ');
  }
  return { ...request, headers };
}
