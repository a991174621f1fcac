// torch.vision.transforms: Compose, ToTensor, Normalize, Resize, CenterCrop, RandomCrop,
// RandomHorizontalFlip, ConvertImageDtype with torchvision 0.14's semantics on tensors [..., C, H, W].

import type { DType } from "../backends/types.js";
import { Tensor } from "../tensor.js";
import * as ops from "../ops.js";
import { tensor } from "../creation.js";
import { random } from "../runtime.js";
import { interpolate } from "../nn/functional/resize.js";
import { pad } from "../nn/functional/resize.js";
import { A, parseArgs } from "../utils/args.js";

/** Anything with a call(x) (a transform) or a plain function. */
export type Transform = ((x: any) => unknown) | { call(x: any): unknown };
const apply = (t: Transform, x: unknown) => (typeof t === "function" ? t(x) : t.call(x));

/** Runs transforms in order: `new Compose([new Resize(256), new CenterCrop(224), new ToTensor()])`. */
export class Compose {
  constructor(readonly transforms: Transform[]) {}
  /** The last transform's result: a Tensor for the usual pipelines (ToTensor, Normalize, ...);
   *  name another type for others: `compose.call<ImageData>(img)`. */
  call<T = Tensor>(x: unknown): T {
    for (const t of this.transforms) x = apply(t, x);
    return x as T;
  }
  toString(): string {
    return `Compose(\n${this.transforms.map((t) => `    ${String(t)}`).join("\n")}\n)`;
  }
}

/** An image as ImageData ({ data: RGBA bytes, width, height }) or HxWxC bytes with their shape. */
export type ImageLike =
  | { data: ArrayLike<number>; width: number; height: number }
  | { data: Uint8Array | Uint8ClampedArray; shape: number[] };

/**
 * Bytes HxWxC -> float32 [C, H, W] in [0, 1] (torchvision's ToTensor). ImageData (RGBA) gives the 3
 * RGB channels; an HxWxC array with `shape` keeps its C channels. A Tensor passes through.
 */
export class ToTensor {
  call(img: ImageLike | Tensor): Tensor {
    if (img instanceof Tensor) return img;
    let H: number, W: number, C: number, src: ArrayLike<number>, srcC: number;
    if ("shape" in img) {
      if (img.shape.length !== 3 && img.shape.length !== 2)
        throw new RangeError(`ToTensor: expected an HxWxC (or HxW) image, got shape [${img.shape.join(", ")}]`);
      [H, W] = img.shape;
      C = img.shape[2] ?? 1;
      srcC = C;
      src = img.data;
    } else {
      H = img.height;
      W = img.width;
      src = img.data;
      srcC = img.data.length / (H * W);
      if (!Number.isInteger(srcC) || srcC < 1)
        throw new RangeError(`ToTensor: ${img.data.length} bytes do not make a ${W}x${H} image`);
      C = srcC === 4 ? 3 : srcC;
    }
    if (src.length !== H * W * srcC)
      throw new RangeError(`ToTensor: ${src.length} bytes for an image of ${H}x${W}x${srcC}`);
    const out = new Float32Array(C * H * W),
      plane = H * W;
    for (let p = 0; p < plane; p++) for (let c = 0; c < C; c++) out[c * plane + p] = src[p * srcC + c] / 255;
    return tensor(out, { shape: [C, H, W] });
  }
  toString(): string {
    return "ToTensor()";
  }
}

/** (x - mean[c]) / std[c] per channel of [..., C, H, W]. */
export class Normalize {
  readonly mean: number[];
  readonly std: number[];
  readonly inplace: boolean;
  constructor(mean: number[], std: number[], opts?: { inplace?: boolean });
  constructor(...args: unknown[]) {
    const o = parseArgs("transforms.Normalize", args, {
      mean: A.numOrTuple,
      std: A.numOrTuple,
      inplace: [A.bool, false],
    });
    this.mean = Array.isArray(o.mean) ? o.mean : [o.mean];
    this.std = Array.isArray(o.std) ? o.std : [o.std];
    this.inplace = o.inplace;
    if (this.std.some((s) => s === 0))
      throw new RangeError(`std evaluated to zero after conversion to float32, leading to division by zero.`);
  }
  call(x: Tensor): Tensor {
    if (x.dtype !== "float32") throw new TypeError(`Input tensor should be a float tensor. Got ${x.dtype}.`);
    if (x.dim() < 3)
      throw new RangeError(
        `Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = [${x.shape.join(", ")}]`,
      );
    const C = x.shape[x.dim() - 3];
    const m = this.mean.length === 1 ? new Array(C).fill(this.mean[0]) : this.mean,
      s = this.std.length === 1 ? new Array(C).fill(this.std[0]) : this.std;
    const mt = tensor(Float32Array.from(m), { shape: [m.length, 1, 1] }),
      st = tensor(Float32Array.from(s), { shape: [s.length, 1, 1] });
    return ops.div(ops.sub(x, mt), st);
  }
  toString(): string {
    return `Normalize(mean=[${this.mean.join(", ")}], std=[${this.std.join(", ")}])`;
  }
}

