# Convenience targets; README.md gives the two commands that matter.
.PHONY: run test bench lint build corpus-report

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
