#!/usr/bin/env bash
# Installs what the browser, VS Code, Slurm and TensorBoard tests need and npm cannot provide: Debian's Chromium
# (webview tests, e2e), code-server (a real VS Code, cached outside the repo) and a one-node Slurm
# cluster (the sweep executor's tests). Idempotent:
# a second run takes well under a second. Needs root for apt-get, as on our dev and CI machines.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-test-deps: ${missing[*]} missing and not root; browser tests will skip" >&2
  else
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null; }
  fi
fi

# code-server for the end-to-end tests; its own script explains failures, and the e2e test
# skips with a clear line when it is not there.
bash scripts/install-code-server.sh || echo "install-test-deps: code-server could not be installed; the e2e tests will skip" >&2

# A one-node Slurm cluster for the Slurm executor's tests; they skip with a clear line without it.
bash scripts/start-slurm.sh || echo "install-test-deps: Slurm could not be started; the Slurm tests will skip" >&2

# TensorBoard (a Python package) for reading our event files with the real reader; its tests skip
# with a clear line without it.
bash scripts/install-tensorboard.sh
