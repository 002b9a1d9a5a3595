# Sourced by the other scripts: where tools and build output live.
# Build output sits outside the clone, one folder per checkout: cargo keys
# workspace crates by their path relative to the workspace, so two clones
# sharing one target folder would take each other's builds for their own.
# A checkout keeps its folder from run to run, so rebuilds are incremental.
_anteroom_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/anteroom/target/$(printf '%s' "$_anteroom_root" | sha256sum | cut -c1-12)}"
export ANTEROOM_TOOLS_DIR="${ANTEROOM_TOOLS_DIR:-$HOME/.cache/anteroom/tools}"
export PATH="$ANTEROOM_TOOLS_DIR/node_modules/.bin:$HOME/.cargo/bin:$PATH"
