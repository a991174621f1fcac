// Module fusion as a pass over a chain of modules, not a property of any container: a module that
// can absorb the activation that follows it (a conv writing relu(conv) from its kernel) says so
// with `withActivation`, an activation module says what it is with `asActivation`, and `fuseStep`
// pairs them. nn.Sequential runs its children through it; any module running a chain can too.
//
//   const step = fuseStep(conv, relu);   // (x) => F.conv2d(x, w, b, { ..., activation: "relu" })
//   const y = step ? step(x) : relu.forward(conv.forward(x));
//
// In inference a producer may also absorb a normalisation that follows it: a norm that is a fixed
// per-channel affine map right now (BatchNorm in eval, with running stats) says so with
// `asChannelAffine`, and a conv folds it into its weights (w' = w * scale, b' = b * scale + shift,
// cached on the conv until one of the tensors it was computed from changes) with `withNorm`.
// `fuseChain` finds conv -> norm -> activation and conv -> norm chains, and `convNormAct` runs one
// such chain from a block's own forward (ResNet's BasicBlock). The fused forms run only when no
// gradient is recorded, so training and eval with autograd see the modules' own ops.

import type { Tensor } from "../tensor.js";
import type { Module } from "./module.js";

let fusionEnabled = true;
/** Turns every fusion off (false) or on: the modules then run one by one, as written (tests and
 *  benchmarks compare the two). Returns the previous setting. */
export function setFusionEnabled(on: boolean): boolean {
  const prev = fusionEnabled;
  fusionEnabled = on;
  return prev;
}
export function isFusionEnabled(): boolean {
  return fusionEnabled;
}

/** Activations a producer can apply in its own kernel (the same numbers as the separate module). */
export type FusedActivation = "relu" | "relu6";

/** A module that can run fused with the activation module that follows it. */
export interface FusableProducer {
  /** A forward that applies `act` too, or null when this module cannot (e.g. an overridden forward). */
  withActivation(act: FusedActivation): ((x: Tensor) => Tensor) | null;
}
/** An activation module that a producer may absorb. */
export interface FusableActivation {
  /** The activation this module computes, or null when it must run as itself. */
  asActivation(): FusedActivation | null;
}

/** One forward for `m` followed by `next` when the pair fuses, else null. */
export function fuseStep(m: Module, next: Module | undefined): ((x: Tensor) => Tensor) | null {
  if (!fusionEnabled) return null;
  const act =
    next && typeof (next as Partial<FusableActivation>).asActivation === "function"
      ? (next as unknown as FusableActivation).asActivation()
      : null;
  if (!act || typeof (m as Partial<FusableProducer>).withActivation !== "function") return null;
  return (m as unknown as FusableProducer).withActivation(act);
}

/** Whether m's class runs `base`'s forward (a subclass overriding forward must not be fused). The
 *  class's method is compared, not m.forward: Module wraps each instance's forward in a scope. */
export function inheritsForward(m: Module, base: { prototype: { forward: unknown } }): boolean {
  return (Object.getPrototypeOf(m) as { forward: unknown }).forward === base.prototype.forward;
}

/** A fixed per-channel affine map y[:, c] = x[:, c] * scale[c] + shift[c] that a norm applies now. */
export interface ChannelAffine {
  /** The tensors scale and shift are computed from (cache keys; the autograd check). */
  readonly sources: readonly (Tensor | null)[];
  /** Scalars they are computed from besides the tensors (e.g. eps), for the cache key. */
  readonly scalars: readonly number[];
  /** scale and shift per channel (float64). */
  compute(): { scale: Float64Array; shift: Float64Array };
}
/** A norm module that may be folded into the producer before it. */
export interface FoldableNorm {
  /** The affine map this module applies now to an input of `dims` dims and `channels` channels,
   *  or null when it must run as itself (training, batch statistics, an overridden forward, or an
   *  input its forward would refuse). */
  asChannelAffine(dims: number, channels: number): ChannelAffine | null;
}
/** A producer's forward that applies a following norm (then `act`, then adds `residual` before
 *  the activation: act(norm(m(x)) + residual)); it returns null at a call where it cannot run
 *  fused (the caller then runs the modules one by one). */
export type NormStep = (x: Tensor, residual?: Tensor | null) => Tensor | null;
/** A producer that can absorb a following norm (a conv folding an eval BatchNorm). */
export interface NormFusableProducer {
  withNorm(norm: FoldableNorm, act: FusedActivation | null): NormStep | null;
}

/** The activation `m` computes (when a producer may apply it in its kernel), else null. */
export function activationOf(m: Module | null | undefined): FusedActivation | null {
  return m && typeof (m as Partial<FusableActivation>).asActivation === "function"
    ? (m as unknown as FusableActivation).asActivation()
    : null;
}
const isFoldableNorm = (m: Module | null | undefined): m is Module & FoldableNorm =>
  !!m && typeof (m as Partial<FoldableNorm>).asChannelAffine === "function";
const isNormProducer = (m: Module): m is Module & NormFusableProducer =>
  typeof (m as Partial<NormFusableProducer>).withNorm === "function";

const isTensorLike = (x: unknown): x is Tensor =>
  typeof x === "object" && x !== null && typeof (x as { dim?: unknown }).dim === "function";

/** One fused step of a chain: `run` covers the `n` modules from the start; null from `run` means
 *  "not at this call" (run the first module alone and go on). */
export interface FusedStep {
  n: number;
  run: (x: Tensor) => Tensor | null;
  /** run(x) + residual with the add in the same kernel (a step without an activation), when the
   *  step can; null from it as from run. */
  runAdd?: (x: Tensor, residual: Tensor) => Tensor | null;
}
/** The fused step starting at mods[k]: producer -> norm -> activation, producer -> norm, or
 *  producer -> activation (fuseStep); null when mods[k] runs alone. */
export function fuseChain(mods: readonly Module[], k: number): FusedStep | null {
  if (!fusionEnabled) return null;
  const m = mods[k],
    norm = mods[k + 1];
  if (isNormProducer(m) && isFoldableNorm(norm)) {
    const act = activationOf(mods[k + 2]);
    const step = m.withNorm(norm, act);
    if (step) {
      const run = (x: Tensor) => (isTensorLike(x) ? step(x) : null);
      if (act) return { n: 3, run };
      return { n: 2, run, runAdd: (x, residual) => (isTensorLike(x) ? step(x, residual) : null) };
    }
  }
  const pair = fuseStep(m, norm);
  return pair ? { n: 2, run: pair } : null;
}

/**
 * act(norm(producer(x)) + residual) in one kernel when the producer can fold the norm now (a conv
 * and a BatchNorm in eval, no gradient recorded), else null (run the modules). `act` is the
 * activation module (applied by the kernel when it can be, else run on the result), or null;
 * `residual` (optional) is added before it.
 */
export function convNormAct(
  producer: Module,
  norm: Module,
  act: Module | null,
  x: Tensor,
  residual: Tensor | null = null,
): Tensor | null {
  if (!fusionEnabled || !isNormProducer(producer) || !isFoldableNorm(norm)) return null;
  const a = activationOf(act);
  const step = producer.withNorm(norm, a);
  const y = step ? step(x, residual) : null;
  if (y === null || a !== null || act === null) return y;
  return (act as Module & { forward(t: Tensor): Tensor }).forward(y) as Tensor;
}
