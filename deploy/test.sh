#!/usr/bin/env bash
# deploy/test.sh: the README's test command (`make test`) and what CI runs.
# Installs and starts Kafka and ClickHouse if they are not running, checks
# formatting and vet, runs every test (unit, integration against the real
# broker and server), and stops only the servers it started itself.
# Extra arguments go to `go test` (e.g. deploy/test.sh -run Saga ./services/...).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

started=()
for server in kafka clickhouse; do
  deploy/stack.sh running "$server" || started+=("$server")
done
stop_started() {
  local s
  for s in "${started[@]}"; do deploy/stack.sh down "$s" || true; done
}
trap stop_started EXIT

deploy/stack.sh up
eval "$(deploy/stack.sh env)"

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.stack/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2; echo "$unformatted" >&2; exit 1
fi
go vet ./...

pkgs=("$@")
[ ${#pkgs[@]} -gt 0 ] || pkgs=(./...)
go test -count=1 -timeout 25m "${pkgs[@]}"
