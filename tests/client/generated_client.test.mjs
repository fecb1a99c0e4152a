// A client generated from the OpenAPI description that `qiss serve` serves searches it: the
// real server on 127.0.0.1 over the tiny model and a few emoji; /api/openapi.json is fetched
// from it, @hey-api/openapi-ts (npm, pinned in package.json) generates a TypeScript client
// from it, `tsc --strict` compiles the client with use_client.ts, and the compiled code asks
// for health, a text search, the images similar to a result and a search by id.
// Run with `node --test tests/client/`. Environment: QISS_BINARY (default build/qiss),
// QISS_TEST_DATA (folder holding tiny.qiss, default build/test-data).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { startServe } from '../node/serve.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const binary = process.env.QISS_BINARY || path.join(repo, 'build/qiss');
const testData = process.env.QISS_TEST_DATA || path.join(repo, 'build/test-data');
const emojiDir = path.join(repo, 'node_modules/emoji-datasource-twitter/img/twitter/64');
const openapiTs = path.join(repo, 'node_modules/@hey-api/openapi-ts/bin/run.js');
const tsc = path.join(repo, 'node_modules/typescript/bin/tsc');
const kImages = 12;

let tmp;
let server;
let baseUrl;

/// Starts `qiss serve --port 0` on `data` and resolves with the URL it prints.
async function startServer(data) {
  let url;
  ({ server, url } = await startServe(binary, data));
  return url;
}

/// Runs a program to completion in `cwd` and checks that it succeeded.
function run(program, args, cwd) {
  const r = spawnSync(program, args, { cwd, encoding: 'utf8', timeout: 300000 });
  assert.equal(r.status, 0, `${program} ${args.join(' ')}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

before(async () => {
  assert.ok(fs.existsSync(binary), `no qiss binary at ${binary} (set QISS_BINARY)`);
  const model = path.join(testData, 'tiny.qiss');
  assert.ok(fs.existsSync(model), `no test model at ${model} (set QISS_TEST_DATA)`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qiss-client-'));
  fs.mkdirSync(path.join(tmp, 'in'));
  for (const f of fs.readdirSync(emojiDir).sort().slice(0, kImages))
    fs.copyFileSync(path.join(emojiDir, f), path.join(tmp, 'in', f));
  const data = path.join(tmp, 'data');
  run(binary, ['index', '--data', data, '--model', model, path.join(tmp, 'in')], tmp);
  baseUrl = await startServer(data);
});

after(() => {
  if (server && server.exitCode === null) server.kill('SIGTERM');
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('a client generated from /api/openapi.json searches', async () => {
  // The description as served, not the file in the repository.
  const spec = await fetch(`${baseUrl}/api/openapi.json`);
  assert.equal(spec.status, 200);
  const specFile = path.join(tmp, 'openapi.json');
  fs.writeFileSync(specFile, await spec.text());

  const work = path.join(tmp, 'client');
  fs.mkdirSync(work);
  run(process.execPath, [openapiTs, '--input', specFile, '--output', path.join(work, 'generated'),
    '--client', '@hey-api/client-fetch', '--no-log-file', '--silent'], work);
  assert.ok(fs.existsSync(path.join(work, 'generated/sdk.gen.ts')), 'no SDK was generated');
  fs.copyFileSync(path.join(here, 'use_client.ts'), path.join(work, 'use_client.ts'));
  fs.writeFileSync(path.join(work, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'commonjs', moduleResolution: 'node', strict: true,
      skipLibCheck: true, types: [], lib: ['ES2022', 'DOM', 'DOM.Iterable'], outDir: 'js',
    },
    include: ['use_client.ts', 'generated/**/*.ts'],
  }));
  run(process.execPath, [tsc, '-p', 'tsconfig.json'], work);

  const { run: callServer } = createRequire(import.meta.url)(path.join(work, 'js/use_client.js'));
  const a = await callServer(baseUrl, 'un chat qui dort');

  assert.equal(a.health.status, 'ok');
  assert.equal(a.health.images, kImages);
  assert.equal(a.health.index_vectors, kImages);

  assert.equal(a.text.query.type, 'text');
  assert.equal(a.text.query.text, 'un chat qui dort');
  assert.equal(a.text.results.length, 3);
  for (const h of a.text.results) {
    assert.equal(h.url, `/api/images/${h.id}`);
    assert.equal(h.width, 64);
  }
  const scores = a.text.results.map((h) => h.score);
  assert.deepEqual(scores, [...scores].sort((x, y) => y - x), 'results are not best first');

  const first = a.text.results[0].id;
  assert.equal(a.similar.query.type, 'id');
  assert.equal(a.similar.results.length, 2);
  assert.ok(a.similar.results.every((h) => h.id !== first), 'the image itself came back');
  assert.equal(a.byId.query.type, 'id');
  assert.equal(a.byId.query.id, first);
  assert.deepEqual(a.byId.results.map((h) => h.id), a.similar.results.map((h) => h.id));

  assert.equal(a.missingStatus, 404);
  assert.match(a.missingError, /no image with id 987654/);
});
