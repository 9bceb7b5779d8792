#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests (TOLLGATE_TEST_POSTGRES).
#
#   scripts/test-postgres.sh start [PORT]   # prints two export lines
#   scripts/test-postgres.sh stop DIR       # DIR from TOLLGATE_TEST_POSTGRES_DIR
#
# start makes a new cluster with initdb in a temporary directory, listening
# on 127.0.0.1 only (a free port, or PORT) with trust authentication for
# loopback TCP and no Unix socket, fsync off (test data is thrown away;
# with DURABLE=1 in the environment fsync and full_page_writes stay on, as
# in production, for measurements: docs/performance.md),
# starts it, creates the database tollgate_test, and prints
#
#   export TOLLGATE_TEST_POSTGRES='postgres://postgres@127.0.0.1:PORT/tollgate_test?sslmode=disable'
#   export TOLLGATE_TEST_POSTGRES_DIR='/tmp/tollgate-pg.XXXXXX'
#
# so that `eval "$(scripts/test-postgres.sh start)"` sets both. When
# openssl is there, the server also takes TLS with a certificate for
# 127.0.0.1 from a throwaway CA, and a third line exports the CA's file as
# TOLLGATE_TEST_POSTGRES_CA (for sslmode=verify-full tests). Progress
# goes to stderr. PostgreSQL refuses to run as root: run as root, the
# script runs the server as the user postgres (runuser, or su); run as
# anyone else, it runs it as that user. Binaries come from `pg_config
# --bindir`, or the newest /usr/lib/postgresql/*/bin.
set -euo pipefail

die() { echo "test-postgres: $*" >&2; exit 1; }
say() { echo "test-postgres: $*" >&2; }

bindir() {
  local d
  if command -v pg_config >/dev/null 2>&1; then
    d=$(pg_config --bindir)
    if [ -x "$d/initdb" ]; then echo "$d"; return; fi
  fi
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$d" ] && [ -x "$d/initdb" ] || die "no PostgreSQL binaries (install postgresql, or put pg_config on PATH)"
  echo "$d"
}

# as_pg runs a command as the server's user: postgres when we are root.
as_pg() {
  if [ "$(id -u)" -ne 0 ]; then
    "$@"
  elif command -v runuser >/dev/null 2>&1; then
    runuser -u postgres -- "$@"
  else
    su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
  fi
}

# tls makes a throwaway CA and a server certificate for 127.0.0.1 in
# $1/data, and prints the server options that turn TLS on.
tls() {
  local d=$1/data
  command -v openssl >/dev/null 2>&1 || return 0
  {
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=tollgate-test-ca \
      -keyout "$1/ca.key" -out "$1/ca.crt" &&
      openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout "$d/server.key" -out "$1/server.csr" &&
      openssl x509 -req -in "$1/server.csr" -CA "$1/ca.crt" -CAkey "$1/ca.key" -CAcreateserial -days 2 \
        -extfile <(printf 'subjectAltName=IP:127.0.0.1,DNS:localhost') -out "$d/server.crt"
  } >"$1/openssl.log" 2>&1 || { say "openssl failed, no TLS"; return 0; }
  chmod 600 "$d/server.key"
  [ "$(id -u)" -ne 0 ] || chown postgres "$d/server.key" "$d/server.crt"
  chmod 644 "$1/ca.crt"
  echo "-c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key"
}

# port_free is true when nothing accepts connections on 127.0.0.1:$1.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() {
  local bin dir port ssl tries=20
  bin=$(bindir)
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "running as root, but there is no user postgres to run the server"
  fi
  dir=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-pg.XXXXXX")
  touch "$dir/.tollgate-test-postgres"
  [ "$(id -u)" -ne 0 ] || chown postgres "$dir"
  as_pg "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  cat >"$dir/data/pg_hba.conf" <<'HBA'
# Loopback TCP only, no password: a throwaway test cluster.
host all all 127.0.0.1/32 trust
HBA
  [ "$(id -u)" -ne 0 ] || chown postgres "$dir/data/pg_hba.conf"
  ssl=$(tls "$dir")
  sync="-c fsync=off -c full_page_writes=off"
  [ "${DURABLE:-0}" != 1 ] || { sync="-c fsync=on -c full_page_writes=on -c synchronous_commit=on"; say "durable: fsync on"; }
  for _ in $(seq "$tries"); do
    port=${1:-$((20000 + RANDOM % 40000))}
    if ! port_free "$port"; then
      [ -z "${1:-}" ] || die "port $port is taken"
      continue
    fi
    if as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='' $sync -c max_connections=300 $ssl" >&2; then
      "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres tollgate_test ||
        { stop "$dir"; die "createdb failed"; }
      say "running on 127.0.0.1:$port, data in $dir (stop: $0 stop $dir)"
      echo "export TOLLGATE_TEST_POSTGRES='postgres://postgres@127.0.0.1:$port/tollgate_test?sslmode=disable'"
      echo "export TOLLGATE_TEST_POSTGRES_DIR='$dir'"
      [ -z "$ssl" ] || echo "export TOLLGATE_TEST_POSTGRES_CA='$dir/ca.crt'"
      return
    fi
    tail -n 5 "$dir/server.log" >&2 || true
    [ -z "${1:-}" ] || break
  done
  rm -rf "$dir"
  die "the server did not come up"
}

stop() {
  local dir=${1:-} bin
  [ -n "$dir" ] || die "usage: $0 stop DIR"
  # Only ever remove a directory this script made.
  [ -f "$dir/.tollgate-test-postgres" ] || die "$dir was not made by $0; not touching it"
  bin=$(bindir)
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_pg "$bin/pg_ctl" -D "$dir/data" -w -m fast stop >&2 || say "pg_ctl stop failed"
  fi
  rm -rf "$dir"
  say "stopped, $dir removed"
}

case "${1:-}" in
start) shift; start "$@" ;;
stop) shift; stop "$@" ;;
*) die "usage: $0 start [PORT] | stop DIR" ;;
esac
