// @ts-check
/* eslint-disable no-console */
'use strict';

/**
 * A small but real receiver for self-service action webhooks, standing in for the CI job
 * or script that does the work. It answers the webhook at once with `inprogress`, then
 * reports a few steps with logs back to the plugin's report route and finishes `complete`,
 * or `failed` when asked to (query `?outcome=fail` or an input `simulateFailure: true`).
 * `POST /events` takes the lifecycle events of runs (src/events.js).
 */
const http = require('node:http');
const { Webhook } = require('standardwebhooks');
const { createEventsHandler, DEMO_EVENTS_SECRET } = require('./events');

/** A rollout's log as a real one reads: long enough that the run page has to scroll and search. */
function rolloutLog() {
  const lines = [];
  for (let pod = 1; pod <= 3; pod++) {
    for (let probe = 1; probe <= 40; probe++) {
      const phase = probe < 40 ? `readiness probe ${probe}/40 pending` : 'ready';
      lines.push(`pod payments-7d9f${pod}: ${phase}`);
    }
    lines.push(`Rollout: ${pod} of 3 pods updated`);
  }
  return lines;
}

const STEPS = [
  { title: 'Set up job', message: 'Setting up the job', logs: ['Current runner version: 2.317.0', 'Prepare workflow directory'] },
  {
    title: 'Check out configuration',
    message: 'Checking out the configuration',
    logs: ['Fetching deployment manifests', 'Found 3 manifests'],
  },
  { title: 'Run action', message: 'Rolling out', logs: ['Applying change', 'Waiting for rollout', ...rolloutLog(), 'Rollout finished'] },
  { title: 'Verify', message: 'Verifying health checks', logs: ['Health checks passing (3/3)'] },
];

