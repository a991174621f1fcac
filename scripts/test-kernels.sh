#!/usr/bin/env bash
# cargo test of crates/kernels with the same toolchain choice as scripts/build.sh (rustup's cargo
# when installed, else the one on PATH, else Debian's /usr/bin/cargo).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -x "$HOME/.cargo/bin/cargo" ]]; then CARGO="$HOME/.cargo/bin/cargo"; else CARGO=$(command -v cargo || echo /usr/bin/cargo); fi
exec "$CARGO" test --quiet --manifest-path crates/kernels/Cargo.toml "$@"
