#!/usr/bin/env node
// Packs a subset of Fashion-MNIST (Debian's dataset-fashion-mnist, /usr/share/datasets/fashion-mnist)
// into site/public/data/ for the site's training page: raw uint8 pixels and labels.
//   node scripts/pack-fmnist-subset.mjs [--train 10000] [--test 2000] [--data DIR]
import { gunzipSync } from "node:zlib";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const args = process.argv.slice(2);
const opt = (name, def) => {
  const k = args.indexOf(name);
  return k >= 0 ? args[k + 1] : def;
};
const nTrain = parseInt(opt("--train", "10000"), 10),
  nTest = parseInt(opt("--test", "2000"), 10);
const dir = opt("--data", "/usr/share/datasets/fashion-mnist");
const out = join(import.meta.dirname, "../site/public/data");

function idx(base) {
  for (const f of [join(dir, base), join(dir, base + ".gz")]) {
    if (!existsSync(f)) continue;
    const raw = readFileSync(f);
    const buf = f.endsWith(".gz") ? gunzipSync(raw) : raw;
    const nd = buf[3],
      dims = [];
    for (let k = 0; k < nd; k++) dims.push(buf.readUInt32BE(4 + 4 * k));
    return { dims, data: buf.subarray(4 + 4 * nd) };
  }
  console.error(
    `Fashion-MNIST file ${base}(.gz) not found in ${dir}; install it with: apt-get install dataset-fashion-mnist`,
  );
  process.exit(2);
}
mkdirSync(out, { recursive: true });
for (const [split, prefix, n] of [
  ["train", "train", nTrain],
  ["test", "t10k", nTest],
]) {
  const img = idx(`${prefix}-images-idx3-ubyte`),
    lab = idx(`${prefix}-labels-idx1-ubyte`);
  const m = Math.min(n, img.dims[0]);
  writeFileSync(join(out, `fmnist-${split}-images.u8`), img.data.subarray(0, m * 784));
  writeFileSync(join(out, `fmnist-${split}-labels.u8`), lab.data.subarray(0, m));
  console.log(`packed ${m} ${split} images into ${out}`);
}
writeFileSync(
  join(out, "fmnist.json"),
  JSON.stringify({ train: Math.min(nTrain, 60000), test: Math.min(nTest, 10000), size: 28 }),
);
