// @ts-check
'use strict';
// A minimal npm registry on loopback serving the packed tarballs of dist-packs/, so that the
// stock app installs the plugins with the README's own `yarn ... add <name>` commands, as it
// would from npmjs.com once they are published. Only the @self-service-actions scope is routed
// here (npmScopes in the app's .yarnrc.yml); everything else comes from the usual registry.
// It runs in a process of its own (startRegistryProcess): the test waits on yarn synchronously.
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const zlib = require('node:zlib');

/** Reads package/package.json out of a .tgz. */
function readPackedManifest(/** @type {string} */ file) {
  const data = zlib.gunzipSync(fs.readFileSync(file));
  let offset = 0;
  while (offset + 512 <= data.length) {
    const name = data.subarray(offset, offset + 100).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(data.subarray(offset + 124, offset + 136).toString('utf8').replace(/\0.*$/s, '').trim() || '0', 8);
    if (name === 'package/package.json') {
      return JSON.parse(data.subarray(offset + 512, offset + 512 + size).toString('utf8'));
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`${path.basename(file)} has no package/package.json`);
}

/**
 * Starts the registry on a free loopback port.
 * @param {string} packsDir the directory with the .tgz files
 * @returns {Promise<{ url: string, packages: string[], requests: string[], close: () => Promise<void> }>}
 */
async function startLocalRegistry(packsDir) {
  /** @type {Map<string, { manifest: any, file: string }>} */
  const byName = new Map();
  for (const file of fs.readdirSync(packsDir).filter(f => f.endsWith('.tgz'))) {
    const manifest = readPackedManifest(path.join(packsDir, file));
    byName.set(manifest.name, { manifest, file: path.join(packsDir, file) });
  }
  /** @type {string[]} */
  const requests = [];
  let baseUrl = '';
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent((req.url ?? '/').split('?')[0]);
    requests.push(`${req.method} ${url}`);
    const tarball = url.match(/^\/(@[^/]+\/[^/]+)\/-\/([^/]+\.tgz)$/);
    if (tarball && byName.has(tarball[1])) {
      const { file } = /** @type {{ file: string }} */ (byName.get(tarball[1]));
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      fs.createReadStream(file).pipe(res);
      return;
    }
    const entry = byName.get(url.slice(1));
    if (!entry) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const { manifest, file } = entry;
    const data = fs.readFileSync(file);
    const published = fs.statSync(file).mtime.toISOString();
    const basename = `${manifest.name.split('/')[1]}-${manifest.version}.tgz`;
    const packument = {
      name: manifest.name,
      'dist-tags': { latest: manifest.version },
      time: { created: published, modified: published, [manifest.version]: published },
      versions: {
        [manifest.version]: {
          ...manifest,
          _id: `${manifest.name}@${manifest.version}`,
          dist: {
            tarball: `${baseUrl}/${manifest.name}/-/${basename}`,
            shasum: crypto.createHash('sha1').update(data).digest('hex'),
            integrity: `sha512-${crypto.createHash('sha512').update(data).digest('base64')}`,
          },
        },
      },
    };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(packument));
  });
  await new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = server.address();
  baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    url: baseUrl,
    packages: [...byName.keys()],
    requests,
    close: () => new Promise(resolve => server.close(() => resolve()))
  };
}

/**
 * Starts the registry in a child process (until close() or this process exits).
 * @param {string} packsDir
 * @returns {Promise<{ url: string, close: () => Promise<void> }>}
 */
function startRegistryProcess(packsDir) {
  const child = spawn(process.execPath, [__filename, packsDir], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let output = '';
    child.once('exit', code => reject(new Error(`the local registry exited (${code}): ${output}`)));
    child.stdout.on('data', chunk => {
      output += chunk;
      const line = output.split('\n')[0];
      if (output.includes('\n')) {
        const { url } = JSON.parse(line);
        resolve({
          url,
          close: () =>
            new Promise(done => {
              child.removeAllListeners('exit');
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    });
  });
}

if (require.main === module) {
  startLocalRegistry(process.argv[2]).then(registry => {
    process.stdout.write(`${JSON.stringify({ url: registry.url, packages: registry.packages })}\n`);
    // the parent's end of stdin closes when it exits: stop with it
    process.stdin.on('end', () => process.exit(0));
    process.stdin.resume();
  });
}

module.exports = { startLocalRegistry, startRegistryProcess, readPackedManifest };
