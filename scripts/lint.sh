#!/usr/bin/env bash
# npm run lint: Biome (format + lint of the TypeScript/JavaScript, biome.json) and rustfmt
# (`cargo fmt --all -- --check`, rustfmt.toml) over the workspace. `npm run format` (--write)
# applies both. Same cargo choice as scripts/build.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -x "$HOME/.cargo/bin/cargo" ]]; then CARGO="$HOME/.cargo/bin/cargo"; else CARGO=$(command -v cargo || echo /usr/bin/cargo); fi
if [[ "${1:-}" == "--write" ]]; then
  node node_modules/@biomejs/biome/bin/biome check --write .
  "$CARGO" fmt --all
else
  node node_modules/@biomejs/biome/bin/biome check .
  if "$CARGO" fmt --version >/dev/null 2>&1; then
    "$CARGO" fmt --all -- --check
  else
    echo "lint: $CARGO has no rustfmt (rustup's stable toolchain has it); Rust formatting not checked" >&2
  fi
fi
