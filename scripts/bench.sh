#!/usr/bin/env bash
# Benchmarks that print a table (go test -bench). Needs PostgreSQL on 127.0.0.1:5432 for the
# PostgreSQL rows (scripts/install-test-deps.sh starts it).
#   bash scripts/bench.sh            all benchmarks with their default sizes
#   BENCH=Ingest bash scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
pat=${BENCH:-.}
# Issue sizes: 10,000 messages for the ingest mix.
go test -run '^$' -bench "Ingest" -benchtime 10000x ./internal/ingest/ | grep -E '^(Benchmark|ok|FAIL)' || true
go test -run '^$' -bench "Accept" -benchtime 2000x -cpu 10 ./internal/ingest/ | grep -E '^(Benchmark|ok|FAIL)' || true
go test -run '^$' -bench "$pat" -benchtime 2s ./internal/mailparse/... ./internal/thread/ ./internal/routing/ ./internal/blob/ | grep -E '^(Benchmark|ok|FAIL)' || true
go test -run '^$' -bench "ImportRSS" -benchtime 1x ./internal/app/ | grep -E '^(Benchmark|ok|FAIL)' || true
