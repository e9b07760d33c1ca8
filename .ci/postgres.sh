#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests, listening on 127.0.0.1 only.
#
#   .ci/postgres.sh start <dir> [--env-file <file>] [--stop-with-pid <pid>]
#       initdb in <dir>/data (unless it exists), start on the first free port from 55432, create the database
#       releasefunctions_test, and write RELEASEFUNCTIONS_TEST_POSTGRES (an Npgsql connection string) and
#       RELEASEFUNCTIONS_TEST_POSTGRES_DIR to <file> (default <dir>/postgres.env). With --stop-with-pid the
#       cluster stops by itself when that process exits, and <dir> is deleted.
#   .ci/postgres.sh restart <dir>   start an existing cluster again on the port it had
#   .ci/postgres.sh stop <dir>      stop it (fast: open sessions are cut, nothing committed is lost)
#
# As root, the cluster runs as the `postgres` system user (PostgreSQL refuses to run as root).
set -euo pipefail

bin=/usr/lib/postgresql/15/bin
usage() { echo "usage: $0 start|restart|stop <dir> [--env-file <file>] [--stop-with-pid <pid>]" >&2; exit 2; }
[ $# -ge 2 ] || usage
command=$1
dir=$(realpath -m "$2")
shift 2
env_file="$dir/postgres.env"
stop_with_pid=""
while [ $# -gt 0 ]; do
  case "$1" in
    --env-file) env_file=$(realpath -m "$2"); shift 2 ;;
    --stop-with-pid) stop_with_pid=$2; shift 2 ;;
    *) usage ;;
  esac
done

if [ ! -x "$bin/initdb" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "PostgreSQL 15 binaries are missing; installing the Debian package postgresql" >&2
    apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2
  fi
  [ -x "$bin/initdb" ] || { echo "PostgreSQL 15 is not installed ($bin/initdb is missing); install the package postgresql" >&2; exit 1; }
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# fsync=off: a throwaway cluster need not survive a power cut, and the tests run faster without it.
start_server() {
  local port=$1
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/socket -c fsync=off -c max_connections=200" start >&2
}

case "$command" in
  start)
    mkdir -p "$dir/socket"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$dir" "$dir/socket"; fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    # Another cluster may be starting at the same moment (tests run in parallel): if the port is taken between
    # the check and the bind, the server fails to start and the next port is tried.
    port=55432
    until ! port_in_use "$port" && start_server "$port"; do
      port=$((port + 1))
      [ "$port" -lt 55532 ] || { echo "no free port in 55432-55531 on 127.0.0.1; see $dir/server.log" >&2; exit 1; }
    done
    echo "$port" >"$dir/port"
    as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
      -c "CREATE DATABASE releasefunctions_test" >&2
    connection="Host=127.0.0.1;Port=$port;Username=postgres;Database=releasefunctions_test"
    mkdir -p "$(dirname "$env_file")"
    printf 'export RELEASEFUNCTIONS_TEST_POSTGRES=%q\nexport RELEASEFUNCTIONS_TEST_POSTGRES_DIR=%q\n' "$connection" "$dir" >"$env_file"
    if [ -n "$stop_with_pid" ]; then
      # A watcher outside the caller's process tree: stops the cluster once the caller is gone, however it ended.
      setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; "$0" stop "$2" >/dev/null 2>&1; rm -rf "$2"' \
        "$0" "$stop_with_pid" "$dir" </dev/null >/dev/null 2>&1 &
    fi
    echo "$connection"
    ;;
  restart)
    start_server "$(cat "$dir/port")"
    ;;
  stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >&2
    fi
    ;;
  *) usage ;;
esac
