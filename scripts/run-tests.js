#!/usr/bin/env node
/* eslint-disable no-console */
// Runs every test in the repository once (never in watch mode), on SQLite and PostgreSQL,
// and closes with the plain "N passed, N failed" line CI reads. Extra arguments go to jest.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const resultsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ssa-tests-')), 'results.json');
const postgresVariable = 'BACKSTAGE_TEST_DATABASE_POSTGRES16_CONNECTION_STRING';
const env = {
  ...process.env,
  CI: process.env.CI || 'true',
  [postgresVariable]:
    process.env[postgresVariable] || 'postgresql://postgres@127.0.0.1:5432/postgres',
};

// The HTTP contract: the code generated from openapi.yaml must match it (and the spec pass
// repo-tools' lint and validate). It runs before the type check and counts as one test.
const contractCheck = spawnSync(
  process.execPath,
  [path.join(root, 'scripts/generate-openapi.js'), '--check'],
  { cwd: root, env, stdio: 'inherit' },
);

// Type errors are test failures too: the type check runs before the tests and counts as one test.
const typeCheck = spawnSync(
  process.execPath,
  [require.resolve('typescript/bin/tsc', { paths: [root] }), '--noEmit', '-p', root],
  { cwd: root, env, stdio: 'inherit' },
);

// Lint (backstage-cli repo lint, warnings included) counts as one test too.
const lint = spawnSync(
  process.execPath,
  [
    require.resolve('@backstage/cli/bin/backstage-cli', { paths: [root] }),
    'repo',
    'lint',
    '--max-warnings',
    '0',
  ],
  { cwd: root, env, stdio: 'inherit' },
);

// The suites that start real processes (demo backends, the app dev server, Chromium) run after
// the others and one at a time: side by side on two cores they starve each other, and a backend
// that starts too slowly misses the event bus and its signals.
const PROCESS_SUITES = '(src/demo\\.test|src/faults\\.test|/e2e/)';

function runJest(name, extraArgs) {
  const outputFile = path.join(path.dirname(resultsFile), `${name}.json`);
  const run = spawnSync(
    process.execPath,
    [
      require.resolve('@backstage/cli/bin/backstage-cli', { paths: [root] }),
      'repo',
      'test',
      '--json',
      `--outputFile=${outputFile}`,
      '--passWithNoTests',
      ...extraArgs,
      ...process.argv.slice(2),
    ],
    { cwd: root, env, stdio: 'inherit' },
  );
  if (!fs.existsSync(outputFile)) {
    return { status: run.status ?? 1, results: undefined };
  }
  return { status: run.status, results: JSON.parse(fs.readFileSync(outputFile, 'utf8')) };
}

const runs = [
  runJest('results', [`--testPathIgnorePatterns=${PROCESS_SUITES}`]),
  runJest('results-processes', ['--runInBand', `--testPathPatterns=${PROCESS_SUITES}`]),
];

// The stock-app test (scripts/stock-app): packs the plugins and installs them into apps made
// from @backstage/create-app's templates, following the plugin READMEs; each of its checks counts.
const stockAppResultsFile = path.join(path.dirname(resultsFile), 'stock-app.json');
const stockApp = spawnSync(
  process.execPath,
  [path.join(root, 'scripts/stock-app/index.js'), '--results', stockAppResultsFile],
  { cwd: root, env, stdio: 'inherit' },
);
if (runs.some(run => !run.results)) {
  console.log('0 passed, 1 failed');
  console.error('The test runner wrote no results.');
  process.exit(1);
}
const results = {
  numFailedTests: runs.reduce((sum, run) => sum + run.results.numFailedTests, 0),
  numRuntimeErrorTestSuites: runs.reduce((sum, run) => sum + run.results.numRuntimeErrorTestSuites, 0),
  numPassedTests: runs.reduce((sum, run) => sum + run.results.numPassedTests, 0),
  testResults: runs.flatMap(run => run.results.testResults),
};
const jest = { status: runs.every(run => run.status === 0) ? 0 : 1 };
let failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
let passed = results.numPassedTests;
if (contractCheck.status === 0) {
  passed += 1;
} else {
  console.error(
    'The OpenAPI check (node scripts/generate-openapi.js --check) failed: the generated router ' +
      'or types do not match openapi.yaml (run `npm run generate:openapi`), or the spec fails ' +
      'lint or validate.',
  );
  failed += 1;
}
if (typeCheck.status === 0) {
  passed += 1;
} else {
  console.error('The type check (tsc --noEmit) failed.');
  failed += 1;
}
if (lint.status === 0) {
  passed += 1;
} else {
  console.error('Lint (backstage-cli repo lint --max-warnings 0) failed.');
  failed += 1;
}

if (fs.existsSync(stockAppResultsFile)) {
  const stock = JSON.parse(fs.readFileSync(stockAppResultsFile, 'utf8'));
  passed += stock.passed;
  failed += stock.failed;
  if (stock.failed > 0) {
    console.error(`The stock-app test failed ${stock.failed} of its checks (node scripts/stock-app).`);
  }
} else {
  console.error(`The stock-app test wrote no results (exit ${stockApp.status ?? stockApp.signal}).`);
  failed += 1;
}

// A PostgreSQL server that was not reachable makes TestDatabases skip it silently; in CI
// that would hide every PostgreSQL-only bug, so it counts as a failure.
const postgresTests = results.testResults
  .flatMap(file => file.assertionResults)
  .filter(test => test.status === 'passed' && test.fullName.includes('POSTGRES'));
if (process.env.CI && postgresTests.length === 0) {
  console.error('No test ran on PostgreSQL: is it up at the address in', postgresVariable, '?');
  failed += 1;
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || jest.status !== 0 ? 1 : 0);
