// torch.vision.datasets: MNIST and FashionMNIST from IDX files (gzip or not) in a directory, and
// the IDX reader they (and examples/train-fashion-mnist.mjs) use. Node only (node:fs, node:zlib).

import { Tensor } from "../tensor.js";
import { tensor } from "../creation.js";
import type { Transform } from "./transforms.js";

type NodeFs = { existsSync(p: string): boolean; readFileSync(p: string): Uint8Array };
function builtin<T>(name: string): T {
  const p = (globalThis as any).process;
  if (!p?.getBuiltinModule) throw new Error(`torch.vision.datasets needs Node.js (>= 20.16) for ${name}`);
  return p.getBuiltinModule(name) as T;
}

/** An IDX file of unsigned bytes: its dims and the bytes (gunzipped when the file ends in .gz). */
export function readIdx(file: string): { dims: number[]; data: Uint8Array } {
  const fs = builtin<NodeFs>("node:fs");
  let buf = fs.readFileSync(file);
  if (file.endsWith(".gz")) buf = builtin<{ gunzipSync(b: Uint8Array): Uint8Array }>("node:zlib").gunzipSync(buf);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.byteLength < 4) throw new RangeError(`${file}: too short for an IDX file`);
  const magic = dv.getUint32(0),
    ndim = magic & 0xff;
  if (magic >>> 8 !== 0x08)
    throw new RangeError(`${file}: not an unsigned-byte IDX file (magic 0x${magic.toString(16)})`);
  if (buf.byteLength < 4 + 4 * ndim) throw new RangeError(`${file}: truncated IDX header`);
  const dims = Array.from({ length: ndim }, (_, k) => dv.getUint32(4 + 4 * k));
  const n = dims.reduce((a, b) => a * b, 1);
  if (buf.byteLength < 4 + 4 * ndim + n)
    throw new RangeError(`${file}: ${buf.byteLength} bytes, the header says ${4 + 4 * ndim + n}`);
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + 4 + 4 * ndim, n) };
}

/** The path of base or base.gz in one of dirs (null if none has it). */
export function findIdx(dirs: string[], base: string): string | null {
  const fs = builtin<NodeFs>("node:fs");
  for (const d of dirs) for (const f of [`${d}/${base}`, `${d}/${base}.gz`]) if (fs.existsSync(f)) return f;
  return null;
}

export interface MNISTOptions {
  train?: boolean;
  transform?: Transform | null;
  targetTransform?: Transform | null;
  download?: boolean;
}

/**
 * torchvision's MNIST: `new MNIST(root, { train })` reads {train,t10k}-{images-idx3,labels-idx1}-ubyte(.gz)
 * from root, root/MNIST/raw or root/MNIST. get(i) returns [image, label]: image is float32 [1, 28, 28]
 * in [0, 1] (ToTensor's values) unless a transform is given, which then receives that tensor.
 */
export class MNIST {
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly rows: number;
  readonly cols: number;
  readonly train: boolean;
  readonly transform: Transform | null;
  readonly targetTransform: Transform | null;
  constructor(
    readonly root: string,
    opts: MNISTOptions = {},
  ) {
    this.train = opts.train ?? true;
    this.transform = opts.transform ?? null;
    this.targetTransform = opts.targetTransform ?? null;
    if (opts.download)
      throw new Error(`${this.constructor.name}: download is not supported; put the IDX files in ${root}`);
    const name = this.constructor.name,
      prefix = this.train ? "train" : "t10k";
    const dirs = [root, `${root}/${name}/raw`, `${root}/${name}`];
    const imgF = findIdx(dirs, `${prefix}-images-idx3-ubyte`),
      labF = findIdx(dirs, `${prefix}-labels-idx1-ubyte`);
    if (!imgF || !labF) {
      throw new Error(
        `${name}: ${prefix}-images-idx3-ubyte(.gz) / ${prefix}-labels-idx1-ubyte(.gz) not found in ${dirs.join(", ")}` +
          (name === "FashionMNIST"
            ? " (Debian: apt-get install dataset-fashion-mnist puts them in /usr/share/datasets/fashion-mnist)"
            : ""),
      );
    }
    const img = readIdx(imgF),
      lab = readIdx(labF);
    if (img.dims.length !== 3 || lab.dims.length !== 1 || img.dims[0] !== lab.dims[0]) {
      throw new RangeError(`${name}: image file dims [${img.dims}] do not match label file dims [${lab.dims}]`);
    }
    this.images = img.data;
    this.labels = lab.data;
    [, this.rows, this.cols] = img.dims;
  }
  get length(): number {
    return this.labels.length;
  }
  get(i: number): [any, any] {
    if (!Number.isInteger(i) || i < 0 || i >= this.length)
      throw new RangeError(`index ${i} is out of range for a dataset of ${this.length}`);
    const n = this.rows * this.cols,
      x = new Float32Array(n);
    for (let k = 0; k < n; k++) x[k] = this.images[i * n + k] / 255;
    let img: unknown = tensor(x, { shape: [1, this.rows, this.cols] });
    let target: unknown = this.labels[i];
    if (this.transform) img = typeof this.transform === "function" ? this.transform(img) : this.transform.call(img);
    if (this.targetTransform)
      target =
        typeof this.targetTransform === "function" ? this.targetTransform(target) : this.targetTransform.call(target);
    return [img, target];
  }
  /** All images as float32 [N, 1, H, W] in [0, 1] and labels as int64 [N] (the first `limit`). */
  tensors(limit = this.length): [Tensor, Tensor] {
    const N = Math.min(limit, this.length),
      n = this.rows * this.cols,
      x = new Float32Array(N * n);
    for (let k = 0; k < N * n; k++) x[k] = this.images[k] / 255;
    return [
      tensor(x, { shape: [N, 1, this.rows, this.cols] }),
      tensor(Int32Array.from(this.labels.subarray(0, N)), { dtype: "int64" }),
    ];
  }
  readonly classes: string[] = [
    "0 - zero",
    "1 - one",
    "2 - two",
    "3 - three",
    "4 - four",
    "5 - five",
    "6 - six",
    "7 - seven",
    "8 - eight",
    "9 - nine",
  ];
}

/** torchvision's FashionMNIST (same files and layout as MNIST). */
export class FashionMNIST extends MNIST {
  readonly classes: string[] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
  ];
}
