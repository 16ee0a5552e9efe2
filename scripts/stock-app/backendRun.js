// @ts-check
'use strict';
// Starts the stock app's backend (`yarn start` in packages/backend: backstage-cli package start,
// SQLite in memory as the template configures it) and creates a run of the README's action that
// the example receiver completes through /report.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const SERVICE = 'stock-service';

/** A Service for the action to apply to (test data: the template's examples hold none). */
const SERVICE_ENTITY = `---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ${SERVICE}
  description: A service of the stock-app test
spec:
  type: service
  lifecycle: experimental
  owner: guests
  system: examples
`;

const sleep = (/** @type {number} */ ms) => new Promise(resolve => setTimeout(resolve, ms));

/**
 * Starts the backend in its own process group; resolves once the plugin's routes answer.
 * @param {{ appDir: string, yarnRelease: string, env: NodeJS.ProcessEnv, port: number, logFile: string }} options
 */
async function startBackend(options) {
  const { appDir, yarnRelease, env, port, logFile } = options;
  const out = fs.openSync(logFile, 'w');
  const child = spawn(
    process.execPath,
    [yarnRelease, 'start', '--config', '../../app-config.yaml', '--config', '../../app-config.stock-test.yaml'],
    { cwd: path.join(appDir, 'packages/backend'), env, stdio: ['ignore', out, out], detached: true },
  );
  fs.closeSync(out);
  const baseUrl = `http://localhost:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const exited = new Promise(resolve => child.once('exit', resolve));
      if ((await Promise.race([exited, sleep(15_000).then(() => 'timeout')])) === 'timeout') {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  };
  const deadline = Date.now() + 240_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      break;
    }
    try {
      const res = await fetch(`${baseUrl}/api/self-service-actions/actions`);
      if (res.status === 401) {
        return { baseUrl, stop };
      }
    } catch {
      // not listening yet
    }
    await sleep(1000);
  }
  await stop();
  const tail = fs.readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
  throw new Error(`the backend did not serve /api/self-service-actions (log ${logFile}):\n${tail}`);
}

/** Signs in as the guest user (the template's auth provider). */
async function guestToken(/** @type {string} */ baseUrl) {
  const res = await fetch(`${baseUrl}/api/auth/guest/refresh`, { headers: { 'x-requested-with': 'XMLHttpRequest' } });
  if (res.status !== 200) {
    throw new Error(`guest sign-in answered ${res.status}`);
  }
  return /** @type {string} */ ((await res.json()).backstageIdentity.token);
}

/**
 * Creates a run of the action on the Service and waits until the receiver completed it.
 * @param {string} baseUrl
 * @param {string} actionId
 * @returns {Promise<{ runId: string, steps: number, reports: number }>}
 */
async function runActionToCompletion(baseUrl, actionId, /** @type {{ reports: Array<{ status: number }> }} */ receiver) {
  const token = await guestToken(baseUrl);
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const entityRef = `component:default/${SERVICE}`;
  // the catalog reads examples/ a few seconds after start-up
  let actions;
  const deadline = Date.now() + 90_000;
  for (;;) {
    const res = await fetch(`${baseUrl}/api/self-service-actions/actions?entityRef=${encodeURIComponent(entityRef)}`, { headers });
    if (res.status === 200) {
      actions = await res.json();
      break;
    }
    if (Date.now() > deadline) {
      throw new Error(`listing the actions of ${entityRef} answered ${res.status}: ${await res.text()}`);
    }
    await sleep(1000);
  }
  const action = actions.find((/** @type {{ id: string }} */ a) => a.id === actionId);
  if (!action?.canRun) {
    throw new Error(`action ${actionId} is not offered to the guest on ${entityRef}: ${JSON.stringify(actions)}`);
  }
  const created = await fetch(`${baseUrl}/api/self-service-actions/actions/${actionId}/runs`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ entityRef, inputs: { reason: 'stock-app test' } }),
  });
  const run = await created.json();
  if (created.status !== 201) {
    throw new Error(`creating a run answered ${created.status}: ${JSON.stringify(run)}`);
  }
  const until = Date.now() + 90_000;
  for (;;) {
    const res = await fetch(`${baseUrl}/api/self-service-actions/runs/${run.id}`, { headers });
    const current = await res.json();
    if (current.status === 'complete') {
      const refused = receiver.reports.filter(report => report.status !== 200);
      if (refused.length > 0 || receiver.reports.length === 0) {
        throw new Error(`the receiver's reports were answered ${JSON.stringify(receiver.reports)}`);
      }
      return { runId: run.id, steps: current.steps.length, reports: receiver.reports.length };
    }
    if (current.status !== 'inprogress' || Date.now() > until) {
      throw new Error(`run ${run.id} is ${current.status}: ${current.error ?? current.message ?? ''}`);
    }
    await sleep(500);
  }
}

module.exports = { SERVICE, SERVICE_ENTITY, startBackend, guestToken, runActionToCompletion };
