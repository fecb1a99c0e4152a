#!/usr/bin/env node
// Writes a TF.js layers model shipped as JavaScript modules (nsfwjs's dist/models/<name>/:
// model.min.js exports the model.json object, each group*-shard*.min.js a base64 string) as the
// files TF.js's own loaders and `qiss model import --tfjs` read: model.json and the binary
// weight files it names.
//   node scripts/tfjs_unwrap.cjs IN_DIR OUT_DIR
// e.g. node scripts/tfjs_unwrap.cjs node_modules/nsfwjs/dist/models/mobilenet_v2 out/mobilenet_v2
'use strict';
const fs = require('fs');
const path = require('path');

const [inDir, outDir] = process.argv.slice(2);
if (!inDir || !outDir) {
  console.error('usage: node scripts/tfjs_unwrap.cjs IN_DIR OUT_DIR');
  process.exit(2);
}
const model = require(path.resolve(inDir, 'model.min.js'));
if (!model || !model.modelTopology || !Array.isArray(model.weightsManifest)) {
  console.error(`${inDir}/model.min.js does not export a TF.js model (modelTopology, weightsManifest)`);
  process.exit(1);
}
fs.mkdirSync(outDir, { recursive: true });
for (const group of model.weightsManifest) {
  for (const p of group.paths) {
    if (p !== path.basename(p)) throw new Error(`weight file ${p} is not a plain file name`);
    const b64 = require(path.resolve(inDir, `${p}.min.js`));
    if (typeof b64 !== 'string') throw new Error(`${p}.min.js does not export a base64 string`);
    fs.writeFileSync(path.join(outDir, p), Buffer.from(b64, 'base64'));
  }
}
fs.writeFileSync(path.join(outDir, 'model.json'), JSON.stringify({ format: 'layers-model', ...model }));
console.log(`${outDir}: model.json and ${model.weightsManifest.reduce((n, g) => n + g.paths.length, 0)} weight file(s)`);
