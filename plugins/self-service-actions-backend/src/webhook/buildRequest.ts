import { JsonObject } from '@internal/plugin-self-service-actions-common';
import { ActionDefinition } from '../actions/types';
import {
  placesReportToken,
  renderStringMap,
  renderTemplate,
  TemplateContext,
} from './template';

/** A webhook request, ready to send. */
export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

const USER_AGENT = 'backstage-self-service-actions/0.1';

/**
 * Builds the webhook request of a run from the action's method and the run's context.
 * Throws `InputError` when a value cannot be placed safely (a line break in a header).
 */
export function buildWebhookRequest(
  action: ActionDefinition,
  context: TemplateContext,
  /** The inputs as given (the context also names declared inputs that were not given). */
  givenInputs: JsonObject,
): WebhookRequest {
  const { method } = action;
  let body: JsonObject;
  if (method.payload) {
    body = renderTemplate(method.payload, context) as JsonObject;
    if (
      !placesReportToken(method.payload, method.headers, method.queryParameters, method.url)
    ) {
      body[method.reportTokenKey] = context.reportToken;
    }
  } else {
    body = {
      action: { id: action.id, name: action.name, type: action.type },
      run: { id: context.run.id, reportUrl: context.run.reportUrl },
      entity: context.entity
        ? {
            ref: (context.entity.ref as string) ?? null,
            kind: context.entity.kind ?? null,
            metadata: context.entity.metadata ?? {},
            spec: context.entity.spec ?? {},
          }
        : null,
      user: { ref: context.user.ref },
      inputs: givenInputs,
      reportToken: context.reportToken,
    };
    if (method.reportTokenKey !== 'reportToken') {
      body[method.reportTokenKey] = context.reportToken;
    }
  }

  const url = new URL(String(renderTemplate(method.url, context, 'url')));
  const query = renderStringMap(method.queryParameters, context, 'body');
  for (const [name, value] of Object.entries(query)) {
    // URLSearchParams encodes the value; it never changes the URL's origin.
    url.searchParams.append(name, value);
  }
  const headers: Record<string, string> = {
    ...renderStringMap(method.headers, context, 'header'),
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'x-report-url': context.run.reportUrl,
  };
  return { url: url.toString(), headers, body: JSON.stringify(body) };
}
