#!/usr/bin/env node
// @ts-check
/* eslint-disable no-console */
'use strict';
// The stock-app test: packs the plugins, takes @backstage/create-app's own templates (new and
// legacy frontend system), installs the tarballs with the READMEs' own commands from a loopback
// registry, applies exactly the README's marked lines, then type-checks, builds the app, starts
// its backend on SQLite, completes a run through /report and looks at the app in Chromium.
// Every check is counted; a check after a failed one fails too ("not run: ..."), never skipped.
//
//   node scripts/stock-app [--variant new|legacy] [--results file.json]
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { prepareStockApp, yarnEnv, sh, cacheRoot } = require('./baseInstall');
const { readSteps, stepsFor, countLines, applyCodeStep } = require('./readmeSteps');
const { startRegistryProcess } = require('./localRegistry');
const { yarnReleasePath } = require('./template');
const { SERVICE, SERVICE_ENTITY, startBackend, runActionToCompletion } = require('./backendRun');
const { openStockApp } = require('./browser');

const root = path.resolve(__dirname, '../..');
const READMES = ['plugins/self-service-actions-backend/README.md', 'plugins/self-service-actions/README.md'];
const BACKEND_PACKAGE = '@self-service-actions/plugin-self-service-actions-backend';
/** Values for the ${VARS} of the README's config, set for the stock backend. */
const ACTION_ID = 'restart-service';

const args = process.argv.slice(2);
const option = (/** @type {string} */ name) => {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
};
const variants = /** @type {Array<'new' | 'legacy'>} */ (option('--variant') ? [option('--variant')] : ['new', 'legacy']);
const resultsFile = option('--results');

/** @type {Array<{ name: string, ok: boolean, detail: string, seconds: number }>} */
const checks = [];
const started = Date.now();
const log = (/** @type {string} */ message) => console.log(`[stock-app] ${message}`);

/** Runs the checks of a chain in order; after a failure the rest are counted failed. */
function chain() {
  /** @type {string | undefined} */
  let broken;
  return async (/** @type {string} */ name, /** @type {() => Promise<string> | string} */ fn) => {
    const t0 = Date.now();
    if (broken) {
      checks.push({ name, ok: false, detail: `not run: ${broken} failed`, seconds: 0 });
      console.log(`  ✗ ${name} (not run: ${broken} failed)`);
      return;
    }
    try {
      const detail = await fn();
      const seconds = (Date.now() - t0) / 1000;
      checks.push({ name, ok: true, detail, seconds });
      console.log(`  ✓ ${name} (${seconds.toFixed(0)} s): ${detail}`);
    } catch (error) {
      broken = name;
      const detail = /** @type {Error} */ (error).message;
      checks.push({ name, ok: false, detail, seconds: (Date.now() - t0) / 1000 });
      console.log(`  ✗ ${name}: ${detail}`);
    }
  };
}

async function freePort() {
  const server = net.createServer();
  await new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise(resolve => server.close(() => resolve(undefined)));
  return port;
}

/** Points the app's yarn at the loopback registry for the plugins' scope. */
function useLocalRegistry(/** @type {string} */ appDir, /** @type {string} */ registryUrl) {
  const rcFile = path.join(appDir, '.yarnrc.yml');
  let rc = fs.readFileSync(rcFile, 'utf8');
  // published minutes ago: exempt from the template's npmMinimalAgeGate, like @backstage/*
  rc = rc.replace(/^npmPreapprovedPackages:\n/m, "npmPreapprovedPackages:\n  - '@self-service-actions/*'\n");
  rc += `\nnpmScopes:\n  self-service-actions:\n    npmRegistryServer: "${registryUrl}"\nunsafeHttpWhitelist:\n  - "127.0.0.1"\n`;
  fs.writeFileSync(rcFile, rc);
  // yarn's global cache is keyed by name and version: drop the last run's tarballs of 0.1.0
  const cacheDir = path.join(cacheRoot, 'yarn-global', 'cache');
  for (const file of fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir) : []) {
    if (file.startsWith('@self-service-actions-')) {
      fs.rmSync(path.join(cacheDir, file));
    }
  }
}

