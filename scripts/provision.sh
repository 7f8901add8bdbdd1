#!/usr/bin/env bash
# Ensure the Debian packages that the test suite's real components need are installed.
# Idempotent and fast when everything is present (one `dpkg -s` call); runs `apt-get update`
# at most once, and only when something is missing. Never fails the build when running as a
# non-root user with everything present; explains what to install otherwise.
set -euo pipefail

# package -> why the tests need it
packages=(
  postgresql              # PostgreSQL 15 server: CDC sources, Postgres sink, reference server
  postgresql-client       # psql and pgbench: real-client tests
  python3-psycopg2        # psycopg2 client test (/usr/bin/python3)
  python3-psycopg         # psycopg 3 client test
  libpostgresql-jdbc-java # JDBC client test (/usr/share/java/postgresql.jar)
  redis-server            # Redis sink tests
  kcat                    # Kafka-protocol test broker cross-check
  tmux                    # psql tab-completion test (a real terminal for psql's readline)
  libjemalloc2            # bin/freshet preloads it under --memory-limit (launcher.test.ts checks)
)

installed() {
  # dpkg -s exits non-zero if any package is unknown; parse per-package status instead.
  dpkg-query -W -f='${Package} ${db:Status-Status}\n' "$@" 2>/dev/null | awk '$2 == "installed" { print $1 }'
}

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "provision: not a Debian system; make sure these are installed: ${packages[*]}" >&2
  exit 0
fi

mapfile -t have < <(installed "${packages[@]}")
missing=()
for p in "${packages[@]}"; do
  found=0
  for h in "${have[@]:-}"; do [ "$h" = "$p" ] && found=1 && break; done
  [ $found -eq 1 ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "provision: all test packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "provision: missing Debian packages: ${missing[*]}" >&2
  echo "provision: run as root, or: sudo apt-get install -y ${missing[*]}" >&2
  echo "provision: tests that need them will fail or be skipped" >&2
  exit 0
fi

echo "provision: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Don't let the package start system services we don't use: tests start their own instances.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
fi
trap 'if [ $created_policy -eq 1 ]; then rm -f "$policy"; fi' EXIT
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "provision: installed ${missing[*]}"
