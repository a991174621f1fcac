#!/usr/bin/env bash
# Builds torchlet: the Rust kernels as WebAssembly (simd128, relaxed-simd, threaded, threaded+relaxed) and as a native
# Node addon into build/, then the TypeScript into dist/. Steps whose outputs are newer than their
# inputs are skipped. Env: WASM_CARGO/WASM_RUSTC (Debian rustc-web), NATIVE_CARGO, SKIP_NATIVE=1.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build

WASM_CARGO=${WASM_CARGO:-/usr/bin/cargo}
WASM_RUSTC=${WASM_RUSTC:-/usr/bin/rustc}
if [[ -z "${NATIVE_CARGO:-}" ]]; then
  if [[ -x "$HOME/.cargo/bin/cargo" ]]; then NATIVE_CARGO="$HOME/.cargo/bin/cargo"; else NATIVE_CARGO=$(command -v cargo || echo /usr/bin/cargo); fi
fi
RUST_INPUTS=(Cargo.toml .cargo/config.toml crates scripts/build.sh)

# stale OUT INPUT...: true when OUT is missing or older than any input file
stale() {
  local out=$1; shift
  [[ -e "$out" ]] || return 0
  [[ -n "$(find "$@" -newer "$out" -type f -print -quit 2>/dev/null)" ]]
}
secs() { echo "$(( $(date +%s%N) / 1000000 - $1 ))ms"; }

# wasm VARIANT FEATURES [LINK ARGS...]
wasm() {
  local name=$1 feats=$2; shift 2
  local out="build/torchlet-$name.wasm"
  if ! stale "$out" "${RUST_INPUTS[@]}"; then echo "  wasm-$name: up to date"; return; fi
  local t0; t0=$(( $(date +%s%N) / 1000000 ))
  local flags="-C target-feature=$feats"
  for a in "$@"; do flags+=" -C link-arg=$a"; done
  RUSTC="$WASM_RUSTC" RUSTC_BOOTSTRAP=1 RUSTFLAGS="$flags" CARGO_TARGET_DIR="target/wasm-$name" \
    "$WASM_CARGO" build --quiet -p torchlet-wasm -Zbuild-std=std,panic_abort \
    --target wasm32-unknown-unknown --release 2> >(grep -v -e "unstable feature specified" -e "not stably supported" -e "^ *|$" -e "^ *= note" -e "^$" -e "generated 1 warning" >&2)
  cp "target/wasm-$name/wasm32-unknown-unknown/release/torchlet_wasm.wasm" "$out"
  echo "  wasm-$name: $out ($(( $(stat -c %s "$out") / 1024 )) KiB, $(secs "$t0"))"
}

echo "build:"
# the TypeScript side of the kernel ABI, generated from its Rust declaration
node scripts/gen-abi.mjs
wasm simd "+simd128"
wasm relaxed "+simd128,+relaxed-simd"
MT_LINK=(--shared-memory --import-memory --initial-memory=16777216 --max-memory=4294967296
  --export=__wasm_init_tls --export=__tls_size --export=__tls_align --export=__tls_base --export=__stack_pointer)
wasm mt "+simd128,+atomics,+bulk-memory,+mutable-globals" "${MT_LINK[@]}"
# threads + relaxed-simd: preferred over mt by ts/backends/wasm.ts where relaxed-simd validates
wasm mt-relaxed "+simd128,+relaxed-simd,+atomics,+bulk-memory,+mutable-globals" "${MT_LINK[@]}"

if [[ "${SKIP_NATIVE:-}" != 1 ]]; then
  plat=$(node -p 'process.platform + "-" + process.arch')
  ext=so; [[ $plat == darwin-* ]] && ext=dylib
  out="build/torchlet.$plat.node"
  if stale "$out" "${RUST_INPUTS[@]}"; then
    t0=$(( $(date +%s%N) / 1000000 ))
    "$NATIVE_CARGO" build --quiet -p torchlet-napi --release
    cp "target/release/libtorchlet_napi.$ext" "$out"
    echo "  native: $out ($(( $(stat -c %s "$out") / 1024 )) KiB, $(secs "$t0"))"
  else
    echo "  native: up to date"
  fi
fi

if [[ -f scripts/build-ts.mjs ]]; then
  # dist/ also ships the compiled kernels (dist/build/*.wasm, *.node): rebuild when they changed
  if stale dist/esm/index.js ts scripts/build-ts.mjs tsconfig.json package.json build; then
    node scripts/build-ts.mjs
  else
    echo "  ts: up to date"
  fi
fi
