#!/bin/sh
# Entrypoint of the local PostgreSQL image built by .ci/docker-sandbox: honours
# POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB like the official image.
set -eu
PGDATA="${PGDATA:-/var/lib/postgresql/data}"
USER_NAME="${POSTGRES_USER:-postgres}"
DB_NAME="${POSTGRES_DB:-$USER_NAME}"
BIN=/usr/lib/postgresql/15/bin
mkdir -p "$PGDATA" /var/run/postgresql
chown -R postgres:postgres "$PGDATA" /var/run/postgresql
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile="$(mktemp)"
  printf '%s\n' "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}" > "$pwfile"
  chown postgres "$pwfile"
  runuser -u postgres -- "$BIN/initdb" -D "$PGDATA" -U "$USER_NAME" --pwfile="$pwfile" \
    --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  if [ "$DB_NAME" != "postgres" ]; then
    runuser -u postgres -- "$BIN/pg_ctl" -D "$PGDATA" -o "-c listen_addresses=''" -w -s start
    echo 'CREATE DATABASE :"db" OWNER :"owner";' | PGPASSWORD="$POSTGRES_PASSWORD" \
      "$BIN/psql" -h /var/run/postgresql -U "$USER_NAME" -d postgres -q -v ON_ERROR_STOP=1 \
      -v db="$DB_NAME" -v owner="$USER_NAME"
    runuser -u postgres -- "$BIN/pg_ctl" -D "$PGDATA" -m fast -w -s stop
  fi
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups "$BIN/postgres" -D "$PGDATA" -c listen_addresses='*' "$@"
