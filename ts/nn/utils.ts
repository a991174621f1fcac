// nn.utils: clipGradNorm_, clipGradValue_, parametersToVector, vectorToParameters (PyTorch 1.13).

import { Tensor } from "../tensor.js";
import { noGrad, tidy } from "../runtime.js";
import { tensor } from "../creation.js";
import { cat } from "../ops.js";
import { parseArgs, A, type Check } from "../utils/args.js";
import { pyFloat } from "./module.js";

type Params = Tensor | Iterable<Tensor>;
function listOf(fn: string, parameters: Params): Tensor[] {
  if (parameters instanceof Tensor) return [parameters];
  if (parameters == null || typeof (parameters as any)[Symbol.iterator] !== "function") {
    throw new TypeError(`${fn}: parameters must be a Tensor or an iterable of Tensors`);
  }
  const list = [...parameters];
  for (const p of list)
    if (!(p instanceof Tensor)) throw new TypeError(`${fn}: parameters must be Tensors, got ${typeof p}`);
  return list;
}
const normTypeCheck = Object.assign(
  (v: unknown) => (typeof v === "number" && !Number.isNaN(v)) || v === "inf" || v === "Infinity",
  { desc: 'a number or "inf"' },
) as Check<number | string>;
const f32 = Math.fround;

/**
 * Scales the gradients of `parameters` in place so that their total norm (as one vector) is at
 * most maxNorm; returns the total norm before clipping as a 0-dim tensor.
 * `clipGradNorm_(params, maxNorm, { normType = 2, errorIfNonfinite = false })` (or positionally).
 */
export function clipGradNorm_(
  parameters: Params,
  maxNorm: number,
  normType?: number | "inf" | { normType?: number | "inf"; errorIfNonfinite?: boolean; foreach?: boolean | null },
  errorIfNonfinite?: boolean,
): Tensor {
  const o = parseArgs("nn.utils.clipGradNorm_", [maxNorm, normType, errorIfNonfinite], {
    maxNorm: A.num,
    normType: [normTypeCheck, 2],
    errorIfNonfinite: [A.bool, false],
    foreach: A.kw(A.any, null),
  });
  const p = typeof o.normType === "string" ? Infinity : o.normType;
  const grads = listOf("nn.utils.clipGradNorm_", parameters)
    .map((t) => t.grad)
    .filter((g): g is Tensor => g !== null);
  if (!grads.length) return tensor(0);
  for (const g of grads) {
    if (g.isDisposed) throw new Error("nn.utils.clipGradNorm_: a gradient has been disposed");
    if (!g.isDense()) throw new Error("nn.utils.clipGradNorm_: gradients must be contiguous");
  }
  const total = noGrad(() =>
    tidy(() => {
      const norms = grads.map((g) => {
        if (p === Infinity) return Number(g.abs().max().item());
        if (p === 0) return Number(g.ne(0).sum().item());
        if (p === 2) return f32(Math.sqrt(Number(g.mul(g).sum().item())));
        if (p === 1) return Number(g.abs().sum().item());
        return f32(Math.pow(Number(g.abs().pow(p).sum().item()), 1 / p));
      });
      if (p === Infinity)
        return norms.reduce((a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)), -Infinity);
      if (p === 0) return norms.reduce((a, b) => a + b, 0);
      if (p === 2) return f32(Math.sqrt(norms.reduce((a, b) => a + b * b, 0)));
      if (p === 1) return f32(norms.reduce((a, b) => a + b, 0));
      return f32(
        Math.pow(
          norms.reduce((a, b) => a + Math.pow(b, p), 0),
          1 / p,
        ),
      );
    }),
  );
  if (o.errorIfNonfinite && !Number.isFinite(total)) {
    throw new Error(
      `The total norm of order ${p === Infinity ? "inf" : pyFloat(p)} for gradients from \`parameters\` is non-finite, so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set \`error_if_nonfinite=False\``,
    );
  }
  const coef = Math.min(f32(o.maxNorm / f32(total + 1e-6)), 1);
  noGrad(() =>
    tidy(() => {
      for (const g of grads) g.copy_(g.mul(coef));
    }),
  );
  return tensor(total);
}

/** Clamps every gradient to [-clipValue, clipValue] in place. */
export function clipGradValue_(
  parameters: Params,
  clipValue: number | { clipValue: number; foreach?: boolean | null },
): void {
  const o = parseArgs("nn.utils.clipGradValue_", [clipValue], { clipValue: A.num, foreach: A.kw(A.any, null) });
  const grads = listOf("nn.utils.clipGradValue_", parameters)
    .map((t) => t.grad)
    .filter((g): g is Tensor => g !== null);
  for (const g of grads) {
    if (g.isDisposed) throw new Error("nn.utils.clipGradValue_: a gradient has been disposed");
    if (!g.isDense()) throw new Error("nn.utils.clipGradValue_: gradients must be contiguous");
  }
  const c = o.clipValue;
  noGrad(() =>
    tidy(() => {
      for (const g of grads) g.copy_(g.clamp(-c, c));
    }),
  );
}

/** All parameters flattened into one vector (differentiable, like torch.cat of p.view(-1)). */
export function parametersToVector(parameters: Params): Tensor {
  const list = listOf("nn.utils.parametersToVector", parameters);
  if (!list.length) throw new RangeError("nn.utils.parametersToVector: no parameters");
  return cat(
    list.map((p) => p.reshape(-1)),
    0,
  );
}

/** Copies consecutive slices of `vec` into the parameters (in place, without autograd). */
export function vectorToParameters(vec: Tensor, parameters: Params): void {
  if (!(vec instanceof Tensor)) throw new TypeError(`expected torch.Tensor, but got: ${typeof vec}`);
  const list = listOf("nn.utils.vectorToParameters", parameters);
  const n = list.reduce((s, p) => s + p.numel(), 0);
  if (vec.dim() !== 1 || vec.numel() !== n) {
    throw new RangeError(
      `nn.utils.vectorToParameters: vec has shape [${vec.shape.join(", ")}] but the parameters have ${n} elements in total`,
    );
  }
  for (const p of list) if (!p.isDense()) throw new Error("nn.utils.vectorToParameters: parameters must be contiguous");
  noGrad(() =>
    tidy(() => {
      let off = 0;
      for (const p of list) {
        const part = vec.narrow(0, off, p.numel()).reshape(p.shape.slice());
        p.copy_(part.dtype === p.dtype ? part : part.to(p.dtype));
        off += p.numel();
      }
    }),
  );
}
