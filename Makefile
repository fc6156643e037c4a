# Convenience targets; README.md gives the two commands that matter.
.PHONY: run test bench lint build corpus-report chaos

run:
	go run ./cmd/atende serve

build:
	go build -o atende ./cmd/atende

test:
	bash scripts/test.sh

# Benchmarks print a table; see README.md "Benchmarks".
bench:
	bash scripts/bench.sh

lint:
	gofmt -l $$(git ls-files '*.go') | (! grep .)
	go vet ./...

# Pass counts per kind of the named mail-parsing cases (MIME, headers, reply text).
corpus-report:
	go test ./internal/mailparse/... -run 'TestCorpusReport' -count=1 -v | grep -v '^=== RUN'

# The fault-injection suite with the issue's durations (about 10 minutes):
# prints the table (fault, sent, stored, lost, doubled, recovery, notice)
# and fails on any loss, double, missing notice or slow recovery.
# scripts/test.sh runs the same suite shortened (TestChaos in ./internal/app).
chaos:
	ATENDE_CHAOS=full ATENDE_REQUIRE_POSTGRES=1 ATENDE_REQUIRE_MAILSTACK=1 ATENDE_CHAOS_TABLE=chaos-table.md \
		go test -count=1 -timeout 40m -run 'TestChaos$$' -v ./internal/app/ | grep -E '^(\s+\||---|ok|FAIL|PASS|\s+chaos_test)'
