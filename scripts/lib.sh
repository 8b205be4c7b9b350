# Shared by scripts/run, scripts/test and .ci/run: installs what a fresh machine
# lacks (each step is skipped when the right version is already there) and builds
# the H5 bundle. Only the package registries are used (crates.io, npm, Debian).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TRUNK_VERSION="0.21.14"
export PATH="$ROOT/tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

ensure_wasm_target() {
  if ! rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$'; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

ensure_trunk() {
  if [ "$(trunk --version 2>/dev/null || true)" != "trunk $TRUNK_VERSION" ]; then
    log "installing trunk $TRUNK_VERSION (a few minutes, once)"
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
      cargo install trunk --version "$TRUNK_VERSION" --locked --no-default-features
  fi
}

wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

ensure_wasm_bindgen() {
  local want
  want="$(wasm_bindgen_version)"
  if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $want" ]; then
    log "installing wasm-bindgen-cli $want (a few minutes, once)"
    # Without --locked: its lockfile wants a webpki-roots release the registry lacks.
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
      cargo install wasm-bindgen-cli --version "$want"
  fi
}

# The npm packages pinned in tools/package.json: binaryen (wasm-opt, for the H5 build)
# and standardwebhooks (the JavaScript notification example in docs/API.md, which the
# test docs_api runs). `npm ci` installs exactly the lockfile when either is missing.
ensure_node_tools() {
  if [ ! -x "$ROOT/tools/node_modules/.bin/wasm-opt" ] \
    || [ ! -f "$ROOT/tools/node_modules/standardwebhooks/package.json" ]; then
    log "installing the npm tools (npm ci --prefix tools: binaryen, standardwebhooks)"
    npm ci --prefix "$ROOT/tools" --no-audit --no-fund
  fi
}

ensure_h5_tools() {
  ensure_wasm_target
  ensure_node_tools
  ensure_trunk
  ensure_wasm_bindgen
}

# Two bundles (ADR 0017): the first load (index.html → dist/) and the extra bundle
# (extra.html → dist/extra/: the developer console, the payment history). In this
# order: Trunk empties its dist directory, so building dist/ removes dist/extra/.
build_h5() {
  log "building the H5 app (trunk build --release: index.html, then extra.html)"
  (cd "$ROOT" && trunk build --release \
    && trunk build --release=true --dist dist/extra --public-url /h5/extra/ extra.html)
}
