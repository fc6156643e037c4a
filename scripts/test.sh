#!/usr/bin/env bash
# The whole test suite, as README.md and .ci/run call it:
#   bash scripts/test.sh [go test args...]      e.g.  bash scripts/test.sh -run Crash ./internal/ingest/
#
# 1. installs and starts what the tests need (scripts/install-test-deps.sh: Dovecot, Postfix,
#    swaks, Chromium, a running PostgreSQL on 127.0.0.1:5432; only what is missing),
# 2. runs go vet and the tests with the race detector. The PostgreSQL and real-mail-server
#    tests are required here (ATENDE_REQUIRE_*=1): they fail instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ]; then
  # --browser: Debian's chromium for the web UI tests (chromedp).
  bash scripts/install-test-deps.sh --browser
else
  echo "test.sh: not root; skipping dependency install (Dovecot/Postfix tests need root)" >&2
fi

export ATENDE_REQUIRE_POSTGRES=${ATENDE_REQUIRE_POSTGRES:-1}
export ATENDE_TEST_BROWSER=${ATENDE_TEST_BROWSER:-$([ "$(id -u)" = 0 ] && echo 1 || echo 0)}
export ATENDE_REQUIRE_MAILSTACK=${ATENDE_REQUIRE_MAILSTACK:-$([ "$(id -u)" = 0 ] && echo 1 || echo 0)}
# the real S3 server (versitygw, installed by install-test-deps.sh)
export ATENDE_REQUIRE_S3=${ATENDE_REQUIRE_S3:-$([ "$(id -u)" = 0 ] && echo 1 || echo 0)}

go vet ./...
# go.mod lists what the code imports, direct dependencies marked direct.
# (Only a real difference fails; a module the proxy can't serve is a warning.)
if ! tidy_out=$(go mod tidy -diff 2>&1); then
  if grep -q '^diff ' <<<"$tidy_out"; then
    echo "test.sh: go.mod/go.sum are not tidy; run 'go mod tidy' and commit:" >&2
    echo "$tidy_out" >&2
    exit 1
  fi
  echo "test.sh: warning: could not check that go.mod is tidy: $tidy_out" >&2
fi
if [ $# -gt 0 ]; then
  exec go test -race -count=1 -timeout 25m "$@"
fi
# The three-node failover test measures how fast a dead node's mailboxes
# resume (issue 17: within 20 s); it runs alone after the rest, not beside
# other packages competing for the same two cores.
go test -race -count=1 -timeout 25m -skip '^TestClusterThreeNodes$' ./...
go test -race -count=1 -timeout 10m -run '^TestClusterThreeNodes$' ./internal/app/

# No test depends on the day it runs: the time-sensitive packages run once
# more with every fake clock (internal/testutil/testclock) ten years forward
# and five years back. Tests on the wall clock (real Dovecot, the crash
# test's child processes) are the same in every run and are skipped here.
shifted=(./internal/autoreply ./internal/outbox ./internal/ingest ./internal/inbound/imapsync
  ./internal/auth ./internal/ticket ./internal/store/... ./internal/web/api)
for shift in 10y -5y; do
  echo "== clocks shifted by $shift =="
  ATENDE_TEST_CLOCK_SHIFT=$shift go test -count=1 -timeout 10m \
    -skip 'TestCrash|TestDovecot|TestBench' "${shifted[@]}"
done
