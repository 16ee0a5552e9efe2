import { Config } from '@backstage/config';
import { isJsonObject, JsonObject } from '@self-service-actions/plugin-self-service-actions-common';
import { InvokerMethod } from '@self-service-actions/plugin-self-service-actions-node';
import { WebhookSettings } from '../../config';
import { fail, readMethodTimeoutMs, readStringMap } from '../methodFields';
import { placeholderPaths, placesReportToken } from '../template';
import { readSigningSecrets } from './signingSecrets';

/** How a webhook action calls the external system. Header values are secret. */
export interface WebhookMethod extends InvokerMethod {
  type: 'Webhook';
  url: string;
  queryParameters: Record<string, string>;
  headers: Record<string, string>;
  payload?: JsonObject;
  reportTokenKey: string;
  /** Standard Webhooks signing secrets (the action's, else the global ones); empty: unsigned. */
  signingSecrets: string[];
  /**
   * `report`: the receiver reports through `/report` with the run's token. `response`
   * (Flashduty-style buttons): the answer is the result, 2xx completes the run, anything else
   * or no answer in time fails it; no token is minted.
   */
  completion: 'report' | 'response';
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const PLACEHOLDERS = /\{\{[^}]*\}\}/g;

/** True when `host` matches one of the patterns (`*.example.com` matches subdomains only). */
export function isHostAllowed(host: string, patterns: string[] | undefined): boolean {
  if (!patterns) {
    return true;
  }
  const name = host.toLocaleLowerCase('en-US');
  return patterns.some(pattern => {
    const p = pattern.toLocaleLowerCase('en-US');
    return p.startsWith('*.') ? name.endsWith(p.slice(1)) : name === p;
  });
}

/** Reads and checks a Webhook action's `method` block; throws naming the field. */
export function readWebhookMethod(config: Config, settings: WebhookSettings): WebhookMethod {
  const raw = config.get() as JsonObject;
  if (raw.httpMethod !== undefined && raw.httpMethod !== 'POST') {
    return fail('httpMethod', `must be POST, not ${JSON.stringify(raw.httpMethod)}`);
  }
  const url = raw.url;
  if (typeof url !== 'string' || !url) {
    return fail('url', 'is required');
  }
  const origin = /^(https?):\/\/([^/?#]*)/i.exec(url);
  if (!origin) {
    return fail('url', 'must be an http or https URL');
  }
  if (origin[0].includes('{{')) {
    return fail('url', 'cannot have placeholders in its scheme, host or port');
  }
  let hostname: string;
  try {
    hostname = new URL(url.replace(PLACEHOLDERS, 'x')).hostname;
  } catch {
    return fail('url', 'is not a valid URL');
  }
  const headers = readStringMap('headers', raw.headers);
  for (const name of Object.keys(headers)) {
    if (!HEADER_NAME.test(name)) {
      fail('headers', `has an invalid header name ${JSON.stringify(name)}`);
    }
  }
  if (raw.payload !== undefined && !isJsonObject(raw.payload)) {
    return fail('payload', 'must be an object');
  }
  const reportTokenKey = raw.reportTokenKey ?? 'reportToken';
  if (typeof reportTokenKey !== 'string' || !reportTokenKey) {
    return fail('reportTokenKey', 'must be a non-empty string');
  }
  const completion = raw.completion ?? 'report';
  if (completion !== 'report' && completion !== 'response') {
    return fail('completion', `must be report or response, not ${JSON.stringify(completion)}`);
  }
  if (completion === 'response') {
    if (raw.reportTokenKey !== undefined) {
      return fail('reportTokenKey', 'has no use with completion: response (no token is minted)');
    }
    const templates = [url, raw.headers, raw.queryParameters, raw.payload];
    if (placesReportToken(...templates) || placeholderPaths(templates).includes('run.reportUrl')) {
      return fail(
        'completion',
        'is response: nothing reports back, so no template may place the report token or URL',
      );
    }
  }
  if (!isHostAllowed(hostname, settings.allowedHosts)) {
    fail('url', 'points at a host not in selfServiceActions.webhook.allowedHosts');
  }
  const signingSecrets = readSigningSecrets(raw.signingSecret, problem =>
    fail('signingSecret', problem),
  );
  const timeoutMs = readMethodTimeoutMs(config);
  return {
    type: 'Webhook',
    url,
    queryParameters: readStringMap('queryParameters', raw.queryParameters),
    headers,
    payload: raw.payload,
    reportTokenKey,
    timeoutMs: timeoutMs ?? settings.timeoutMs,
    signingSecrets: signingSecrets.length > 0 ? signingSecrets : settings.signingSecrets,
    completion,
  };
}
