// @ts-check
'use strict';
// The stock app as create-app leaves it after `yarn install`, cached: the installed tree is kept
// under the cache directory, keyed by a hash of what decides the install (the rendered
// package.json files with their pins, .yarnrc.yml, the yarn.lock seed, create-app's and Node's
// versions), and copied to a fixed working path for each run. The install happens at that same
// path, because yarn's install state records absolute paths (a moved tree rebuilds its native
// packages, about a minute). A missing or stale entry is rebuilt; nothing is skipped.
const crypto = require('node:crypto');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { renderStockApp, installInputs, yarnReleasePath, createAppVersion } = require('./template');

const cacheRoot = process.env.SSA_STOCK_APP_CACHE || path.join(os.homedir(), '.cache', 'ssa-stock-app');

/** Environment for every yarn command of the stock app. */
function yarnEnv() {
  return {
    ...process.env,
    YARN_GLOBAL_FOLDER: path.join(cacheRoot, 'yarn-global'),
    YARN_ENABLE_GLOBAL_CACHE: 'true',
    // CI=true would make installs immutable; the first install writes the lockfile.
    YARN_ENABLE_IMMUTABLE_INSTALLS: 'false',
    YARN_ENABLE_TELEMETRY: '0',
    YARN_ENABLE_PROGRESS_BARS: 'false',
    YARN_ENABLE_COLORS: 'false',
    // native packages (better-sqlite3) build against the installed Node's headers
    npm_config_nodedir: process.env.npm_config_nodedir || '/usr',
  };
}

/** Runs a command, returning its combined output; throws with the output's tail on failure. */
function sh(/** @type {string} */ command, /** @type {string[]} */ args, /** @type {string} */ cwd, env = yarnEnv()) {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.status !== 0) {
    const tail = output.split('\n').slice(-40).join('\n');
    throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal}):\n${tail}`);
  }
  return output;
}

/** Takes the working directory's lock (another run on this machine waits, up to 40 minutes). */
async function lockWorkDir(/** @type {string} */ workDir) {
  const lockDir = `${workDir}.lock`;
  fs.mkdirSync(path.dirname(lockDir), { recursive: true });
  const deadline = Date.now() + 40 * 60_000;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      return () => fs.rmSync(lockDir, { recursive: true, force: true });
    } catch (error) {
      if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'EEXIST') {
        throw error;
      }
      const holder = Number(fs.readFileSync(path.join(lockDir, 'pid'), 'utf8') || 0);
      let alive = false;
      try {
        process.kill(holder, 0);
        alive = holder > 0;
      } catch {
        alive = false;
      }
      if (!alive) {
        fs.rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(`${workDir} is in use by process ${holder}`);
      }
      await new Promise(resolve => setTimeout(resolve, 5000));
    }
  }
}

/**
 * Puts an installed stock app of the variant at its working path, from the cache when it holds
 * one for the same install inputs, else by rendering and installing it (and caching that).
 * @param {'new' | 'legacy'} variant
 * @param {(message: string) => void} log
 * @returns {Promise<{ appDir: string, cached: boolean, key: string, seconds: number, release: () => void }>}
 */
async function prepareStockApp(variant, log) {
  const started = Date.now();
  const workDir = path.join(cacheRoot, 'work', variant);
  const release = await lockWorkDir(workDir);
  try {
    fs.rmSync(workDir, { recursive: true, force: true });
    await renderStockApp(variant, workDir);
    const hash = crypto.createHash('sha256');
    hash.update(`create-app ${createAppVersion()} node ${process.versions.node.split('.')[0]} ${variant}\n`);
    for (const { file, text } of installInputs(workDir)) {
      hash.update(`${file}\n${text}\n`);
    }
    const key = hash.digest('hex').slice(0, 16);
    const baseDir = path.join(cacheRoot, 'base', `${variant}-${key}`);
    if (fs.existsSync(path.join(baseDir, '.complete'))) {
      fs.rmSync(workDir, { recursive: true, force: true });
      sh('cp', ['-a', baseDir, workDir], cacheRoot);
      fs.rmSync(path.join(workDir, '.complete'));
      log(`${variant}: stock app from the cache (${key}) in ${((Date.now() - started) / 1000).toFixed(0)} s`);
      return { appDir: workDir, cached: true, key, seconds: (Date.now() - started) / 1000, release };
    }
    log(`${variant}: no cached install for ${key}: yarn install (a few minutes)`);
    sh(process.execPath, [yarnReleasePath(workDir), 'install'], workDir);
    // Replace older entries of this variant: only the current one is ever used.
    fs.mkdirSync(path.dirname(baseDir), { recursive: true });
    for (const old of fs.readdirSync(path.dirname(baseDir)).filter(d => d.startsWith(`${variant}-`))) {
      fs.rmSync(path.join(path.dirname(baseDir), old), { recursive: true, force: true });
    }
    sh('cp', ['-a', workDir, `${baseDir}.partial`], cacheRoot);
    fs.writeFileSync(path.join(`${baseDir}.partial`, '.complete'), new Date().toISOString());
    fs.renameSync(`${baseDir}.partial`, baseDir);
    log(`${variant}: installed and cached (${key}) in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return { appDir: workDir, cached: false, key, seconds: (Date.now() - started) / 1000, release };
  } catch (error) {
    release();
    throw error;
  }
}

module.exports = { prepareStockApp, yarnEnv, sh, cacheRoot };
