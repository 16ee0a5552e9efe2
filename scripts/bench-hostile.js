/* eslint-disable no-console */
// The hostile-traffic phase of `npm run bench` (scripts/bench.js): the report load of phase 3
// again, while 5 % more requests come from hostile peers. The good traffic's rate and p99 are
// printed beside those of the clean phase, so that what hostile peers cost the others shows.
const { randomBytes } = require('node:crypto');

/** The share of all requests that is hostile. */
const HOSTILE_SHARE = 0.05;

/**
 * Hostile requests, each with the answer it must get. `token` is the report token of a run kept
 * for them, so that the good runs' reports are never disturbed.
 */
function hostileRequests(base, token, auth) {
  const report = (body, headers = {}) => ({
    method: 'POST',
    path: `${base}/report`,
    headers: { 'content-type': 'application/json', 'x-report-token': token, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const startedAt = new Date().toISOString();
  return [
    { kind: 'token not of the minted form', expect: 401, ...report({ status: 'inprogress', startedAt }, { 'x-report-token': 'not-a-token' }) },
    { kind: 'unknown token', expect: 401, ...report({ status: 'inprogress', startedAt }, { 'x-report-token': randomBytes(32).toString('base64url') }) },
    { kind: 'year 10000', expect: 400, ...report({ status: 'inprogress', startedAt: '+010000-01-01T00:00:00.000Z' }) },
    { kind: 'invalid JSON', expect: 400, ...report('{"status": ') },
    { kind: 'unknown field', expect: 400, ...report({ status: 'inprogress', startedAt, admin: true }) },
    { kind: 'too many links in one report', expect: 400, ...report({ status: 'inprogress', startedAt, links: Array.from({ length: 60 }, (_, i) => ({ url: `https://x.example/${i}` })) }) },
    { kind: 'body over 1 MiB', expect: 413, ...report(JSON.stringify({ status: 'inprogress', startedAt, message: 'x'.repeat(1_100_000) })) },
    {
      kind: 'NUL and lone surrogates (stored as U+FFFD)',
      expect: 200,
      ...report({ status: 'inprogress', startedAt, message: 'a\u0000b\ud800', steps: [{ title: 'Poison', status: 'inprogress', startedAt, logs: ['\u0000', '\udc00'] }] }),
    },
    { kind: 'stray Authorization header (ignored)', expect: 200, ...report({ status: 'inprogress', startedAt }, { authorization: 'Bearer forged' }) },
    // a run whose receiver answers 400 echoing everything it was sent (token included)
    { kind: 'run of an action whose receiver echoes', expect: 201, method: 'POST', path: `${base}/actions/bench-echo/runs`, headers: auth, body: JSON.stringify({ inputs: {} }) },
  ];
}

/**
 * Runs the good reports at `connections`, and alongside them the hostile requests at 5 % of
 * all requests (paced from the clean phase's rate), until the good ones are done.
 */
async function hostilePhase({ autocannon, url, base, auth, reports, connections, cleanRate, hostileToken }) {
  const hostile = hostileRequests(new URL(base).pathname, hostileToken, auth);
  let nextHostile = 0;
  const statuses = new Map();
  const sidecar = autocannon({
    url,
    connections: 4,
    overallRate: Math.max(1, Math.round((cleanRate * HOSTILE_SHARE) / (1 - HOSTILE_SHARE))),
    duration: 600,
    requests: [{ setupRequest: () => hostile[nextHostile++ % hostile.length] }],
  });
  sidecar.on('response', (_client, statusCode) => statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1));
  let next = 0;
  const good = await new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    let last = started;
    const instance = autocannon(
      {
        url: `${base}/report`,
        method: 'POST',
        connections,
        amount: reports.length,
        requests: [{ setupRequest: req => {
          const r = reports[next++ % reports.length];
          return { ...req, headers: { 'content-type': 'application/json', 'x-report-token': r.token }, body: r.body };
        } }],
      },
      (error, result) => (error ? reject(error) : resolve({ ...result, duration: Number(last - started) / 1e9 })),
    );
    instance.on('response', () => {
      last = process.hrtime.bigint();
    });
  });
  sidecar.stop();
  const sent = [...statuses.values()].reduce((a, b) => a + b, 0);
  console.log(`status reports with hostile traffic: ${good['2xx']} of ${reports.length} good ones accepted, ${(good['2xx'] / good.duration).toFixed(0)} reports/s, p50 ${good.latency.p50} ms, p99 ${good.latency.p99} ms (clean: ${cleanRate.toFixed(0)} reports/s)`);
  console.log(`  hostile requests: ${sent} (${((sent / (sent + reports.length)) * 100).toFixed(1)} % of all), answers ${[...statuses].sort().map(([code, n]) => `${code}: ${n}`).join(', ')}; each kind and its answer: ${hostile.map(h => `${h.kind} ${h.expect}`).join('; ')}`);
  return { good, statuses, hostileKinds: hostile.map(h => ({ kind: h.kind, expect: h.expect })) };
}

/** The bench receiver's answer for the echoing action: 400 with everything it was sent. */
const ECHO_ROUTE = `if (req.url === '/echo') return res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid request', received: Buffer.concat(chunks).toString('utf8'), headers: req.headers }));`;

module.exports = { hostilePhase, ECHO_ROUTE };
