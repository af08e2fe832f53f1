# Sourced by scripts/test.sh (bash). Makes sure TESSERA_TEST_PG names a PostgreSQL server for the
# storage contract tests: when it is unset, starts a throwaway server for this run and stops it,
# removing its files, when the calling shell exits.
#
# The server: initdb into a temporary directory as an unprivileged user (initdb refuses root;
# as root the user tessera-pg is created when missing), listening on 127.0.0.1 on a free port with
# its unix socket in the same directory, trust authentication on loopback only, and none of the
# durability settings a real server needs (fsync=off): nothing in it outlives the run.
# Missing PostgreSQL binaries are installed from Debian's postgresql package when running as root.

tessera_pg_bindir() {
  local dir
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v initdb)"
    return 0
  fi
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}

tessera_pg_port_free() {
  # Nothing accepts a connection on it (bash's /dev/tcp), so postgres may bind it.
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

tessera_pg_stop() {
  if [ -n "${TESSERA_PG_DIR:-}" ] && [ -d "$TESSERA_PG_DIR" ]; then
    if [ -f "$TESSERA_PG_DIR/data/postmaster.pid" ]; then
      tessera_pg_as_owner "$TESSERA_PG_BIN/pg_ctl" -D "$TESSERA_PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$TESSERA_PG_DIR"
  fi
}

tessera_pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    PATH="$PATH:/usr/sbin:/sbin" runuser -u "$TESSERA_PG_USER" -- "$@"
  else
    "$@"
  fi
}

tessera_pg_provision() {
  if [ -n "${TESSERA_TEST_PG:-}" ]; then
    echo "PostgreSQL for tests: TESSERA_TEST_PG as given"
    return 0
  fi

  TESSERA_PG_BIN="$(tessera_pg_bindir || true)"
  if [ -z "$TESSERA_PG_BIN" ]; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "PostgreSQL is not installed: install it (as root: apt-get install -y postgresql) or set TESSERA_TEST_PG" >&2
      return 1
    fi
    echo "installing Debian packages: postgresql"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    TESSERA_PG_BIN="$(tessera_pg_bindir)"
  fi

  TESSERA_PG_USER="$(id -un)"
  if [ "$(id -u)" -eq 0 ]; then
    TESSERA_PG_USER=tessera-pg
    if ! id "$TESSERA_PG_USER" >/dev/null 2>&1; then
      PATH="$PATH:/usr/sbin:/sbin" useradd --system --no-create-home --shell /usr/sbin/nologin "$TESSERA_PG_USER"
    fi
  fi

  TESSERA_PG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/tessera-pg.XXXXXX")"
  trap tessera_pg_stop EXIT
  chmod 700 "$TESSERA_PG_DIR"
  if [ "$(id -u)" -eq 0 ]; then
    chown "$TESSERA_PG_USER" "$TESSERA_PG_DIR"
  fi

  tessera_pg_as_owner "$TESSERA_PG_BIN/initdb" -D "$TESSERA_PG_DIR/data" -U tessera -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=trust --no-sync >"$TESSERA_PG_DIR/initdb.log" 2>&1 || {
    cat "$TESSERA_PG_DIR/initdb.log" >&2
    return 1
  }
  # Loopback only, whatever initdb wrote.
  printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >"$TESSERA_PG_DIR/data/pg_hba.conf"

  local attempt port
  for attempt in 1 2 3 4 5 6 7 8; do
    port=$((20000 + RANDOM % 20000))
    tessera_pg_port_free "$port" || continue
    if tessera_pg_as_owner "$TESSERA_PG_BIN/pg_ctl" -D "$TESSERA_PG_DIR/data" -l "$TESSERA_PG_DIR/server.log" -w -t 60 start \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $TESSERA_PG_DIR -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=64MB" \
        >/dev/null 2>&1; then
      export TESSERA_TEST_PG="Host=127.0.0.1;Port=$port;Username=tessera;Database=postgres"
      echo "PostgreSQL for tests: throwaway server on 127.0.0.1:$port ($("$TESSERA_PG_BIN/postgres" --version))"
      return 0
    fi
  done
  echo "could not start a throwaway PostgreSQL; its log:" >&2
  cat "$TESSERA_PG_DIR/server.log" >&2 || true
  return 1
}
