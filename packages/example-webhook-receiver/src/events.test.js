// @ts-check
'use strict';

const { createHmac, randomUUID } = require('node:crypto');
const { createReceiver, DEMO_EVENTS_SECRET } = require('./receiver');
const { createEventsHandler } = require('./events');

/**
 * Signs as docs/events.md says the backend does, by hand rather than with standardwebhooks:
 * HMAC-SHA256 over `id.timestamp.body`, keyed by the base64-decoded whsec_ secret or the raw
 * secret's UTF-8 bytes.
 * @param {string} secret
 * @param {string} id
 * @param {string} body
 */
function sign(secret, id, body, timestamp = Math.floor(Date.now() / 1000)) {
  const key = secret.startsWith('whsec_')
    ? Buffer.from(secret.slice('whsec_'.length), 'base64')
    : Buffer.from(secret, 'utf8');
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': `v1,${signature}`,
  };
}

/** @param {string} type @param {number} sequence @param {string} [id] */
function eventBody(type, sequence, id = randomUUID()) {
  return JSON.stringify({
    type,
    id,
    timestamp: new Date().toISOString(),
    data: {
      run: {
        id: 'run-1',
        actionId: 'restart-service',
        actionName: 'Restart service',
        actionType: 'Day2',
        entityRef: 'component:default/payments',
        initiatedBy: 'user:default/jane',
        status: type === 'run.succeeded' ? 'complete' : 'inprogress',
        createdAt: new Date().toISOString(),
        completedAt: null,
        url: 'http://localhost:3000/self-service-actions/runs/run-1',
      },
      sequence,
    },
  });
}

/** @param {{ eventsSecret?: string }} [options] */
async function start(options = {}) {
  /** @type {string[]} */
  const lines = [];
  const receiver = createReceiver({ log: line => lines.push(line), ...options });
  await new Promise(resolve => receiver.server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = /** @type {import('node:net').AddressInfo} */ (receiver.server.address());
  /** @param {string} body @param {Record<string, string>} headers */
  const post = (body, headers) =>
    fetch(`http://127.0.0.1:${address.port}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
  return { receiver, lines, post };
}

describe('POST /events', () => {
  /** @type {import('node:http').Server[]} */
  const servers = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(server => new Promise(resolve => server.close(resolve))));
  });

  it('takes a signed event once: 204, one log line; a retry of its webhook-id is 200 and not logged', async () => {
    const { receiver, lines, post } = await start();
    servers.push(receiver.server);
    const id = randomUUID();
    const body = eventBody('run.succeeded', 3, id);

    const first = await post(body, sign(DEMO_EVENTS_SECRET, id, body));
    expect(first.status).toBe(204);
    // a retry is signed anew (a later timestamp) but keeps its webhook-id
    const retry = await post(body, sign(DEMO_EVENTS_SECRET, id, body, Math.floor(Date.now() / 1000) + 1));
    expect(retry.status).toBe(200);

    expect(lines).toEqual(['event run.succeeded: run run-1 #3 complete']);
    expect(receiver.events.map(event => event.id)).toEqual([id]);
  });

  it('refuses a missing, wrong or stale signature with 401 and logs nothing as an event', async () => {
    const { receiver, lines, post } = await start();
    servers.push(receiver.server);
    const id = randomUUID();
    const body = eventBody('run.created', 1, id);

    expect((await post(body, {})).status).toBe(401);
    const otherSecret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    expect((await post(body, sign(otherSecret, id, body))).status).toBe(401);
    const tampered = body.replace('run.created', 'run.succeeded');
    expect((await post(tampered, sign(DEMO_EVENTS_SECRET, id, body))).status).toBe(401);
    const stale = sign(DEMO_EVENTS_SECRET, id, body, Math.floor(Date.now() / 1000) - 3600);
    expect((await post(body, stale)).status).toBe(401);

    expect(receiver.events).toEqual([]);
    expect(lines.every(line => line.startsWith('refused an event'))).toBe(true);
    // a refused delivery was not remembered: the genuine one is still taken
    expect((await post(body, sign(DEMO_EVENTS_SECRET, id, body))).status).toBe(204);
  });

  it('uses a secret without whsec_ as its own bytes', async () => {
    const secret = 'a raw secret, not base64 – with non-ASCII';
    const { receiver, post } = await start({ eventsSecret: secret });
    servers.push(receiver.server);
    const id = randomUUID();
    const body = eventBody('run.created', 1, id);

    expect((await post(body, sign(DEMO_EVENTS_SECRET, id, body))).status).toBe(401);
    expect((await post(body, sign(secret, id, body))).status).toBe(204);
  });

  it('answers 400 to a signed body that is not JSON', async () => {
    const { receiver, post } = await start();
    servers.push(receiver.server);
    const id = randomUUID();
    expect((await post('not json', sign(DEMO_EVENTS_SECRET, id, 'not json'))).status).toBe(400);
    expect(receiver.events).toEqual([]);
  });
});

describe('createEventsHandler', () => {
  it('remembers a bounded number of ids, forgetting the oldest first', () => {
    const handler = createEventsHandler({ log: () => {}, maxRememberedIds: 2 });
    /** @param {string} id */
    const deliver = id => {
      const body = eventBody('run.created', 1, id);
      /** @type {number[]} */
      const statuses = [];
      const res = /** @type {any} */ ({
        writeHead: (/** @type {number} */ status) => {
          statuses.push(status);
          return { end: () => {} };
        },
      });
      handler.handle(/** @type {any} */ ({ headers: sign(DEMO_EVENTS_SECRET, id, body) }), body, res);
      return statuses[0];
    };

    expect([deliver('a'), deliver('b'), deliver('a')]).toEqual([204, 204, 200]);
    expect(deliver('c')).toBe(204); // 'a' is forgotten now
    expect([deliver('b'), deliver('c'), deliver('a')]).toEqual([200, 200, 204]);
    expect(handler.events.map(event => event.id)).toEqual(['c', 'a']);
  });
});
