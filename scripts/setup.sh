#!/usr/bin/env bash
# Makes sure the machine has what torchlet's build and tests need (Debian packages + Rust).
# Idempotent and fast when everything is present; installs what is missing with apt as root.
set -euo pipefail

PKGS=(rustc-web cargo-web rust-web-src lld-22 python3-torch python3-torchvision python3-numpy dataset-fashion-mnist chromium)

missing=()
status=$(dpkg-query -W -f='${Package} ${Status}\n' "${PKGS[@]}" 2>/dev/null || true)
for p in "${PKGS[@]}"; do
  grep -q "^$p install ok installed$" <<<"$status" || missing+=("$p")
done

if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: run as root: apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

# wasm builds: Debian's rustc-web (has rust-src for -Zbuild-std) and wasm-ld-22
for tool in /usr/bin/rustc /usr/bin/cargo wasm-ld-22; do
  command -v "$tool" >/dev/null || { echo "setup: $tool not found after install" >&2; exit 1; }
done

# native addon: rustup's stable toolchain if present, else Debian's cargo (build.sh picks)
if [[ ! -x "$HOME/.cargo/bin/cargo" ]]; then
  echo "setup: note: no rustup toolchain in ~/.cargo/bin; the native addon builds with /usr/bin/cargo" >&2
fi