/** torchvision's _compute_resized_output_size: an int resizes the smaller edge (aspect kept). */
export function resizedSize(h: number, w: number, size: number | number[], maxSize: number | null): [number, number] {
  if (Array.isArray(size) && size.length === 2) {
    if (maxSize !== null)
      throw new RangeError(
        `maxSize should only be passed if size specifies the length of the smaller edge, i.e. size should be an int or a sequence of length 1 in torchscript mode.`,
      );
    return [size[0], size[1]];
  }
  const s = Array.isArray(size) ? size[0] : size;
  const [short, long] = w <= h ? [w, h] : [h, w];
  let newShort = s,
    newLong = Math.trunc((s * long) / short);
  if (maxSize !== null) {
    if (maxSize <= s)
      throw new RangeError(
        `max_size = ${maxSize} must be strictly greater than the requested size for the smaller edge size = ${s}`,
      );
    if (newLong > maxSize) {
      newShort = Math.trunc((maxSize * newShort) / newLong);
      newLong = maxSize;
    }
  }
  return w <= h ? [newLong, newShort] : [newShort, newLong];
}

/** Resizes [..., C, H, W] (bilinear by default, no antialias: torchvision 0.14's tensor path). */
export class Resize {
  readonly size: number | number[];
  readonly interpolation: "nearest" | "bilinear" | "bicubic";
  readonly maxSize: number | null;
  readonly antialias: boolean | null;
  constructor(
    size: number | number[],
    opts?: { interpolation?: "nearest" | "bilinear" | "bicubic"; maxSize?: number | null; antialias?: boolean | null },
  );
  constructor(...args: unknown[]) {
    const o = parseArgs("transforms.Resize", args, {
      size: A.intOrTuple,
      interpolation: [A.oneOf("nearest", "bilinear", "bicubic"), "bilinear"],
      maxSize: [A.nullable(A.posInt), null],
      antialias: [A.nullable(A.bool), null],
    });
    if (Array.isArray(o.size) && o.size.length !== 1 && o.size.length !== 2)
      throw new RangeError("If size is a sequence, it should have 1 or 2 values");
    this.size = o.size;
    this.interpolation = o.interpolation as Resize["interpolation"];
    this.maxSize = o.maxSize;
    this.antialias = o.antialias;
  }
  call(x: Tensor): Tensor {
    const nd = x.dim(),
      [h, w] = x.shape.slice(nd - 2);
    const [nh, nw] = resizedSize(h, w, this.size, this.maxSize);
    if (nh === h && nw === w) return x;
    const lead = x.shape.slice(0, nd - 2);
    const x4 = ops.reshape(x, [1, lead.reduce((a, b) => a * b, 1), h, w]);
    const y = interpolate(x4, {
      size: [nh, nw],
      mode: this.interpolation,
      alignCorners: this.interpolation === "nearest" ? null : false,
      antialias: this.antialias ?? false,
    });
    return ops.reshape(y, [...lead, nh, nw]);
  }
  toString(): string {
    return `Resize(size=${Array.isArray(this.size) ? `[${this.size.join(", ")}]` : this.size}, interpolation=${this.interpolation}, max_size=${this.maxSize ?? "None"}, antialias=${this.antialias === null ? "None" : this.antialias ? "True" : "False"})`;
  }
}

/** Python's round(): halves to even. */
const pyRound = (v: number) => {
  const f = Math.floor(v),
    d = v - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
};
const sizePair = (s: number | number[]): [number, number] =>
  Array.isArray(s) ? (s.length === 1 ? [s[0], s[0]] : [s[0], s[1]]) : [s, s];

/** x[..., top:top+h, left:left+w] (a copy). */
export function crop(x: Tensor, top: number, left: number, h: number, w: number): Tensor {
  const nd = x.dim(),
    [H, W] = x.shape.slice(nd - 2);
  if (top < 0 || left < 0 || top + h > H || left + w > W) {
    // torchvision pads with zeros where the crop leaves the image
    const padded = pad(x, [Math.max(0, -left), Math.max(0, left + w - W), Math.max(0, -top), Math.max(0, top + h - H)]);
    return crop(padded, Math.max(0, top), Math.max(0, left), h, w);
  }
  return ops.contiguous(ops.narrow(ops.narrow(x, nd - 2, top, h), nd - 1, left, w));
}

