// Frozen MobileNetV2 (nsfwjs) trunk features: out_relu (7x7x1280) mean- and GeM(p=3)-pooled.
//   node features.cjs IMAGES.u8 N SIZE OUT.f32   (pixels / 255, bilinear to 224 px, as nsfwjs)
const tf = require('@tensorflow/tfjs');
require('@tensorflow/tfjs-backend-wasm');
const nsfw = require('nsfwjs');
const fs = require('fs');
const [,, inFile, n, size, outFile] = process.argv;
(async () => {
  await tf.setBackend(process.env.BACKEND || 'wasm');
  const m = await nsfw.load('MobileNetV2', { size: 224 });
  const trunk = tf.model({ inputs: m.model.inputs, outputs: m.model.getLayer('out_relu').output });
  const S = +size, N = +n, buf = fs.readFileSync(inFile);
  const out = new Float32Array(N * 2560);
  const B = 16, t0 = Date.now();
  for (let i = 0; i < N; i += B) {
    const b = Math.min(B, N - i);
    const feats = tf.tidy(() => {
      const x = tf.tensor4d(new Uint8Array(buf.buffer, buf.byteOffset + i * S * S * 3, b * S * S * 3), [b, S, S, 3], 'int32')
        .toFloat().resizeBilinear([224, 224]).div(255);  // nsfwjs: pixels / 255
      const f = trunk.predict(x);                       // [b,7,7,1280]
      const mean = f.mean([1, 2]);
      const gem = f.clipByValue(1e-6, 1e9).pow(3).mean([1, 2]).pow(1 / 3);
      return tf.concat([mean, gem], 1);
    });
    out.set(await feats.data(), i * 2560);
    feats.dispose();
    if (i % 320 === 0) console.error(i, ((Date.now() - t0) / 1000).toFixed(1) + 's');
  }
  fs.writeFileSync(outFile, Buffer.from(out.buffer));
  console.error('done', N, ((Date.now() - t0) / 1000).toFixed(1) + 's');
})().catch(e => { console.error(e); process.exit(1); });
