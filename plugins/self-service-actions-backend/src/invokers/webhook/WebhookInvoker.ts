import { Config } from '@backstage/config';
import {
  InvocationContext,
  InvocationOutcome,
  Invoker,
  PreviewedRequest,
} from '@self-service-actions/plugin-self-service-actions-node';
import { WebhookSettings } from '../../config';
import { buildWebhookRequest, WebhookRequest } from './buildRequest';
import { formatSeconds } from '../deadline';
import { firstBytes, sendPost } from '../sendPost';
import { signWebhook } from './sign';
import { readWebhookMethod, WebhookMethod } from './webhookMethod';

/** How much of a refusing receiver's answer is kept on the run. */
const FAILURE_BODY_BYTES = 1024;

/**
 * `method.type: Webhook`: a signed JSON POST whose immediate answer may already be a status
 * report. Redirects are never followed; the answer is read up to a size limit.
 */
export class WebhookInvoker implements Invoker<WebhookMethod> {
  readonly type = 'Webhook';
  /** Requests built by `check`, sent by `invoke` as built (an entry goes with its context). */
  private readonly built = new WeakMap<InvocationContext<WebhookMethod>, WebhookRequest>();

  constructor(private readonly settings: WebhookSettings) {}

  validate(methodConfig: Config): WebhookMethod {
    return readWebhookMethod(methodConfig, this.settings);
  }

  describe(method: WebhookMethod): { url: string } {
    return { url: method.url };
  }

  reportsBack(method: WebhookMethod): boolean {
    return method.completion === 'report';
  }

  check(context: InvocationContext<WebhookMethod>): void {
    this.built.set(context, buildWebhookRequest(context, this.settings.allowedHosts));
  }

  /** Every configured header's rendered value is secret (config.d.ts: deep visibility secret). */
  secrets(context: InvocationContext<WebhookMethod>): string[] {
    const built =
      this.built.get(context) ?? buildWebhookRequest(context, this.settings.allowedHosts);
    const configured = Object.keys(context.method.headers).map(name => built.headers[name]);
    return [...configured.filter((value): value is string => !!value), ...context.method.signingSecrets];
  }

  /** The signed request, as `invoke` builds it. */
  preview(context: InvocationContext<WebhookMethod>): PreviewedRequest {
    const built = buildWebhookRequest(context, this.settings.allowedHosts);
    const signed = signWebhook(built, context.run.id, context.method.signingSecrets);
    return { method: 'POST', url: signed.url, headers: signed.headers, body: signed.body };
  }

  async invoke(context: InvocationContext<WebhookMethod>): Promise<InvocationOutcome> {
    const { method, run } = context;
    const built =
      this.built.get(context) ?? buildWebhookRequest(context, this.settings.allowedHosts);
    const request = signWebhook(built, run.id, method.signingSecrets);
    const outcome = await sendPost(request, {
      timeoutMs: method.timeoutMs,
      maxResponseBytes: this.settings.maxResponseBytes,
      publicAddressesOnly: context.publicAddressesOnly,
    });
    if (outcome.kind === 'timeout') {
      // Nothing reports back after a response-completed webhook: no answer is a failure.
      return method.completion === 'response'
        ? { kind: 'failed', reason: `Webhook did not answer within ${formatSeconds(method.timeoutMs)}` }
        : { kind: 'timed-out' };
    }
    if (outcome.kind === 'error') {
      return { kind: 'failed', reason: 'The webhook could not be reached', detail: outcome.message };
    }
    if (outcome.status >= 300 && outcome.status < 400) {
      return { kind: 'failed', reason: `Webhook answered ${outcome.status}: redirect not followed` };
    }
    if (outcome.status < 200 || outcome.status >= 300) {
      const body = firstBytes(outcome.body, FAILURE_BODY_BYTES);
      return { kind: 'failed', reason: `Webhook answered ${outcome.status}${body ? `: ${body}` : ''}` };
    }
    if (method.completion === 'response') {
      return { kind: 'completed', message: `Webhook answered ${outcome.status}` };
    }
    return { kind: 'accepted', answer: outcome.body };
  }
}