/** @param {http.IncomingMessage} req */
function readBody(req) {
  return new Promise((resolve, reject) => {
    /** @type {Buffer[]} */
    const chunks = [];
    req.on('data', chunk => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const now = () => new Date().toISOString();
const sleep = (/** @type {number} */ ms) => new Promise(resolve => setTimeout(resolve, ms));

/**
 * @param {{ stepDelayMs?: number, log?: (message: string) => void, signingSecret?: string, eventsSecret?: string, holdStep?: (runId: string, title: string) => Promise<void> | void }} [options]
 *   With a signing secret, webhooks whose Standard Webhooks signature does not verify (or is
 *   missing, or older than five minutes) are refused with 401. Lifecycle events on `/events`
 *   are always verified, with `eventsSecret` (default: the demo events secret). `holdStep` is
 *   awaited while each step is in progress, before it is reported done: a test that must see a
 *   step running holds it until it has, instead of racing a fixed delay.
 */
function createReceiver(options = {}) {
  const stepDelayMs = options.stepDelayMs ?? 1500;
  const verifier = options.signingSecret ? new Webhook(options.signingSecret) : undefined;
  const log = options.log ?? (message => console.log(`[receiver] ${message}`));
  /** Run ids already taken: deliveries are at-least-once, so a repeat is ignored. */
  const seen = new Set();
  /** @type {Array<{ runId: string, status: number }>} */
  const reports = [];
  /** Run id of every webhook taken, repeats included. @type {string[]} */
  const deliveries = [];
  const eventsHandler = createEventsHandler({ secret: options.eventsSecret, log });

  /**
   * @param {string} reportUrl
   * @param {string} token
   * @param {object} body
   */
  async function report(reportUrl, token, body) {
    const response = await fetch(reportUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-report-token': token },
      body: JSON.stringify(body),
    });
    return response.status;
  }

  /**
   * @param {{ runId: string, reportUrl: string, token: string, fail: boolean }} job
   */
  async function simulateJob(job) {
    const startedAt = now();
    /** @type {Array<{ title: string, status: string, startedAt: string, completedAt?: string, logs: string[] }>} */
    const steps = [{ title: 'Queued', status: 'complete', startedAt, completedAt: startedAt, logs: ['Job accepted'] }];
    for (const [index, step] of STEPS.entries()) {
      await sleep(stepDelayMs);
      const stepStarted = now();
      const failing = job.fail && index === STEPS.length - 2;
      steps.push({ title: step.title, status: 'inprogress', startedAt: stepStarted, logs: step.logs.slice(0, 1) });
      let status = await report(job.reportUrl, job.token, { status: 'inprogress', startedAt, message: step.message, steps });
      reports.push({ runId: job.runId, status });
      if (status !== 200) {
        log(`run ${job.runId}: report answered ${status}; stopping (cancelled or expired)`);
        return;
      }
      await sleep(stepDelayMs / 2);
      await options.holdStep?.(job.runId, step.title);
      const last = steps[steps.length - 1];
      last.status = failing ? 'failed' : 'complete';
      last.completedAt = now();
      last.logs = failing ? [...step.logs.slice(0, 1), 'Error: rollout did not finish'] : step.logs;
      const final = failing || index === STEPS.length - 1;
      status = await report(job.reportUrl, job.token, {
        status: final ? (failing ? 'failed' : 'complete') : 'inprogress',
        startedAt,
        ...(final ? { completedAt: now(), message: failing ? 'Rollout failed' : 'Done' } : {}),
        links: [{ title: 'Job log', url: `https://ci.example.com/jobs/${job.runId}` }],
        steps,
      });
      reports.push({ runId: job.runId, status });
      if (final || status !== 200) {
        log(`run ${job.runId}: ${final ? (failing ? 'failed' : 'complete') : `stopped (${status})`}`);
        return;
      }
    }
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const raw = await readBody(req);
    if (req.method === 'GET' && url.pathname === '/healthz') {
      res.writeHead(200).end('ok');
      return;
    }
    if (req.method === 'POST' && url.pathname === '/broken') {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('Internal error: the automation is down');
      return;
    }
    if (req.method === 'POST' && url.pathname === '/events') {
      eventsHandler.handle(req, raw, res);
      return;
    }
    if (req.method !== 'POST' || (url.pathname !== '/webhook' && url.pathname !== '/button')) {
      res.writeHead(404).end();
      return;
    }
    if (verifier) {
      try {
        verifier.verify(raw, {
          'webhook-id': String(req.headers['webhook-id'] ?? ''),
          'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
          'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
        });
      } catch (error) {
        log(`refused a webhook: ${/** @type {Error} */ (error).message}`);
        res.writeHead(401, { 'content-type': 'text/plain' }).end('invalid webhook signature');
        return;
      }
    }
    if (url.pathname === '/button') {
      // A Flashduty-style button (completion: response): the work is done while answering,
      // and the answer is the result; nothing reports back.
      deliveries.push(String(req.headers['webhook-id'] ?? ''));
      log(`button pressed: ${raw.length} bytes`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"done":true}');
      return;
    }
    /** @type {any} */
    let body;
    try {
      body = JSON.parse(raw);
    } catch {
      res.writeHead(400).end('body must be JSON');
      return;
    }
    const token = body.reportToken ?? body['c8-report-token'];
    const reportUrl = req.headers['x-report-url'] ?? body.run?.reportUrl;
    const runId = String(req.headers['webhook-id'] ?? body.run?.id ?? body.runId ?? '');
    if (typeof token !== 'string' || typeof reportUrl !== 'string' || !runId) {
      res.writeHead(400).end('missing report token, report URL or run id');
      return;
    }
    deliveries.push(runId);
    const fail = url.searchParams.get('outcome') === 'fail' || body.inputs?.simulateFailure === true;
    const startedAt = now();
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        status: 'inprogress',
        startedAt,
        message: 'Job queued',
        steps: [{ title: 'Queued', status: 'complete', startedAt, completedAt: startedAt, logs: ['Job accepted'] }],
      }),
    );
    if (seen.has(runId)) {
      log(`run ${runId}: repeated delivery ignored`);
      return;
    }
    seen.add(runId);
    log(`run ${runId}: ${body.action?.name ?? 'action'} accepted${fail ? ' (will fail)' : ''}`);
    simulateJob({ runId, reportUrl, token, fail }).catch(error =>
      log(`run ${runId}: reporting failed: ${error.message}`),
    );
  });

  return { server, reports, deliveries, events: eventsHandler.events };
}

module.exports = { createReceiver, DEMO_EVENTS_SECRET };
