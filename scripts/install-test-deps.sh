#!/usr/bin/env bash
# Install what Atende's tests need on Debian 12 (run as root; Go itself is expected to be there):
#   - dovecot-core dovecot-imapd dovecot-lmtpd postfix swaks openssl: the real-mail-server tests
#     (scripts/mailstack/start.sh, internal/testutil/mailstack)
#   - chromium (Debian's package) for the browser tests: only with --browser or ATENDE_TEST_BROWSER=1
#   - a running PostgreSQL on 127.0.0.1:5432 (started if it is installed but down; installed if missing)
#   - versitygw (Versity S3 Gateway, Apache-2.0), the real S3 server of the S3 blob store tests
#     (internal/testutil/s3test): built with `go install` into $ATENDE_TEST_CACHE/bin (default
#     /var/cache/atende-test/bin) when missing; ~1.5 min of CPU, 4-5 min on a loaded 2-core machine
#     with an empty module cache
#
#   install-test-deps.sh [--browser] [--check] [--dry-run]
#     --check    install/start nothing; list what is missing and exit 1 if anything is
#     --dry-run  print the commands that would run instead of running them
#
# Idempotent: it only installs what dpkg says is missing, and "apt-get update" runs only when
# something must be installed, so a second run takes well under a second.
# It prints one line per thing installed or started (or "all test dependencies present").
#
# The system Postfix and Dovecot instances (/etc/postfix, /etc/dovecot) are never configured or
# started: the tests run their own instances from a temp dir. Package postinst scripts ask
# /usr/sbin/policy-rc.d whether they may start services; if that file does not exist, a temporary
# one that denies starts (exit 101) is installed for the duration of the apt-get run and removed
# afterwards. An existing policy-rc.d is left exactly as it is.
set -euo pipefail

BROWSER=0 CHECK=0 DRY=0
[ "${ATENDE_TEST_BROWSER:-}" = 1 ] && BROWSER=1
for a in "$@"; do
  case $a in
    --browser) BROWSER=1 ;;
    --check) CHECK=1 ;;
    --dry-run) DRY=1 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "install-test-deps.sh: unknown argument $a" >&2; exit 2 ;;
  esac
done
say() { if [ "$DRY" = 1 ]; then echo "install-test-deps (dry run): $*"; else echo "install-test-deps: $*"; fi; }
run() { if [ "$DRY" = 1 ]; then echo "+ $*"; else "$@"; fi; }
run_quiet() { if [ "$DRY" = 1 ]; then echo "+ $*"; else "$@" >/dev/null; fi; }

MAIL_PKGS=(dovecot-core dovecot-imapd dovecot-lmtpd postfix swaks openssl)
WANT=("${MAIL_PKGS[@]}")
[ "$BROWSER" = 0 ] || WANT+=(chromium)

# One dpkg-query for all packages (~20 ms). Unknown packages make it exit 1; that is fine.
installed() { dpkg-query -W -f='${Package} ${db:Status-Status}\n' "$@" 2>/dev/null | awk '$2=="installed"{print $1}'; }
mapfile -t HAVE < <(installed "${WANT[@]}" postgresql)
has() { local p; for p in "${HAVE[@]}"; do [ "$p" = "$1" ] && return 0; done; return 1; }
MISSING=()
for p in "${WANT[@]}"; do has "$p" || MISSING+=("$p"); done

# PostgreSQL: a server answering on 127.0.0.1:5432, else a cluster we can start, else install it.
pg_up() { command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432 -t 2; }
pg_cluster_version() { ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1; }  # newest version with a cluster config
PG=ok
if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null && [ -n "$(pg_cluster_version)" ] && [ -d "/etc/postgresql/$(pg_cluster_version)/main" ]; then
    PG=start
  elif has postgresql || ls -d /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    PG=create   # server installed, no "main" cluster: create one, then start it
  else
    PG=install
    MISSING+=(postgresql)
  fi
fi

# versitygw: one Go binary, pinned (internal/testutil/s3test.Version).
VGW_VERSION=v1.8.0
VGW_DIR="${ATENDE_TEST_CACHE:-/var/cache/atende-test}/bin"
VGW=ok
# (its --version says "git" for a go-installed build: a stamp file records the version)
if [ ! -x "$VGW_DIR/versitygw" ] || [ "$(cat "$VGW_DIR/versitygw.version" 2>/dev/null)" != "$VGW_VERSION" ]; then
  VGW=install
fi

