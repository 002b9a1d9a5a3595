# Sourced by the other scripts: where tools and build output live.
# The target directory sits outside the clone so a fresh clone on the same
# machine (CI) builds incrementally; on a new machine it changes nothing.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/anteroom/target}"
export ANTEROOM_TOOLS_DIR="${ANTEROOM_TOOLS_DIR:-$HOME/.cache/anteroom/tools}"
export PATH="$ANTEROOM_TOOLS_DIR/node_modules/.bin:$HOME/.cargo/bin:$PATH"
