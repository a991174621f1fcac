// Module fusion as a pass over a chain of modules, not a property of any container: a module that
// can absorb the activation that follows it (a conv writing relu(conv) from its kernel) says so
// with `withActivation`, an activation module says what it is with `asActivation`, and `fuseStep`
// pairs them. nn.Sequential runs its children through it; any module running a chain can too.
//
//   const step = fuseStep(conv, relu);   // (x) => F.conv2d(x, w, b, { ..., activation: "relu" })
//   const y = step ? step(x) : relu.forward(conv.forward(x));

import type { Tensor } from "../tensor.js";
import type { Module } from "./module.js";

/** Activations a producer can apply in its own kernel (the same numbers as the separate module). */
export type FusedActivation = "relu";

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
