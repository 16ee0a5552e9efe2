// @ts-check
'use strict';

/**
 * `POST /events` of the example receiver: takes the lifecycle events of runs (run.created,
 * run.approved, ... run.terminated; docs/events.md) that the backend sends to a subscriber,
 * verifies their Standard Webhooks signature, drops repeats by `webhook-id` (delivery is at
 * least once) and logs one line per event.
 */
const { Webhook } = require('standardwebhooks');

/**
 * The demo's events secret (app-config.yaml's demo-receiver subscriber uses the same default):
 * 32 random bytes, base64, with the whsec_ prefix. Demo value only; set SSA_EVENTS_SECRET.
 */
const DEMO_EVENTS_SECRET = 'whsec_8SUgR61MRU5Y1hpAisERCoRaOA0g2YmXMXsVB3cLFGY=';

/** How many event ids are remembered for deduplication (the oldest are forgotten first). */
const MAX_REMEMBERED_IDS = 10_000;

/**
 * A verifier for a subscriber's signingSecret: a `whsec_` secret is base64-decoded (as the
 * standardwebhooks library does), any other string is used as its own UTF-8 bytes.
 * @param {string} secret
 */
function eventsVerifier(secret) {
  if (secret.startsWith('whsec_')) {
    return new Webhook(secret);
  }
  return new Webhook(new TextEncoder().encode(secret), { format: 'raw' });
}

/**
 * @param {import('node:http').IncomingHttpHeaders} headers
 * @param {string} name
 */
function header(headers, name) {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : (value ?? '');
}

/**
 * @param {{ secret?: string, log: (message: string) => void, maxRememberedIds?: number }} options
 */
function createEventsHandler(options) {
  const verifier = eventsVerifier(options.secret || DEMO_EVENTS_SECRET);
  const maxRememberedIds = options.maxRememberedIds ?? MAX_REMEMBERED_IDS;
  const { log } = options;
  /** Ids of the events taken, oldest first (a Set keeps insertion order). @type {Set<string>} */
  const seen = new Set();
  /** The events taken, oldest first, repeats left out; as many as there are remembered ids. @type {any[]} */
  const events = [];

  /**
   * @param {import('node:http').IncomingMessage} req
   * @param {string} raw the body exactly as received (the signature covers these bytes)
   * @param {import('node:http').ServerResponse} res
   */
  function handle(req, raw, res) {
    const id = header(req.headers, 'webhook-id');
    try {
      verifier.verify(
        raw,
        {
          'webhook-id': id,
          'webhook-timestamp': header(req.headers, 'webhook-timestamp'),
          'webhook-signature': header(req.headers, 'webhook-signature'),
        },
        { jsonParse: false },
      );
    } catch (error) {
      log(`refused an event: ${/** @type {Error} */ (error).message}`);
      res.writeHead(401, { 'content-type': 'text/plain' }).end('invalid webhook signature');
      return;
    }
    if (seen.has(id)) {
      // A retry of an event already taken (our 2xx was lost, or came too late): answer 2xx so
      // the sender stops, and do nothing twice.
      res.writeHead(200, { 'content-type': 'text/plain' }).end('already received');
      return;
    }
    /** @type {any} */
    let event;
    try {
      event = JSON.parse(raw);
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('body must be JSON');
      return;
    }
    seen.add(id);
    events.push(event);
    if (seen.size > maxRememberedIds) {
      seen.delete(/** @type {string} */ (seen.values().next().value));
      events.shift();
    }
    const run = event?.data?.run ?? {};
    log(`event ${event?.type}: run ${run.id} #${event?.data?.sequence} ${run.status}`);
    res.writeHead(204).end();
  }

  return { handle, events };
}

module.exports = { createEventsHandler, eventsVerifier, DEMO_EVENTS_SECRET };