if [ "$CHECK" = 1 ]; then
  [ "$VGW" = ok ] || say "versitygw $VGW_VERSION is not installed in $VGW_DIR"
  [ ${#MISSING[@]} = 0 ] || say "missing packages: ${MISSING[*]}"
  [ "$PG" = ok ] || say "PostgreSQL is not running on 127.0.0.1:5432 (would $PG it)"
  [ ${#MISSING[@]} = 0 ] && [ "$PG" = ok ] && [ "$VGW" = ok ] && say "all test dependencies present"
  [ ${#MISSING[@]} = 0 ] && [ "$PG" = ok ] && [ "$VGW" = ok ]
  exit
fi
if [ "$VGW" = install ]; then
  # go install needs no root, only a writable $VGW_DIR (set ATENDE_TEST_CACHE as a user).
  start=$(date +%s)
  run mkdir -p "$VGW_DIR"
  if [ "$DRY" = 1 ]; then echo "+ GOBIN=$VGW_DIR go install github.com/versity/versitygw/cmd/versitygw@$VGW_VERSION"; else
    GOBIN="$VGW_DIR" GOFLAGS=-buildvcs=false go install "github.com/versity/versitygw/cmd/versitygw@$VGW_VERSION"
    echo "$VGW_VERSION" > "$VGW_DIR/versitygw.version"
  fi
  say "installed versitygw $VGW_VERSION into $VGW_DIR ($(( $(date +%s) - start )) s)"
fi
if [ ${#MISSING[@]} = 0 ] && [ "$PG" = ok ]; then
  [ "$VGW" = install ] || say "all test dependencies present"
  exit 0
fi
[ "$(id -u)" = 0 ] || [ "$DRY" = 1 ] || { say "must run as root to install ${MISSING[*]:-nothing} / start PostgreSQL" >&2; exit 1; }

if [ ${#MISSING[@]} -gt 0 ]; then
  # Deny service starts during the install unless the machine already has a policy.
  TEMP_POLICY=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    TEMP_POLICY=1
    if [ "$DRY" = 1 ]; then echo "+ install temporary /usr/sbin/policy-rc.d (exit 101)"; else
      printf '#!/bin/sh\n# temporary, from atende scripts/install-test-deps.sh\nexit 101\n' > /usr/sbin/policy-rc.d
      chmod 755 /usr/sbin/policy-rc.d
      trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  if [[ " ${MISSING[*]} " == *" postfix "* ]]; then
    # Non-interactive Postfix install: no mail for the outside world, no system mailname prompt.
    if [ "$DRY" = 1 ]; then echo "+ debconf-set-selections (postfix: Local only, localhost.localdomain)"; else
      echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
      echo "postfix postfix/mailname string localhost.localdomain" | debconf-set-selections
    fi
  fi
  run apt-get update -qq
  run_quiet apt-get install -y -qq "${MISSING[@]}"
  for p in "${MISSING[@]}"; do say "installed $p"; done
  # On a machine with systemd the units get enabled (not started): keep the system Postfix and
  # Dovecot from coming up at the next boot; the tests never use them.
  if [ "$TEMP_POLICY" = 1 ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    for u in postfix dovecot; do
      if [[ " ${MISSING[*]} " == *" $u"* ]]; then run systemctl disable -q "$u" 2>/dev/null || true; fi
    done
  fi
fi

if [ "$PG" != ok ]; then
  if [ "$PG" = create ] || { [ "$PG" = install ] && [ ! -d "/etc/postgresql/$(pg_cluster_version)/main" ]; }; then
    v=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1)
    if [ "$DRY" = 1 ] && [ -z "$v" ]; then v=VERSION; fi
    [ -n "$v" ] || { say "PostgreSQL server binaries not found under /usr/lib/postgresql" >&2; exit 1; }
    run_quiet pg_createcluster "$v" main
    say "created PostgreSQL $v cluster main"
  fi
  v=$(pg_cluster_version); if [ "$DRY" = 1 ] && [ -z "$v" ]; then v=VERSION; fi
  # --skip-systemctl-redirect: start the cluster directly (this machine has no systemd)
  run pg_ctlcluster --skip-systemctl-redirect "$v" main start
  if [ "$DRY" = 0 ]; then
    for _ in $(seq 1 50); do pg_up && break; sleep 0.2; done
    pg_up || { say "PostgreSQL $v did not come up on 127.0.0.1:5432" >&2; exit 1; }
  fi
  say "started PostgreSQL $v (127.0.0.1:5432)"
fi
