#!/usr/bin/env node
/* eslint-disable no-console */
// Builds and packs the four plugin packages the way they are published: declarations from the
// root tsc, `backstage-cli package build` per package, then `npm pack` (whose prepack/postpack
// scripts point main/types/exports at dist/ and compile config.d.ts to config.schema.json).
// Writes dist-packs/<name>-<version>.tgz and dist-packs/manifest.json, and fails when a tarball
// misses what an installed package needs.
//
//   npm run pack:plugins            build and pack
//   npm run pack:plugins -- --quiet less output (used by the stock-app test)
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');

const root = path.resolve(__dirname, '..');
const outDir = path.join(root, 'dist-packs');
const quiet = process.argv.includes('--quiet');

/** The packages in dependency order, with what their tarball must carry. */
const PACKAGES = [
  { dir: 'plugins/self-service-actions-common', mustHave: ['dist/index.cjs.js', 'dist/index.esm.js'] },
  { dir: 'plugins/self-service-actions-node', mustHave: ['dist/index.cjs.js'] },
  {
    dir: 'plugins/self-service-actions-backend',
    mustHave: ['dist/index.cjs.js', 'config.schema.json', 'migrations/20261122000000_init.js'],
  },
  { dir: 'plugins/self-service-actions', mustHave: ['dist/index.esm.js', 'dist/alpha.esm.js', 'dist/alpha.d.ts'] },
];

function run(command, args, cwd, capture = quiet) {
  const started = Date.now();
  const result = spawnSync(command, args, {
    cwd,
    stdio: capture ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    encoding: 'utf8',
    env: process.env,
  });
  if (result.status !== 0) {
    if (capture) {
      process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}`);
    }
    throw new Error(`${command} ${args.join(' ')} (in ${path.relative(root, cwd) || '.'}) failed`);
  }
  return { output: result.stdout ?? '', seconds: (Date.now() - started) / 1000 };
}

/** Lists a .tgz without extracting it: returns { path: contents } for package.json, sizes for the rest. */
function readTarball(file) {
  const data = zlib.gunzipSync(fs.readFileSync(file));
  const entries = new Map();
  let offset = 0;
  while (offset + 512 <= data.length) {
    const header = data.subarray(offset, offset + 512);
    const name = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    if (!name) {
      break;
    }
    const prefix = header.subarray(345, 500).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(header.subarray(124, 136).toString('utf8').replace(/\0.*$/s, '').trim() || '0', 8);
    const fullName = (prefix ? `${prefix}/${name}` : name).replace(/^package\//, '');
    entries.set(fullName, data.subarray(offset + 512, offset + 512 + size));
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}

/** Throws unless the packed package.json points at files that are in the tarball. */
function checkTarball(file, pkgDef) {
  const entries = readTarball(file);
  const manifest = JSON.parse(entries.get('package.json').toString('utf8'));
  const problems = [];
  const pointers = [manifest.main, manifest.types, manifest.module].filter(Boolean);
  for (const value of Object.values(manifest.exports ?? {})) {
    if (typeof value === 'string') {
      pointers.push(value);
    } else {
      pointers.push(...Object.entries(value).filter(([key]) => key !== 'backstage').map(([, v]) => v));
    }
  }
  for (const pointer of pointers) {
    const entry = pointer.replace(/^\.\//, '');
    if (entry !== 'package.json' && !entry.startsWith('dist/')) {
      problems.push(`${pointer} does not point into dist/`);
    }
    if (!entries.has(entry)) {
      problems.push(`${pointer} is not in the tarball`);
    }
  }
  for (const needed of pkgDef.mustHave) {
    if (!entries.has(needed)) {
      problems.push(`${needed} is missing`);
    }
  }
  for (const needed of ['README.md', 'CHANGELOG.md']) {
    if (!entries.has(needed)) {
      problems.push(`${needed} is missing`);
    }
  }
  if ([...entries.keys()].some(name => name.startsWith('src/'))) {
    problems.push('the tarball carries src/');
  }
  if (manifest.private) {
    problems.push('the package is private');
  }
  if (problems.length > 0) {
    throw new Error(`${path.basename(file)}: ${problems.join('; ')}`);
  }
  return { manifest, files: entries.size };
}

function main() {
  const started = Date.now();
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  fs.rmSync(path.join(root, 'dist-types'), { recursive: true, force: true });

  const tsc = run(process.execPath, [require.resolve('typescript/bin/tsc', { paths: [root] }), '-p', root], root);
  console.log(`tsc (declarations in dist-types/): ${tsc.seconds.toFixed(1)} s`);

  const cli = require.resolve('@backstage/cli/bin/backstage-cli', { paths: [root] });
  const npmCli = process.env.npm_execpath && process.env.npm_execpath.endsWith('.js') ? process.env.npm_execpath : undefined;
  const results = [];
  for (const pkgDef of PACKAGES) {
    const dir = path.join(root, pkgDef.dir);
    fs.rmSync(path.join(dir, 'dist'), { recursive: true, force: true });
    const build = run(process.execPath, [cli, 'package', 'build'], dir);
    const packArgs = ['pack', '--pack-destination', outDir, '--json', '--silent'];
    const pack = npmCli
      ? run(process.execPath, [npmCli, ...packArgs], dir, true)
      : run('npm', packArgs, dir, true);
    const packed = JSON.parse(pack.output.slice(pack.output.indexOf('[')))[0];
    const file = path.join(outDir, packed.filename);
    const { manifest, files } = checkTarball(file, pkgDef);
    const size = fs.statSync(file).size;
    results.push({
      name: manifest.name,
      version: manifest.version,
      file: packed.filename,
      size,
      unpackedSize: packed.unpackedSize,
      files,
      integrity: packed.integrity,
      shasum: packed.shasum,
    });
    console.log(
      `${manifest.name}@${manifest.version}: ${packed.filename} ${(size / 1024).toFixed(1)} kB ` +
        `(${files} files; build ${build.seconds.toFixed(1)} s, pack ${pack.seconds.toFixed(1)} s)`,
    );
  }
  fs.writeFileSync(path.join(outDir, 'manifest.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`packed ${results.length} packages into dist-packs/ in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

try {
  main();
} catch (error) {
  console.error(`pack:plugins failed: ${error.message}`);
  process.exit(1);
}
