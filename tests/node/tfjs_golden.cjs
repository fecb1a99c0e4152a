#!/usr/bin/env node
// TF.js's own outputs for the golden test of `qiss model import --tfjs`
// (tests/test_tfjs_import.cpp): loads MODEL_DIR/model.json and its weight files with TF.js
// (pure JavaScript CPU backend), runs the N images of INPUT (float32, NHWC, already
// preprocessed) and writes, for each LAYER, its output (float32, NHWC for image layers) to
// OUT_PREFIX.<layer>.f32.
//   node tests/tfjs_golden.cjs MODEL_DIR INPUT N OUT_PREFIX LAYER...
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

async function main() {
  const [dir, input, n, outPrefix, ...layers] = process.argv.slice(2);
  await tf.setBackend('cpu');
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const weightSpecs = [];
  const buffers = [];
  for (const group of json.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) buffers.push(fs.readFileSync(path.join(dir, p)));
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData }));
  const size = model.inputs[0].shape[1];
  const raw = fs.readFileSync(input);
  const x = tf.tensor4d(new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4),
    [Number(n), size, size, 3]);
  const probe = tf.model({ inputs: model.inputs, outputs: layers.map((l) => model.getLayer(l).output) });
  let outs = probe.predict(x);
  if (!Array.isArray(outs)) outs = [outs];
  layers.forEach((l, i) => {
    fs.writeFileSync(`${outPrefix}.${l}.f32`, Buffer.from(outs[i].dataSync().buffer));
  });
}
main().catch((e) => { console.error(e); process.exit(1); });
