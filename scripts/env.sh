# Sourced by the other scripts: where tools and build output live.
# Build output sits outside the clone, one folder per checkout: cargo keys
# workspace crates by their path relative to the workspace, so two clones
# sharing one target folder would take each other's builds for their own.
# A checkout keeps its folder from run to run, so rebuilds are incremental.
_anteroom_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
_anteroom_targets="$HOME/.cache/anteroom/target"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$_anteroom_targets/$(printf '%s' "$_anteroom_root" | sha256sum | cut -c1-12)}"
export ANTEROOM_TOOLS_DIR="${ANTEROOM_TOOLS_DIR:-$HOME/.cache/anteroom/tools}"
# The embedded speech engine's Python (scripts/setup makes it); the server
# starts its worker with it.
export ANTEROOM_SPEECH_VENV="${ANTEROOM_SPEECH_VENV:-$HOME/.cache/anteroom/speech-venv}"
export ANTEROOM_SPEECH_PYTHON="${ANTEROOM_SPEECH_PYTHON:-$ANTEROOM_SPEECH_VENV/bin/python}"
# scripts/tools first: its wasm-opt runs binaryen's with the passes we want.
export PATH="$_anteroom_root/scripts/tools:$ANTEROOM_TOOLS_DIR/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# CI builds once per clone: incremental caches would only take disk space.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi

# Every clone leaves a build folder behind, several GB each. Forget the ones
# no checkout has used for two days, and all the others when the disk runs
# low, so a machine that runs many clones never fills up.
mkdir -p "$CARGO_TARGET_DIR" && touch "$CARGO_TARGET_DIR/.last-used"
_anteroom_free_kb=$(df -Pk "$_anteroom_targets" | awk 'NR==2 {print $4}')
for _anteroom_dir in "$_anteroom_targets"/*/; do
    _anteroom_dir=${_anteroom_dir%/}
    [ "$_anteroom_dir" = "$CARGO_TARGET_DIR" ] && continue
    if [ "${_anteroom_free_kb:-0}" -lt 20000000 ] ||
        [ -z "$(find "$_anteroom_dir" -maxdepth 1 -name .last-used -mtime -2)" ]; then
        rm -rf "$_anteroom_dir"
    fi
done
unset _anteroom_dir _anteroom_free_kb
