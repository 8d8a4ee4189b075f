#!/usr/bin/env bash
# Runs hasp and crypto/tls side by side, interleaved: each round runs every
# case of the chosen benchmarks once (-count 1), and the rounds repeat, so
# a slow minute on a shared machine hits both libraries alike instead of
# six runs of one then six of the other. Then benchstat compares them.
#
#   bench/compare.sh [ROUNDS] [BENCH REGEXP] [extra go test flags...]
#   bench/compare.sh 8 'ServeLoad' -benchtime 2000x
#
# Output: bench/out/<regexp>.txt (raw) and the benchstat table on stdout.
set -euo pipefail
cd "$(dirname "$0")"
rounds=${1:-8}
re=${2:-.}
shift 2 || true
mkdir -p out
raw="out/$(echo "$re" | tr -c 'A-Za-z0-9_\n' '_').txt"
go test -c -o out/bench.test .
: >"$raw"
for i in $(seq "$rounds"); do
  echo "round $i/$rounds" >&2
  # Odd rounds run hasp first, even rounds crypto/tls first.
  rev=""; [ $((i % 2)) -eq 0 ] && rev=1
  HASP_BENCH_REVERSE=$rev ./out/bench.test -test.run '^$' -test.bench "$re" -test.count 1 "$@" | tee -a "$raw" | grep -E '^Benchmark' >&2 || true
done
if ! command -v benchstat >/dev/null; then
  go install golang.org/x/perf/cmd/benchstat@latest
  PATH=$PATH:$(go env GOPATH)/bin
fi
# Rows are the cases, columns the two libraries, with the ratio.
for col in /impl /server; do
  if grep -q "${col#/}=" "$raw"; then
    benchstat -col "$col" "$raw"
  fi
done
