# api.sh - the HTTP API tests (tests/api/cases/*.json run by tests/api/run.py against a real
# `vigil serve` on a free loopback port); this script registers them with ctest.
exec python3 "$(dirname "$0")/../api/run.py" "$VIGIL"
