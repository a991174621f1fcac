#!/usr/bin/env bash
# Fresh-machine check: every system tool or file the build, the tests and the main job use must be
# owned by a Debian package that scripts/setup.sh installs, or by a hard dependency (Depends /
# Pre-Depends, never Recommends) of one. dpkg -S and apt-cache depends answer this even on a machine
# that already has everything installed, where a missing install step would otherwise hide.
set -euo pipefail
cd "$(dirname "$0")/.."
# the package list setup installs (its PKGS array)
pkgs=$(sed -nE 's/^PKGS=\((.*)\)/\1/p' scripts/setup.sh)
[[ -n "$pkgs" ]] || { echo "check-setup: cannot read PKGS=(...) from scripts/setup.sh" >&2; exit 1; }
# shellcheck disable=SC2086
closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances $pkgs 2>/dev/null \
  | grep -vE '^[[:space:]]|^<' | sort -u)
[[ -n "$closure" ]] || { echo "check-setup: apt-cache knows none of: $pkgs (run apt-get update)" >&2; exit 1; }

bad=()
# need PATH-OR-COMMAND WHAT
need() {
  local p=$1 what=$2 real own
  [[ -e "$p" ]] || p=$(command -v "$1" 2>/dev/null || true)
  if [[ -z "$p" || ! -e "$p" ]]; then bad+=("$what: $1 is not on this machine"); return; fi
  real=$(readlink -f "$p")
  own=$(dpkg -S "$real" 2>/dev/null | head -1 | cut -d: -f1)
  [[ -n "$own" ]] || own=$(dpkg -S "$p" 2>/dev/null | head -1 | cut -d: -f1)
  if [[ -z "$own" ]]; then bad+=("$what: $p belongs to no Debian package"); return; fi
  own=${own%%,*}
  grep -qx "$own" <<<"$closure" || bad+=("$what: $p comes from '$own', which setup.sh neither installs nor pulls in as a hard dependency")
}
need /usr/bin/cargo "wasm build (cargo, Debian cargo-web)"
need /usr/bin/rustc "wasm build (rustc)"
need wasm-ld-22 "wasm linker"
need /usr/lib/rustlib/src/rust/library/Cargo.toml "Rust std sources for -Zbuild-std"
need cc "C linker of the native addon"
need /usr/bin/python3 "fixture and bench scripts"
need /usr/lib/python3/dist-packages/torch/__init__.py "PyTorch (fixtures, bench)"
need /usr/lib/python3/dist-packages/torchvision/__init__.py "torchvision (vision fixtures)"
need /usr/lib/python3/dist-packages/numpy/__init__.py "numpy (fixture scripts)"
need /usr/bin/chromium "browser tests and bench"
need /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz "main job data (Fashion-MNIST)"
if ((${#bad[@]})); then
  printf 'check-setup: %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "check-setup: every system tool comes from the $(wc -w <<<"$pkgs") packages setup.sh installs (or their hard dependencies)"
