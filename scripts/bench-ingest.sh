#!/usr/bin/env bash
# Ingest benchmarks of issue 19 as one table: medians of COUNT runs (default
# 3) of the realistic mail mix (internal/testutil/mailmix). Needs
# PostgreSQL on 127.0.0.1:5432 for the PostgreSQL rows.
#   bash scripts/bench-ingest.sh          (part of `make bench`)
#   COUNT=1 IMPORT_MSGS=2000 bash scripts/bench-ingest.sh
set -euo pipefail
cd "$(dirname "$0")/.."
count=${COUNT:-3}
import_msgs=${IMPORT_MSGS:-10000}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
run() { go test -run '^$' "$@" 2>&1 | grep -E '^(Benchmark|FAIL|---)' >>"$out" || true; }
run -bench 'IngestMix' -benchtime 2000x -count "$count" ./internal/ingest/
run -bench 'IngestText' -benchtime 5000x -count "$count" ./internal/ingest/
run -bench 'AcceptSaturated' -benchtime 2000x -count "$count" ./internal/ingest/
run -bench 'SearchWhileIngesting' -benchtime 100x -count "$count" ./internal/ingest/
run -bench 'ImportMix' -benchtime "${import_msgs}x" -count "$count" -timeout 60m ./internal/app/
if grep -qE '^(FAIL|--- FAIL)' "$out"; then
	grep -E '^(FAIL|--- FAIL)' "$out" >&2
fi
# median NAME_REGEX UNIT: the median of that metric over the runs.
median() {
	awk -v re="$1" -v unit="$2" '$1 ~ re { for (i = 3; i < NF; i++) if ($(i+1) == unit) v[n++] = $i }
		END { if (n == 0) { print "-"; exit } asort(v); m = (n % 2) ? v[(n+1)/2] : (v[n/2] + v[n/2+1]) / 2; printf "%.1f", m }' "$out"
}
row() { printf '%-60s %12s %10s\n' "$1" "$2" "$3"; }
echo "Ingest (issue 19): medians of $count runs; load: $(cut -d' ' -f1-3 /proc/loadavg)"
row "benchmark" "value" "target"
row "ingest mix, SQLite, 1 worker (msgs/s)" "$(median '^BenchmarkIngestMix/sqlite/workers=1' msgs/s)" ""
row "ingest mix, SQLite, 2 workers (msgs/s)" "$(median '^BenchmarkIngestMix/sqlite/workers=2' msgs/s)" ">= 600"
row "ingest mix, PostgreSQL, 1 worker (msgs/s)" "$(median '^BenchmarkIngestMix/postgres/workers=1' msgs/s)" ""
row "ingest mix, PostgreSQL, 2 workers (msgs/s)" "$(median '^BenchmarkIngestMix/postgres/workers=2' msgs/s)" ">= 450"
row "5 KB text only, SQLite, 2 workers (msgs/s)" "$(median '^BenchmarkIngestText/sqlite' msgs/s)" ">= 1500"
row "5 KB text only, PostgreSQL, 2 workers (msgs/s)" "$(median '^BenchmarkIngestText/postgres' msgs/s)" ">= 1500"
row "accept p99 while ingest saturated, SQLite (ms)" "$(median '^BenchmarkAcceptSaturated/sqlite' p99-ms)" "< 20"
row "accept p99 while ingest saturated, PostgreSQL (ms)" "$(median '^BenchmarkAcceptSaturated/postgres' p99-ms)" "< 20"
row "search p99 while 2 workers ingest, SQLite (ms)" "$(median '^BenchmarkSearchWhileIngesting/sqlite' p99-ms)" ""
row "search p99 while 2 workers ingest, PostgreSQL (ms)" "$(median '^BenchmarkSearchWhileIngesting/postgres' p99-ms)" ""
# What the machine allows: the CPU one message costs (this process, plus
# the database server's processes on PostgreSQL), and the rate all of the
# machine's processors would reach at that cost. A target above its
# ceiling needs less CPU per message, not more parallelism.
ncpu=$(nproc)
ceiling() { awk -v n="$ncpu" -v a="$1" -v b="${2:-0}" 'BEGIN { if (a == "-" || b == "-" || a + b == 0) print "-"; else printf "%.0f", n * 1000 / (a + b) }'; }
for r in "mix SQLite|^BenchmarkIngestMix/sqlite/workers=2|" "mix PostgreSQL|^BenchmarkIngestMix/postgres/workers=2|pg" \
	"5 KB text SQLite|^BenchmarkIngestText/sqlite|" "5 KB text PostgreSQL|^BenchmarkIngestText/postgres|pg"; do
	IFS='|' read -r label re pg <<<"$r"
	c=$(median "$re" cpu-ms/msg)
	if [ -n "$pg" ]; then
		sv=$(median "$re" server-cpu-ms/msg)
		row "$label, 2 workers: CPU ms/msg (ours + server)" "$c + $sv" ""
	else
		sv=0
		row "$label, 2 workers: CPU ms/msg" "$c" ""
	fi
	row "$label: CPU-bound ceiling on $ncpu cores (msgs/s)" "$(ceiling "$c" "$sv")" ""
done
row "atende import of $import_msgs mix messages (msgs/s)" "$(median '^BenchmarkImportMix' msgs/s)" ">= 4x"
row "atende import of $import_msgs, peak RSS (MB)" "$(median '^BenchmarkImportMix' peak-RSS-MB)" "< 64"
