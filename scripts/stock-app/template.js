// @ts-check
'use strict';
// Renders @backstage/create-app's own templates (the package from the registry, a root
// devDependency) with its own templating function, as `npx @backstage/create-app` does before it
// installs: `default-app` is the new frontend system, `legacy-app` the legacy one (`--legacy`).
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '../..');

const VARIANTS = /** @type {const} */ ({ new: 'default-app', legacy: 'legacy-app' });

function createAppDir() {
  return path.dirname(require.resolve('@backstage/create-app/package.json', { paths: [root] }));
}

function createAppVersion() {
  return JSON.parse(fs.readFileSync(path.join(createAppDir(), 'package.json'), 'utf8')).version;
}

/**
 * The Backstage release this create-app renders (Backstage's version of each package it knows),
 * plus the versions this repository builds against for the @backstage packages it does not list.
 * @returns {Record<string, string>}
 */
function backstageReleasePins() {
  /** @type {Record<string, string>} */
  const { packageVersions } = require(path.join(createAppDir(), 'dist/lib/versions.cjs.js'));
  /** @type {Record<string, string>} */
  const pins = {};
  for (const [name, version] of Object.entries(packageVersions)) {
    if (name.startsWith('@backstage/')) {
      pins[name] = version;
    }
  }
  const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
  /** @type {Map<string, Set<string>>} */
  const fromLock = new Map();
  for (const [key, entry] of Object.entries(lock.packages)) {
    const name = key.match(/node_modules\/(@backstage\/[^/]+)$/)?.[1];
    if (name && !entry.link && !(name in pins)) {
      fromLock.set(name, (fromLock.get(name) ?? new Set()).add(entry.version));
    }
  }
  for (const [name, versions] of fromLock) {
    // one version only: a package the lockfile holds twice is left to the ranges
    if (versions.size === 1) {
      pins[name] = [...versions][0];
    }
  }
  return Object.fromEntries(Object.entries(pins).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Renders the template of a variant into appDir (which must not exist) and pins the
 * @backstage packages to the release with yarn resolutions.
 * @param {'new' | 'legacy'} variant
 * @param {string} appDir
 */
async function renderStockApp(variant, appDir) {
  const { templatingTask } = require(path.join(createAppDir(), 'dist/lib/tasks.cjs.js'));
  const templateDir = path.join(createAppDir(), 'templates', VARIANTS[variant]);
  const out = process.stdout.write;
  const err = process.stderr.write;
  // templatingTask reports each file with a spinner: keep the test's output readable
  process.stdout.write = process.stderr.write = () => true;
  try {
    await templatingTask(templateDir, appDir, { name: 'stock-app', defaultBranch: 'master' });
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  // The registry has moved past this release: with the template's caret ranges alone, yarn mixes
  // in packages of later releases (plugin-signals-backend 0.3.21 then calls an httpRouter method
  // backend-defaults 0.18 lacks, and the stock backend does not start). An app created in the
  // release's days has these versions in its yarn.lock; resolutions give the same.
  const packageJsonPath = path.join(appDir, 'package.json');
  const pkg = JSON.parse(fs.readFileSync(packageJsonPath, 'utf8'));
  pkg.resolutions = { ...pkg.resolutions, ...backstageReleasePins() };
  fs.writeFileSync(packageJsonPath, `${JSON.stringify(pkg, null, 2)}\n`);
}

/** The files that decide what `yarn install` installs in a rendered app. */
function installInputs(/** @type {string} */ appDir) {
  return ['package.json', 'packages/app/package.json', 'packages/backend/package.json', '.yarnrc.yml', 'yarn.lock'].map(
    file => ({ file, text: fs.readFileSync(path.join(appDir, file), 'utf8') }),
  );
}

/** The yarn release the template ships (its .yarnrc.yml yarnPath). */
function yarnReleasePath(/** @type {string} */ appDir) {
  const rc = fs.readFileSync(path.join(appDir, '.yarnrc.yml'), 'utf8');
  const yarnPath = rc.match(/^yarnPath:\s*(\S+)/m)?.[1];
  if (!yarnPath) {
    throw new Error('the template has no yarnPath in .yarnrc.yml');
  }
  return path.join(appDir, yarnPath);
}

module.exports = { VARIANTS, renderStockApp, installInputs, yarnReleasePath, createAppVersion, backstageReleasePins };