/**
 * @param {'new' | 'legacy'} variant
 * @param {import('./readmeSteps').Step[]} allSteps
 * @param {{ url: string }} registry
 * @param {ReturnType<typeof chain>} step
 */
async function testVariant(variant, allSteps, registry, step) {
  const steps = stepsFor(allSteps, variant);
  /** @type {{ appDir: string, release: () => void } | undefined} */
  let app;
  /** @type {{ stop: () => Promise<void>, baseUrl: string } | undefined} */
  let backend;
  /** @type {Awaited<ReturnType<typeof openStockApp>> | undefined} */
  let browser;
  const { createReceiver } = require('example-webhook-receiver');
  const signingSecret = `whsec_${Buffer.from(require('node:crypto').randomBytes(32)).toString('base64')}`;
  const receiver = createReceiver({ stepDelayMs: 200, log: () => {}, signingSecret });
  await new Promise(resolve => receiver.server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const receiverAddress = receiver.server.address();
  const receiverPort = typeof receiverAddress === 'object' && receiverAddress ? receiverAddress.port : 0;
  const port = await freePort();
  let runId = '';
  const env = {
    ...yarnEnv(),
    SSA_SIGNING_SECRET: signingSecret,
    RESTART_WEBHOOK_URL: `http://127.0.0.1:${receiverPort}/webhook`,
  };
  try {
    await step(`${variant}: create-app ${VARIANT_NAMES[variant]} rendered and installed`, async () => {
      if (!registry.url) {
        throw new Error('not run: pack failed');
      }
      app = await prepareStockApp(variant, log);
      return `${app.appDir}`;
    });
    const appDir = app?.appDir ?? '';
    await step(`${variant}: the README steps applied`, async () => {
      useLocalRegistry(appDir, registry.url);
      fs.appendFileSync(path.join(appDir, 'examples/entities.yaml'), SERVICE_ENTITY);
      fs.writeFileSync(
        path.join(appDir, 'app-config.stock-test.yaml'),
        `app:\n  baseUrl: http://localhost:${port}\nbackend:\n  baseUrl: http://localhost:${port}\n` +
          `  listen:\n    port: ${port}\n  cors:\n    origin: http://localhost:${port}\n`,
      );
      const shim = path.join(cacheRoot, 'bin', variant);
      fs.mkdirSync(shim, { recursive: true });
      fs.writeFileSync(path.join(shim, 'yarn'), `#!/bin/sh\nexec "${process.execPath}" "${yarnReleasePath(appDir)}" "$@"\n`, { mode: 0o755 });
      for (const s of steps) {
        if (s.placement === 'run') {
          for (const line of s.code.filter(l => l.trim() && !l.trim().startsWith('#'))) {
            sh('sh', ['-c', line], appDir, { ...env, PATH: `${shim}:${process.env.PATH}` });
          }
        } else {
          applyCodeStep(appDir, s);
        }
      }
      const vars = [...new Set(steps.flatMap(s => s.code.join('\n').match(/\$\{(\w+)/g) ?? []))].map(v => v.slice(2));
      const unknown = vars.filter(v => !(v in env));
      if (unknown.length > 0) {
        throw new Error(`the README's config uses ${unknown.join(', ')}, which this test does not set`);
      }
      return `${steps.length} steps, ${countLines(steps)} lines an adopter adds (${steps.map(s => s.source.split(':')[1]).join(', ')})`;
    });
    await step(`${variant}: the installed backend resolves its migrations`, async () => {
      const script =
        "const { resolvePackagePath } = require('@backstage/backend-plugin-api');" +
        `const dir = resolvePackagePath('${BACKEND_PACKAGE}', 'migrations');` +
        "const pkg = require(require.resolve('" + BACKEND_PACKAGE + "/package.json'));" +
        'console.log(JSON.stringify({ dir, files: require("fs").readdirSync(dir), main: pkg.main }));';
      const out = JSON.parse(sh(process.execPath, ['-e', script], path.join(appDir, 'packages/backend')).trim());
      const shipped = fs.readdirSync(path.join(root, 'plugins/self-service-actions-backend/migrations'));
      if (!out.dir.includes(`node_modules/${BACKEND_PACKAGE}/migrations`) || out.main !== 'dist/index.cjs.js' ||
          JSON.stringify(out.files.sort()) !== JSON.stringify(shipped.sort())) {
        throw new Error(`resolved ${JSON.stringify(out)}, expected the shipped ${shipped.join(', ')}`);
      }
      return `${path.relative(appDir, out.dir)}: ${out.files.length} migrations`;
    });
    await step(`${variant}: type-check (yarn tsc)`, async () => {
      sh(process.execPath, [yarnReleasePath(appDir), 'tsc'], appDir);
      return 'no errors';
    });
    await step(`${variant}: the app builds (yarn build in packages/app)`, async () => {
      sh(
        process.execPath,
        [yarnReleasePath(appDir), 'build', '--config', '../../app-config.yaml', '--config', '../../app-config.stock-test.yaml'],
        path.join(appDir, 'packages/app'),
      );
      return 'packages/app/dist';
    });
    await step(`${variant}: backend on SQLite, a run completed through /report`, async () => {
      backend = await startBackend({ appDir, yarnRelease: yarnReleasePath(appDir), env, port, logFile: path.join(appDir, 'stock-test-backend.log') });
      const result = await runActionToCompletion(backend.baseUrl, ACTION_ID, receiver);
      runId = result.runId;
      return `run ${result.runId} complete with ${result.steps} steps (${result.reports} reports to /report)`;
    });
    await step(`${variant}: Chromium: guest sign-in to the built app`, async () => {
      browser = await openStockApp({
        baseUrl: backend?.baseUrl ?? '',
        service: SERVICE,
        actionName: 'Restart service',
        runId,
        shotsDir: appDir,
      });
      return 'signed in';
    });
    await step(`${variant}: Chromium: the Self-service tab on a Service page`, () => browser?.tab() ?? '');
    await step(`${variant}: Chromium: the entity card on the overview`, () => browser?.card() ?? '');
    await step(`${variant}: Chromium: the Self-service page and its nav item`, () => browser?.page() ?? '');
  } finally {
    await browser?.close().catch(() => undefined);
    await backend?.stop().catch(() => undefined);
    receiver.server.close();
    app?.release();
  }
}

const VARIANT_NAMES = { new: 'default-app (new frontend system)', legacy: 'legacy-app (legacy frontend system)' };

async function main() {
  const step = chain();
  log(`cache: ${cacheRoot}`);
  await step('pack: npm run pack:plugins', async () => {
    const result = spawnSync(process.execPath, [path.join(root, 'scripts/pack-plugins.js'), '--quiet'], {
      cwd: root,
      encoding: 'utf8',
    });
    if (result.status !== 0) {
      throw new Error(`${result.stdout}${result.stderr}`.trim().split('\n').slice(-15).join('\n'));
    }
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'dist-packs/manifest.json'), 'utf8'));
    return manifest.map((/** @type {{ file: string, size: number }} */ m) => `${m.file} ${(m.size / 1024).toFixed(1)} kB`).join(', ');
  });
  const packed = checks[0].ok;
  const allSteps = readSteps(READMES.map(readme => path.join(root, readme)));
  const registry = packed ? await startRegistryProcess(path.join(root, 'dist-packs')) : undefined;
  try {
    for (const variant of variants) {
      const variantStep = chain();
      console.log(`[stock-app] ${VARIANT_NAMES[variant]}: ${countLines(stepsFor(allSteps, variant))} README lines`);
      await testVariant(variant, allSteps, registry ?? { url: '' }, variantStep);
    }
  } finally {
    await registry?.close();
  }
}

main()
  .catch(error => {
    checks.push({ name: 'stock-app test', ok: false, detail: error.stack ?? String(error), seconds: 0 });
    console.log(`  ✗ stock-app test: ${error.stack ?? error}`);
  })
  .finally(() => {
    const passed = checks.filter(c => c.ok).length;
    const failed = checks.length - passed;
    const seconds = (Date.now() - started) / 1000;
    log(`${passed} passed, ${failed} failed in ${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`);
    if (resultsFile) {
      fs.writeFileSync(resultsFile, JSON.stringify({ passed, failed, seconds, checks }, null, 2));
    }
    process.exitCode = failed > 0 ? 1 : 0;
  });
