#!/usr/bin/env bash
# Screenshots of the reader in headless Chromium (phone light/dark, desktop), with the
# validators' counts: see scripts/check-reader.sh, which this runs.
#   scripts/screenshots.sh [OUT_DIR]        (default target/reader-check)
exec "$(dirname "$0")/check-reader.sh" "$@"
