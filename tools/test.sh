#!/usr/bin/env bash
# Runs every test suite: the native build under ctest (more builds join as they land).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j2
ctest --test-dir build --output-on-failure
