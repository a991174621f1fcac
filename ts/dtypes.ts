// dtypes: PyTorch's type promotion over torchlet's three dtypes (bool < int64 < float32), the
// names PyTorch prints for them, and the checks of in-place results ("can't be cast").

import type { DType } from "./backends/types.js";

export const DTYPES: readonly DType[] = ["float32", "int64", "bool"];
const RANK: Record<DType, number> = { bool: 0, int64: 1, float32: 2 };

export function isDType(d: unknown): d is DType {
  return typeof d === "string" && (DTYPES as readonly string[]).includes(d);
}

/** Checks a user-given dtype (TypeError naming the op otherwise). */
export function checkDType(d: unknown, op: string): DType {
  if (!isDType(d))
    throw new TypeError(`${op}: unsupported dtype ${JSON.stringify(d)} (expected one of "float32", "int64", "bool")`);
  return d;
}

/** torch.promote_types for two tensors. */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

/** The dtype of `t (op) s` for a tensor of dtype t and a JS number s (a Python scalar): a float
 *  scalar lifts bool/int64 tensors to float32, an integer scalar lifts bool to int64. */
export function promoteScalar(t: DType, s: number | boolean): DType {
  if (typeof s === "boolean") return t;
  if (!Number.isInteger(s)) return "float32";
  return t === "bool" ? "int64" : t;
}

/** PyTorch's ScalarType name (error messages): Float, Long, Bool. */
export function scalarTypeName(d: DType): string {
  return d === "float32" ? "Float" : d === "int64" ? "Long" : "Bool";
}
/** PyTorch's legacy tensor type name (version-counter errors): torch.FloatTensor, ... */
export function tensorTypeName(d: DType): string {
  return `torch.${d === "float32" ? "Float" : d === "int64" ? "Long" : "Bool"}Tensor`;
}

/** torch.can_cast(from, to): no float -> int/bool and no int -> bool. */
export function canCast(from: DType, to: DType): boolean {
  return RANK[from] <= RANK[to];
}

/** Largest integer a JS number holds exactly (int64 values beyond it are refused or come back as BigInt). */
export const MAX_EXACT = 2 ** 53;
