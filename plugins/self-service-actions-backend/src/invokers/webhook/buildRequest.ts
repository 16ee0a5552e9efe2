import { InputError } from '@backstage/errors';
import { JsonObject } from '@self-service-actions/plugin-self-service-actions-common';
import { InvocationContext } from '@self-service-actions/plugin-self-service-actions-node';
import {
  checkUrlPathValues,
  placesReportToken,
  renderStringMap,
  renderTemplate,
  templateContextOf,
} from '../template';
import { PostRequest, USER_AGENT } from '../sendPost';
import { isHostAllowed, WebhookMethod } from './webhookMethod';

/** A webhook request, ready to send. */
export type WebhookRequest = PostRequest;

/**
 * Builds the webhook request of a run from the action's method and the run's context.
 * Throws `InputError` when a value cannot be placed safely (a line break in a header, a
 * templated URL that leads to a host that is not allowed).
 */
export function buildWebhookRequest(
  invocation: InvocationContext<WebhookMethod>,
  allowedHosts: string[] | undefined,
): WebhookRequest {
  const { method, action } = invocation;
  const context = templateContextOf(invocation);
  const reportsBack = method.completion === 'report';
  let body: JsonObject;
  if (method.payload) {
    body = renderTemplate(method.payload, context) as JsonObject;
    if (
      reportsBack &&
      !placesReportToken(method.payload, method.headers, method.queryParameters, method.url)
    ) {
      body[method.reportTokenKey] = context.reportToken;
    }
  } else {
    body = {
      action: { id: action.id, name: action.name, type: action.type },
      run: reportsBack ? { id: context.run.id, reportUrl: context.run.reportUrl } : { id: context.run.id },
      entity: context.entity
        ? {
            ref: (context.entity.ref as string) ?? null,
            kind: context.entity.kind ?? null,
            metadata: context.entity.metadata ?? {},
            spec: context.entity.spec ?? {},
          }
        : null,
      user: { ref: context.user.ref },
      inputs: invocation.inputs,
    };
    if (reportsBack) {
      body[method.reportTokenKey] = context.reportToken;
    }
  }
  checkUrlPathValues(method.url, context);
  const url = new URL(String(renderTemplate(method.url, context, 'url')));
  if (!isHostAllowed(url.hostname, allowedHosts)) {
    throw new InputError('The webhook URL points at a host that is not allowed');
  }
  const query = renderStringMap(method.queryParameters, context, 'body');
  for (const [name, value] of Object.entries(query)) {
    // URLSearchParams encodes the value; it never changes the URL's origin.
    url.searchParams.append(name, value);
  }
  const headers: Record<string, string> = {
    ...renderStringMap(method.headers, context, 'header'),
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    ...(reportsBack ? { 'x-report-url': context.run.reportUrl } : {}),
  };
  return { url: url.toString(), headers, body: JSON.stringify(body) };
}
