#!/usr/bin/env bash
# Benchmarks that print a table (go test -bench). Needs PostgreSQL on 127.0.0.1:5432 for the
# PostgreSQL rows (scripts/install-test-deps.sh starts it).
#   bash scripts/bench.sh            all benchmarks with their default sizes
#   BENCH=Ingest bash scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
pat=${BENCH:-.}
# Issue 19: ingest of the realistic mix, import, text-only, accept latency
# under load and import RSS, as one table (medians of 3 runs).
bash scripts/bench-ingest.sh
# Issue sizes: 10,000 messages for the ingest mix.
go test -run '^$' -bench 'Ingest$' -benchtime 10000x ./internal/ingest/ | grep -E '^(Benchmark|ok|FAIL)' || true
go test -run '^$' -bench "Accept" -benchtime 2000x -cpu 10 ./internal/ingest/ | grep -E '^(Benchmark|ok|FAIL)' || true
go test -run '^$' -bench "$pat" -benchtime 2s ./internal/mailparse/... ./internal/thread/ ./internal/routing/ ./internal/blob/ | grep -E '^(Benchmark|ok|FAIL)' || true
go test -run '^$' -bench "ImportRSS" -benchtime 1x ./internal/app/ | grep -E '^(Benchmark|ok|FAIL)' || true
# Several nodes (issue 17): ingest with 1-3 nodes on one PostgreSQL (900 messages each run), blobs on
# the filesystem vs a real S3 server (versitygw, installed by install-test-deps.sh), and mailbox
# failover over 10 SIGKILLs of real nodes (about 4 minutes).
go test -run '^$' -bench NodesOnePostgres -benchtime 1x -count 3 ./internal/ingest/ | grep -E '^(Benchmark|ok|FAIL)' || true
go test -run '^$' -bench Blobs -benchtime 2s ./internal/blob/s3blob/ | grep -E '^(Benchmark|ok|FAIL)' || true
ATENDE_BENCH=1 go test -count=1 -run TestBenchFailover -v -timeout 20m ./internal/app/ | grep -E 'round|failover over|^(ok|FAIL)' || true

# --- Search, inbox and the list-and-search mix (issue 19, search part) ---------------------------
# 100,000 tickets / 1,000,000 messages seeded by bulk INSERTs on SQLite and PostgreSQL (several
# minutes each), then one table (lines starting "search|"): single-client p50/p99 of a rare word, a
# common word, an accentless form of an accented word, a miss, a contact, two words; the web inbox
# page; 50 clients on the list-and-search mix. ATENDE_BENCH_TICKETS=20000 for a quick run.
bench_search() {
	for i in 1 2 3; do
		echo "search| run $i, load: $(uptime | sed 's/.*load average: //')"
		go test -count=1 -run '^$' -bench Search -benchtime 1x -timeout 90m ./internal/web/api/ | grep -E '^(search\||ok|FAIL)' || true
	done
}
if [[ -z "${BENCH:-}" || "${BENCH}" == *Search* ]]; then
	bench_search
fi
