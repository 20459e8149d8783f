#!/usr/bin/env bash
# TensorBoard for the tests that read our event files with the real thing. It is a Python package:
# pip installs it where a package index is reachable (our machines have a local mirror); without
# one, those tests skip with a line saying so. Idempotent: nothing happens when it imports already.
set -uo pipefail
py=$(command -v python3 || true)
if [ -z "$py" ]; then echo "install-tensorboard: no python3; the TensorBoard tests will skip" >&2; exit 0; fi
if "$py" -c 'import tensorboard' >/dev/null 2>&1 && command -v tensorboard >/dev/null 2>&1; then exit 0; fi
echo "install-tensorboard: pip install tensorboard (for $py)" >&2
if ! "$py" -m pip install --quiet tensorboard >/tmp/gan-studio-install-tensorboard.log 2>&1; then
  echo "install-tensorboard: pip could not install tensorboard ($(tail -1 /tmp/gan-studio-install-tensorboard.log)); the TensorBoard tests will skip" >&2
  exit 0
fi
# pyenv puts new console scripts behind shims that exist only after a rehash.
command -v pyenv >/dev/null 2>&1 && pyenv rehash >/dev/null 2>&1
command -v tensorboard >/dev/null 2>&1 || echo "install-tensorboard: installed, but no tensorboard on PATH; the tests use python3 -m tensorboard.main" >&2
exit 0
