import { EventsService } from '@backstage/plugin-events-node';
import {
  LifecycleEvent,
  SELF_SERVICE_ACTIONS_EVENT_TOPIC,
} from '@self-service-actions/plugin-self-service-actions-common';
import { Webhook } from 'standardwebhooks';
import { sendPost, USER_AGENT } from '../invokers/sendPost';
import { EVENTS_SERVICE_SINK_ID, EventSubscriber, signingKey } from './eventsConfig';

/** What one attempt to hand an event to a sink came to. */
export type SendResult =
  | { delivered: true; responseStatus: number | null }
  | { delivered: false; responseStatus: number | null; error: string };

/** Where events go: a subscriber's URL, or Backstage's events service. */
export interface EventSink {
  id: string;
  /** Attempts under way at once, at most. */
  concurrency: number;
  send(event: LifecycleEvent): Promise<SendResult>;
}

/** Only the status matters: the rest of an answer is not read. */
const MAX_ANSWER_BYTES = 1024;

/**
 * POSTs events to a subscriber, signed as Standard Webhooks with `webhook-id` = the event id
 * (the same on every attempt, so receivers dedupe). 2xx delivers; redirects are not followed
 * and nothing of an answer but its status is kept (a hostile receiver may echo anything).
 */
export class WebhookEventSink implements EventSink {
  readonly id: string;
  readonly concurrency = 16;
  private readonly webhook: Webhook;

  constructor(
    private readonly subscriber: EventSubscriber,
    private readonly timeoutMs: number,
  ) {
    this.id = subscriber.id;
    this.webhook = new Webhook(signingKey(subscriber.signingSecret));
  }

  async send(event: LifecycleEvent): Promise<SendResult> {
    const body = JSON.stringify(event);
    const now = new Date();
    const outcome = await sendPost(
      {
        url: this.subscriber.url,
        headers: {
          'content-type': 'application/json',
          'user-agent': USER_AGENT,
          'webhook-id': event.id,
          'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
          'webhook-signature': this.webhook.sign(event.id, now, body),
        },
        body,
      },
      { timeoutMs: this.timeoutMs, maxResponseBytes: MAX_ANSWER_BYTES },
    );
    if (outcome.kind === 'timeout') {
      return { delivered: false, responseStatus: null, error: `No answer in ${this.timeoutMs / 1000} s` };
    }
    if (outcome.kind === 'error') {
      // Transport errors name codes and addresses, never the secret or the body.
      return { delivered: false, responseStatus: null, error: outcome.message.slice(0, 200) };
    }
    if (outcome.status >= 200 && outcome.status < 300) {
      return { delivered: true, responseStatus: outcome.status };
    }
    return { delivered: false, responseStatus: outcome.status, error: `Answered ${outcome.status}` };
  }
}

/** Publishes events on Backstage's events service, for backend modules in process. */
export class EventsServiceSink implements EventSink {
  readonly id = EVENTS_SERVICE_SINK_ID;
  // With the events backend installed, each publish is a call to its bus (a token, an HTTP
  // request, a row in its database): not cheaper than a webhook.
  readonly concurrency = 16;

  constructor(private readonly events: EventsService) {}

  async send(event: LifecycleEvent): Promise<SendResult> {
    try {
      await this.events.publish({
        topic: SELF_SERVICE_ACTIONS_EVENT_TOPIC,
        eventPayload: event,
        metadata: { type: event.type, runId: event.data.run.id },
      });
      return { delivered: true, responseStatus: null };
    } catch (error) {
      return { delivered: false, responseStatus: null, error: String((error as Error)?.message ?? error).slice(0, 200) };
    }
  }
}
