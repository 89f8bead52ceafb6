#!/usr/bin/env bash
# Makes sure a Node.js >= 22.18 is first on PATH. Source it: `source scripts/ensure-node.sh`.
# When the system Node is older (these machines ship Node 20), installs Node 24 LTS from the npm registry
# into .tools/node (no root, no download outside the registry) and prepends it to PATH.
_gw_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_gw_prefix="${GROUNDWORK_NODE_PREFIX:-$_gw_root/.tools/node}"
_gw_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=18)?0:1)' 2>/dev/null
}
if [ -x "$_gw_prefix/bin/node" ]; then
  export PATH="$_gw_prefix/bin:$PATH"
fi
if ! _gw_node_ok; then
  echo "ensure-node: Node.js $(node --version 2>/dev/null || echo 'missing') is older than 22.18; installing Node 24 into $_gw_prefix" >&2
  npm install -g --prefix "$_gw_prefix" --no-fund --no-audit node@24 >&2 || { echo "ensure-node: npm install node@24 failed" >&2; return 1 2>/dev/null || exit 1; }
  export PATH="$_gw_prefix/bin:$PATH"
  _gw_node_ok || { echo "ensure-node: Node 24 did not install correctly" >&2; return 1 2>/dev/null || exit 1; }
fi
echo "ensure-node: using Node.js $(node --version) from $(command -v node)" >&2
unset -f _gw_node_ok
unset _gw_root _gw_prefix