/** Crops the center (padding with zeros when the image is smaller), torchvision's center_crop. */
export class CenterCrop {
  readonly size: [number, number];
  constructor(size: number | number[]) {
    this.size = sizePair(parseArgs("transforms.CenterCrop", [size], { size: A.intOrTuple }).size);
  }
  call(x: Tensor): Tensor {
    const nd = x.dim(),
      [H, W] = x.shape.slice(nd - 2),
      [ch, cw] = this.size;
    if (cw > W || ch > H) {
      const p = [
        Math.floor((cw - W) / 2),
        Math.floor((cw - W + 1) / 2),
        Math.floor((ch - H) / 2),
        Math.floor((ch - H + 1) / 2),
      ].map((v) => Math.max(0, v));
      x = pad(x, p);
      if (x.shape[nd - 2] === ch && x.shape[nd - 1] === cw) return x;
    }
    const [H2, W2] = x.shape.slice(nd - 2);
    return crop(x, pyRound((H2 - ch) / 2), pyRound((W2 - cw) / 2), ch, cw);
  }
  toString(): string {
    return `CenterCrop(size=(${this.size.join(", ")}))`;
  }
}

/** A random crop (optionally after padding), torchvision's RandomCrop. */
export class RandomCrop {
  readonly size: [number, number];
  readonly padding: number | number[] | null;
  readonly padIfNeeded: boolean;
  readonly fill: number;
  readonly paddingMode: "constant" | "edge" | "reflect";
  constructor(
    size: number | number[],
    opts?: {
      padding?: number | number[] | null;
      padIfNeeded?: boolean;
      fill?: number;
      paddingMode?: "constant" | "edge" | "reflect";
    },
  );
  constructor(...args: unknown[]) {
    const o = parseArgs("transforms.RandomCrop", args, {
      size: A.intOrTuple,
      padding: [A.nullable(A.intOrTuple), null],
      padIfNeeded: [A.bool, false],
      fill: [A.num, 0],
      paddingMode: [A.oneOf("constant", "edge", "reflect"), "constant"],
    });
    this.size = sizePair(o.size);
    this.padding = o.padding;
    this.padIfNeeded = o.padIfNeeded;
    this.fill = o.fill;
    this.paddingMode = o.paddingMode as RandomCrop["paddingMode"];
  }
  private pad(x: Tensor, lrtb: number[]): Tensor {
    const mode = this.paddingMode === "edge" ? "replicate" : this.paddingMode;
    return mode === "constant" ? pad(x, lrtb, { value: this.fill }) : pad(x, lrtb, { mode });
  }
  call(x: Tensor): Tensor {
    if (this.padding !== null) {
      const p = Array.isArray(this.padding) ? this.padding : [this.padding];
      const lrtb =
        p.length === 1
          ? [p[0], p[0], p[0], p[0]]
          : p.length === 2
            ? [p[0], p[0], p[1], p[1]]
            : [p[0], p[2], p[1], p[3]];
      x = this.pad(x, lrtb);
    }
    const nd = x.dim(),
      [th, tw] = this.size;
    let [H, W] = x.shape.slice(nd - 2);
    if (this.padIfNeeded && W < tw) {
      x = this.pad(x, [tw - W, tw - W, 0, 0]);
      W = x.shape[nd - 1];
    }
    if (this.padIfNeeded && H < th) {
      x = this.pad(x, [0, 0, th - H, th - H]);
      H = x.shape[nd - 2];
    }
    if (H < th || W < tw)
      throw new RangeError(`Required crop size (${th}, ${tw}) is larger than input image size (${H}, ${W})`);
    const i = Math.floor(random() * (H - th + 1)),
      j = Math.floor(random() * (W - tw + 1));
    return crop(x, i, j, th, tw);
  }
  toString(): string {
    return `RandomCrop(size=(${this.size.join(", ")}), padding=${this.padding ?? "None"})`;
  }
}

/** Flips [..., W] left-right with probability p. */
export class RandomHorizontalFlip {
  readonly p: number;
  constructor(p: number | { p?: number } = 0.5) {
    this.p = parseArgs("transforms.RandomHorizontalFlip", [p], { p: [A.num, 0.5] }).p;
  }
  call(x: Tensor): Tensor {
    return random() < this.p ? hflip(x) : x;
  }
  toString(): string {
    return `RandomHorizontalFlip(p=${this.p})`;
  }
}
/** x with its last dim reversed (a copy). */
export function hflip(x: Tensor): Tensor {
  const d = x.dim() - 1;
  return ops.clone(
    x._viewAs(
      x.shape.slice(),
      x.strides.map((s, k) => (k === d ? -s : s)),
      x.offset + (x.shape[d] - 1) * x.strides[d],
    ),
  );
}

/**
 * Converts image dtypes as torchvision does, with int64 tensors holding 8-bit image values
 * (0..255): int64 -> float32 divides by 255; float32 -> int64 maps [0, 1] to 0..255.
 */
export class ConvertImageDtype {
  constructor(readonly dtype: DType) {
    if (dtype !== "float32" && dtype !== "int64") throw new TypeError(`ConvertImageDtype: unsupported dtype ${dtype}`);
  }
  call(x: Tensor): Tensor {
    if (x.dtype === this.dtype) return x;
    if (this.dtype === "float32") return ops.div(ops.cast(x, "float32"), 255);
    return ops.cast(ops.mul(x, 255 + 1 - 1e-3), "int64");
  }
  toString(): string {
    return `ConvertImageDtype()`;
  }
}
