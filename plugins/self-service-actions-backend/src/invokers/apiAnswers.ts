import { isJsonObject, JsonObject } from '@self-service-actions/plugin-self-service-actions-common';
import { firstBytes } from './sendPost';

/** How much of a refusing API's message is kept on the run. */
const REASON_BYTES = 1024;

/** The body of an API's answer as a JSON object, if it is one. */
export function jsonObjectOf(body: string): JsonObject | undefined {
  try {
    const parsed = JSON.parse(body);
    return isJsonObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What an API said when it refused: GitHub's and GitLab's `message` (GitLab's may be an
 * object of field errors), GitLab's `error`, else the body as text.
 */
function messageOf(body: string): string {
  const answer = jsonObjectOf(body);
  const message = answer?.message ?? answer?.error;
  if (typeof message === 'string') {
    return message;
  }
  return message !== undefined && message !== null ? JSON.stringify(message) : body;
}

/** The reason a run fails when `service` answered anything but success. */
export function refusalReason(service: string, status: number, body: string): string {
  if (status >= 300 && status < 400) {
    // A moved repository or a login page in front of the API: the request carries
    // credentials, so it never follows.
    return `${service} answered ${status}: redirect not followed`;
  }
  const message = firstBytes(messageOf(body).trim(), REASON_BYTES);
  return `${service} answered ${status}${message ? `: ${message}` : ''}`;
}

/** A link an API answered with, kept only when it is an http(s) URL of sane length. */
export function webLink(title: string, url: unknown): { title: string; url: string }[] {
  if (typeof url !== 'string' || url.length > 2048) {
    return [];
  }
  try {
    const { protocol } = new URL(url);
    return protocol === 'https:' || protocol === 'http:' ? [{ title, url }] : [];
  } catch {
    return [];
  }
}
