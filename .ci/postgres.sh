#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the tests: installs Debian's `postgresql` when it is
# missing, `initdb` into a temp dir as an unprivileged user, listens on loopback only, and is
# stopped by the trap the caller sets (`pg_stop`). Prints nothing on success but exports
# NEWSMIRROR_TEST_POSTGRES (a connection URL), which turns the PostgreSQL tests' skip into a
# failure when the server cannot be reached.
set -euo pipefail

pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  return 1
}

if ! PGBIN=$(pg_bin); then
  echo "ci: installing PostgreSQL from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq >/dev/null
  $SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  PGBIN=$(pg_bin)
fi

PGDATA_ROOT=$(mktemp -d /tmp/newsmirror-pg.XXXXXX)
PGPORT=${PGPORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
RUN_AS=()
if [ "$(id -u)" -eq 0 ]; then
  # initdb refuses to run as root: use an unprivileged user.
  PGUSER_OS=$(id -u postgres >/dev/null 2>&1 && echo postgres || echo nobody)
  chown "$PGUSER_OS" "$PGDATA_ROOT"
  RUN_AS=(runuser -u "$PGUSER_OS" --)
fi
"${RUN_AS[@]}" "$PGBIN/initdb" -D "$PGDATA_ROOT/data" -U newsmirror --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${RUN_AS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA_ROOT/data" -l "$PGDATA_ROOT/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGDATA_ROOT -c max_connections=200 -c fsync=off" start >/dev/null
"$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U newsmirror newsmirror_test
export NEWSMIRROR_TEST_POSTGRES="postgres://newsmirror@127.0.0.1:$PGPORT/newsmirror_test"
pg_stop() { "${RUN_AS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA_ROOT/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$PGDATA_ROOT"; }
