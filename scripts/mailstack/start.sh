#!/usr/bin/env bash
# Start a throw-away Dovecot (IMAP, IMAPS, LMTP) + Postfix (SMTP, submission) under DIR for
# Atende's real-mail-server tests. Listens on 127.0.0.1 only; nothing in /etc is read or changed.
#
#   start.sh DIR [--imap P] [--imaps P] [--smtp P] [--submission P] [--relay-port P] [--no-postfix]
#                [--owner-pid PID] [--oauth2-introspect URL]
#   start.sh DIR --resume [--dovecot | --postfix]
#                              start again whatever of DIR's stack is not running (same config,
#                              ports and mail; e.g. after "stop.sh DIR --dovecot"); with --dovecot
#                              or --postfix only that daemon
#
# Defaults: --imap 10143 --imaps 10993 --smtp 10025 --submission 10587 --relay-port 2525.
# --imaps 0 / --submission 0 disable those listeners. --relay-port (alias --relay) is where
# Atende's own inbound SMTP server listens in a test: Postfix relays all mail for
# $MAILSTACK_RELAY_DOMAIN to 127.0.0.1:PORT. Nothing has to listen there yet: Postfix queues the
# mail and retries every 1-5 s ("postqueue -c DIR/postfix/conf -f" retries at once).
# --no-postfix starts Dovecot only.
# --oauth2-introspect URL adds XOAUTH2/OAUTHBEARER logins (IMAP, and SMTP submission through
# Dovecot SASL) checked by a Dovecot oauth2 passdb against that RFC 7662 introspection URL.
# --owner-pid PID starts a watchdog that runs "stop.sh DIR --rm" once PID has exited, so a test
# binary that dies without cleaning up (go test -timeout, kill -9) leaves no daemons behind.
# stop.sh ends the watchdog.
#
# Env: MAILSTACK_DOMAIN        mail domain whose mailboxes live in Dovecot (example.test)
#      MAILSTACK_RELAY_DOMAIN  domain relayed to --relay-port (support.test)
#      MAILSTACK_USERS         "local:password ..." (alice:alicepw bob:bobpw carol:carolpw support:supportpw)
#      MAILSTACK_FORWARDS      "local:target ..." (support:helpdesk@$MAILSTACK_RELAY_DOMAIN): mail to
#                              local@DOMAIN keeps a copy in that mailbox AND goes to target. "" = none.
#
# Prints KEY=VALUE lines (also written to DIR/env): MAILSTACK_DIR IMAP_ADDR IMAPS_ADDR TLS_CA_FILE
# LMTP_SOCKET DOVECOT_CONF SMTP_ADDR SUBMISSION_ADDR POSTFIX_CONF RELAY_DOMAIN RELAY_TARGET
# MAIL_DOMAIN MAIL_USERS MAIL_FORWARDS MAILDIR_ROOT DOVECOT_PID POSTFIX_PID STARTUP_MS_DOVECOT
# STARTUP_MS_TOTAL. Needs root (Postfix's master and Dovecot's privilege drop) and the Debian
# packages dovecot-core dovecot-imapd dovecot-lmtpd postfix openssl (scripts/install-test-deps.sh).
# Stop with stop.sh DIR [--rm].
#
# Measured gotchas (Debian 12, Dovecot 2.3.19, Postfix 3.7.11):
# - DIR must be short (≤ 60 chars, e.g. mktemp -d /tmp/ms.XXXXXX): unix sockets such as
#   DIR/postfix/spool/private/proxywrite must fit in 107 bytes. Go's t.TempDir() is too long.
# - Dovecot's master keeps the stderr it was started with. It is started with
#   </dev/null >/dev/null 2>>file here, so a caller that captures this script's output through a
#   pipe (Go cmd.Output(), Python capture_output) does not hang waiting for EOF.
# - Postfix re-reads config/texthash files every 300 ms until their mtime is >1 s old; the files
#   are back-dated 10 s, which brings the start from ~2.1 s to ~0.25 s.
# - IDLE notifications arrive 500 ms after a change (hard-coded in Dovecot; see dovecot.conf.in).
# - The daemonized masters are re-parented to PID 1, which reaps them only every second or so:
#   "kill -0" succeeds on zombies, so liveness checks look at /proc/PID/stat for state Z.
# - Dovecot's master takes ~1.1 s to exit after SIGTERM (stop.sh waits for it).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
die() { echo "start.sh: $*" >&2; exit 1; }
usage="usage: start.sh DIR [--imap P] [--imaps P] [--smtp P] [--submission P] [--relay-port P] [--no-postfix] [--owner-pid PID] [--oauth2-introspect URL] | DIR --resume [--dovecot|--postfix]"

[ $# -ge 1 ] || die "$usage"
DIR=$1; shift
IMAP_PORT=10143 IMAPS_PORT=10993 SMTP_PORT=10025 SUBMISSION_PORT=10587 RELAY_PORT=2525 POSTFIX=1 RESUME=0 ONLY= OWNER_PID= OAUTH2_URL=
port_arg() { [[ ${2:-} =~ ^[0-9]+$ ]] && [ "$2" -le 65535 ] || die "$1 needs a port number, got '${2:-}'"; }
while [ $# -gt 0 ]; do
  case $1 in
    --imap) port_arg "$@"; IMAP_PORT=$2; shift 2 ;;
    --imaps) port_arg "$@"; IMAPS_PORT=$2; shift 2 ;;
    --smtp) port_arg "$@"; SMTP_PORT=$2; shift 2 ;;
    --submission) port_arg "$@"; SUBMISSION_PORT=$2; shift 2 ;;
    --relay-port|--relay) port_arg "$@"; RELAY_PORT=$2; shift 2 ;;
    --no-postfix) POSTFIX=0; shift ;;
    --owner-pid) [[ ${2:-} =~ ^[0-9]+$ ]] && kill -0 "$2" 2>/dev/null || die "--owner-pid needs a running pid"; OWNER_PID=$2; shift 2 ;;
    --oauth2-introspect) [[ ${2:-} =~ ^https?://[^[:space:]\"]+$ ]] || die "--oauth2-introspect needs an http(s) URL, got '${2:-}'"; OAUTH2_URL=$2; shift 2 ;;
    --resume) RESUME=1; shift ;;
    --dovecot|--postfix) ONLY=${1#--}; shift ;;
    -h|--help) echo "$usage"; exit 0 ;;
    *) die "unknown argument $1 ($usage)" ;;
  esac
done

[ "$(id -u)" = 0 ] || die "run as root (Postfix's master and Dovecot's privilege drop need it)"
for c in dovecot doveadm openssl; do
  command -v $c >/dev/null || die "missing $c: run scripts/install-test-deps.sh"
done
[ -x /usr/lib/dovecot/lmtp ] || die "missing dovecot-lmtpd: run scripts/install-test-deps.sh"

case $DIR in /*) ;; *) DIR=$PWD/$DIR ;; esac
[ ${#DIR} -le 60 ] || die "DIR path too long for unix sockets (${#DIR} > 60 chars): $DIR"
[ -z "$ONLY" ] || [ "$RESUME" = 1 ] || die "--$ONLY only goes with --resume"
mkdir -p "$DIR"; DIR=$(cd "$DIR" && pwd)
[ ${#DIR} -le 60 ] || die "DIR path too long for unix sockets (${#DIR} > 60 chars): $DIR"

# alive = exists and is not a zombie (PID 1 reaps re-parented daemons only every second or so)
alive() { [ -n "$1" ] && [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null; }
dovecot_pid() { cat "$DIR/dovecot/run/master.pid" 2>/dev/null || true; }
postfix_pid() { { tr -d ' \n' < "$DIR/postfix/spool/pid/master.pid"; } 2>/dev/null || true; }
dovecot_running() { alive "$(dovecot_pid)"; }
postfix_running() { alive "$(postfix_pid)"; }

if [ "$RESUME" = 1 ]; then
  [ -s "$DIR/env" ] && [ -s "$DIR/dovecot/dovecot.conf" ] || die "nothing to resume in $DIR (run start.sh DIR first)"
  # Recover the settings of the first start from DIR/env (written by this script).
  get() { sed -n "s/^$1=//p" "$DIR/env" | tr -d '"'; }
  IMAP_ADDR=$(get IMAP_ADDR); IMAP_PORT=${IMAP_ADDR##*:}
  IMAPS_ADDR=$(get IMAPS_ADDR); IMAPS_PORT=${IMAPS_ADDR:+${IMAPS_ADDR##*:}}; IMAPS_PORT=${IMAPS_PORT:-0}
  SMTP_ADDR=$(get SMTP_ADDR); SMTP_PORT=${SMTP_ADDR##*:}
  SUBMISSION_ADDR=$(get SUBMISSION_ADDR); SUBMISSION_PORT=${SUBMISSION_ADDR:+${SUBMISSION_ADDR##*:}}; SUBMISSION_PORT=${SUBMISSION_PORT:-0}
  RELAY_TARGET=$(get RELAY_TARGET); RELAY_PORT=${RELAY_TARGET##*:}
  [ -n "$SMTP_ADDR" ] || POSTFIX=0
  [ "$POSTFIX" = 1 ] || [ "$ONLY" != postfix ] || die "this stack has no Postfix (started with --no-postfix)"
  DOMAIN=$(get MAIL_DOMAIN); RELAY_DOMAIN=$(get RELAY_DOMAIN); FORWARDS=$(get MAIL_FORWARDS)
  read -r -a USER_LIST <<< "$(get MAIL_USERS)"
  [ ${#USER_LIST[@]} -gt 0 ] || die "no MAIL_USERS in $DIR/env"
else
  DOMAIN=${MAILSTACK_DOMAIN:-example.test}
  RELAY_DOMAIN=${MAILSTACK_RELAY_DOMAIN:-support.test}
  USERS=${MAILSTACK_USERS:-alice:alicepw bob:bobpw carol:carolpw support:supportpw}
  FORWARDS=${MAILSTACK_FORWARDS-support:helpdesk@$RELAY_DOMAIN}
  for d in "$DOMAIN" "$RELAY_DOMAIN"; do [[ $d =~ ^[A-Za-z0-9.-]+$ ]] || die "bad domain '$d'"; done
  [ "$DOMAIN" != "$RELAY_DOMAIN" ] || die "MAILSTACK_DOMAIN and MAILSTACK_RELAY_DOMAIN must differ"
  if dovecot_running; then die "a mail stack is already running in $DIR (stop.sh $DIR)"; fi
  if [ "$POSTFIX" = 1 ]; then
    command -v postfix >/dev/null || die "missing postfix: run scripts/install-test-deps.sh (or pass --no-postfix)"
    if postfix_running; then die "a Postfix is already running in $DIR (stop.sh $DIR)"; fi
  fi
  port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
  for p in "$IMAP_PORT" "$IMAPS_PORT" $([ "$POSTFIX" = 1 ] && echo "$SMTP_PORT $SUBMISSION_PORT"); do
    [ "$p" = 0 ] && continue
    ! port_busy "$p" || die "127.0.0.1:$p is already in use"
  done
  [ "$IMAP_PORT" != 0 ] || die "--imap 0 is not supported (the start check logs in over IMAP)"
fi

T0=$(date +%s%N)
if [ "$RESUME" = 0 ]; then
  # mktemp -d makes 0700 dirs: postfix, mail and dovenull must be able to traverse DIR
  chmod 755 "$DIR"
  mkdir -p "$DIR"/{tls,mail,dovecot/run,dovecot/state,postfix/conf,postfix/spool,postfix/data}
  chown mail:mail "$DIR/mail"
  chown postfix "$DIR/postfix/data" 2>/dev/null || [ "$POSTFIX" = 0 ] || die "no postfix user: run scripts/install-test-deps.sh"

  # Self-signed EC P-256 cert for localhost / 127.0.0.1; it is its own CA (TLS_CA_FILE).
  # ≈10 ms; RSA-2048 takes ≈200 ms.
  if [ ! -s "$DIR/tls/cert.pem" ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
      -keyout "$DIR/tls/key.pem" -out "$DIR/tls/cert.pem" -subj /CN=localhost \
      -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null || die "openssl failed"
    chmod 600 "$DIR/tls/key.pem"; chmod 644 "$DIR/tls/cert.pem"
  fi

  # Users: Dovecot passwd-file (user:{PLAIN}password::::::) and the same list as Postfix's vmailbox
  : > "$DIR/dovecot/passwd"; : > "$DIR/postfix/conf/vmailbox"; : > "$DIR/postfix/conf/virtual"
  USER_LIST=()
  for u in $USERS; do
    name=${u%%:*}; pw=${u#*:}
    [[ $u == *:* && $name =~ ^[A-Za-z0-9._+-]+$ ]] || die "bad MAILSTACK_USERS entry '$u' (want local:password)"
    [[ $pw =~ ^[^:\"\\]+$ ]] || die "bad password for $name: empty or contains : \" or \\"
    echo "$name@$DOMAIN:{PLAIN}$pw::::::" >> "$DIR/dovecot/passwd"
    echo "$name@$DOMAIN OK" >> "$DIR/postfix/conf/vmailbox"
    USER_LIST+=("$name@$DOMAIN:$pw")
  done
  [ ${#USER_LIST[@]} -gt 0 ] || die "MAILSTACK_USERS is empty"
  chown root:dovecot "$DIR/dovecot/passwd"; chmod 640 "$DIR/dovecot/passwd"
  for f in $FORWARDS; do
    src=${f%%:*}; dst=${f#*:}
    [[ $f == *:*@* ]] || die "bad MAILSTACK_FORWARDS entry '$f' (want local:target@domain)"
    # an address that lists itself is not expanded again: the copy stays in the mailbox
    echo "$src@$DOMAIN $src@$DOMAIN, $dst" >> "$DIR/postfix/conf/virtual"
  done
  echo "$RELAY_DOMAIN smtp:[127.0.0.1]:$RELAY_PORT" > "$DIR/postfix/conf/transport"

  render() {
    sed -e "s|@@DIR@@|$DIR|g" -e "s|@@IMAP_PORT@@|$IMAP_PORT|g" -e "s|@@IMAPS_PORT@@|$IMAPS_PORT|g" \
        -e "s|@@SMTP_PORT@@|$SMTP_PORT|g" -e "s|@@SUBMISSION_PORT@@|$SUBMISSION_PORT|g" \
        -e "s|@@DOMAIN@@|$DOMAIN|g" -e "s|@@RELAY_DOMAIN@@|$RELAY_DOMAIN|g" "$1"
  }
  render "$HERE/dovecot.conf.in" > "$DIR/dovecot/dovecot.conf"
  if [ "$IMAPS_PORT" = 0 ]; then sed -i '/^  inet_listener imaps {/,/^  }/d' "$DIR/dovecot/dovecot.conf"; fi
  if [ -n "$OAUTH2_URL" ]; then
    # OAuth2 (XOAUTH2 / OAUTHBEARER) logins: a second passdb asks the test's RFC 7662
    # introspection endpoint whether the bearer token is active and whose mailbox it is. The
    # passwd-file passdb is tried first and fails (a token is not the password), then this one.
    # Postfix submission authenticates through Dovecot's SASL, so SMTP gets the same mechanisms.
    {
      echo "introspection_mode = post"
      echo "introspection_url = $OAUTH2_URL"
      echo "username_attribute = username"
      echo "active_attribute = active"
      echo "active_value = true"
      echo "timeout_msecs = 5000"
    } > "$DIR/dovecot/oauth2.conf.ext"
    chown root:dovecot "$DIR/dovecot/oauth2.conf.ext"; chmod 640 "$DIR/dovecot/oauth2.conf.ext"
    sed -i 's/^auth_mechanisms = plain login$/auth_mechanisms = plain login xoauth2 oauthbearer/' "$DIR/dovecot/dovecot.conf"
    printf '%s\n' "passdb {" "  driver = oauth2" "  mechanisms = xoauth2 oauthbearer" \
      "  args = $DIR/dovecot/oauth2.conf.ext" "}" >> "$DIR/dovecot/dovecot.conf"
  fi
  render "$HERE/postfix-main.cf.in" > "$DIR/postfix/conf/main.cf"
  render "$HERE/postfix-master.cf.in" > "$DIR/postfix/conf/master.cf"
  if [ "$SUBMISSION_PORT" = 0 ]; then sed -i '/^#SUBMISSION-BEGIN/,/^#SUBMISSION-END/d' "$DIR/postfix/conf/master.cf"; fi
fi
# Postfix re-reads a config/texthash file every 300 ms until its mtime is >1 s old ("pausing to
# let ... cool down", util/dict.c): back-date them or the first command costs ~1.5-2.6 s.
touch -d '-10 seconds' "$DIR"/postfix/conf/*

STARTED=()
fail() {
  echo "start.sh: $*" >&2
  tail -n 20 "$DIR/dovecot/stderr.log" "$DIR/dovecot/dovecot.log" "$DIR/postfix/stderr.log" "$DIR/postfix/postfix.log" >&2 2>/dev/null || true
  if [ "$RESUME" = 0 ]; then "$HERE/stop.sh" "$DIR" >&2 || true
  else for s in "${STARTED[@]}"; do "$HERE/stop.sh" "$DIR" "--$s" >&2 || true; done; fi
  exit 1
}

# --- Dovecot: daemonizes; master pid in DIR/dovecot/run/master.pid
T_DOVECOT=0
if [ "$ONLY" != postfix ] && ! dovecot_running; then
  # Dovecot's master keeps the inherited stderr open: never give it the caller's pipe, or a
  # caller that captures output (Go's cmd.Output(), Python's capture_output) waits forever.
  rm -f "$DIR/dovecot/run/master.pid"   # stale (e.g. after a SIGKILL): not running, checked above
  dovecot -c "$DIR/dovecot/dovecot.conf" </dev/null >/dev/null 2>>"$DIR/dovecot/stderr.log" \
    || fail "dovecot did not start"
  STARTED+=(dovecot)
  first=${USER_LIST[0]}; fu=${first%:*}; fp=${first##*:}
  imap_login_ok() {
    timeout 2 bash -c '
      exec 3<>/dev/tcp/127.0.0.1/'"$IMAP_PORT"' || exit 1
      read -r l <&3; [[ $l == "* OK"* ]] || exit 1
      printf "a LOGIN \"%s\" \"%s\"\r\nb LOGOUT\r\n" "$0" "$1" >&3
      while read -r l <&3; do [[ $l == "a OK"* ]] && exit 0; [[ $l == "a "* ]] && exit 1; done; exit 1' "$fu" "$fp" 2>/dev/null
  }
  # Bounded by time, not attempts: under heavy CPU load (load average 10+ on 2 cores) a start
  # took up to ~5 s here. A dovecot that died (pid file written, process gone) fails at once.
  deadline=$(( $(date +%s) + 30 ))
  until imap_login_ok; do
    p=$(dovecot_pid); if [ -n "$p" ] && ! alive "$p"; then fail "dovecot exited (port in use?)"; fi
    [ "$(date +%s)" -lt "$deadline" ] || fail "dovecot: no IMAP login within 30 s"
    sleep 0.05
  done
  T_DOVECOT=$(( ($(date +%s%N) - T0) / 1000000 ))
fi

# --- Postfix: a second instance with its own config dir; "postfix start" creates the spool subdirs
if [ "$POSTFIX" = 1 ] && [ "$ONLY" != dovecot ] && ! postfix_running; then
  : >> "$DIR/postfix/postfix.log"
  rm -f "$DIR/postfix/spool/pid/master.pid"   # Postfix leaves it behind on stop; not running
  # On a resume the spool is already set up: postfix-script's "quick-start" marker skips its
  # integrity checks (check-fatal/check-warn: dozens of find/postconf runs), 60-80 ms instead of
  # ~1 s under load. The first start keeps them: they create the spool subdirectories.
  if [ "$RESUME" = 1 ]; then touch "$DIR/postfix/spool/quick-start"; fi
  postfix -c "$DIR/postfix/conf" start </dev/null >/dev/null 2>>"$DIR/postfix/stderr.log" \
    || fail "postfix did not start"
  STARTED+=(postfix)
  smtp_ok() { timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$SMTP_PORT"' || exit 1; read -r l <&3; printf "QUIT\r\n" >&3; [[ $l == 220* ]]' 2>/dev/null; }
  deadline=$(( $(date +%s) + 30 ))
  until smtp_ok; do
    p=$(postfix_pid); if [ -n "$p" ] && ! alive "$p"; then fail "postfix exited (port in use?)"; fi
    [ "$(date +%s)" -lt "$deadline" ] || fail "postfix: no SMTP banner within 30 s"
    sleep 0.05
  done
fi
T_ALL=$(( ($(date +%s%N) - T0) / 1000000 ))

# Watchdog: its own session (not in the caller's process group), no inherited output fds. It
# exec's stop.sh, so stop.sh recognises it as itself; a normal stop.sh run ends it by its pid.
if [ -n "$OWNER_PID" ]; then
  setsid bash -c 'while kill -0 "$0" 2>/dev/null; do sleep 1; done; exec "$1" "$2" --rm' \
    "$OWNER_PID" "$HERE/stop.sh" "$DIR" </dev/null >/dev/null 2>&1 &
  echo $! > "$DIR/watchdog.pid"
fi

{
  echo "MAILSTACK_DIR=$DIR"
  echo "IMAP_ADDR=127.0.0.1:$IMAP_PORT"
  [ "$IMAPS_PORT" = 0 ] || echo "IMAPS_ADDR=127.0.0.1:$IMAPS_PORT"
  echo "TLS_CA_FILE=$DIR/tls/cert.pem"
  echo "LMTP_SOCKET=$DIR/dovecot/run/lmtp"
  echo "DOVECOT_CONF=$DIR/dovecot/dovecot.conf"
  if [ "$POSTFIX" = 1 ]; then
    echo "SMTP_ADDR=127.0.0.1:$SMTP_PORT"
    [ "$SUBMISSION_PORT" = 0 ] || echo "SUBMISSION_ADDR=127.0.0.1:$SUBMISSION_PORT"
    echo "POSTFIX_CONF=$DIR/postfix/conf"
    echo "RELAY_DOMAIN=$RELAY_DOMAIN"
    echo "RELAY_TARGET=127.0.0.1:$RELAY_PORT"
  fi
  echo "MAIL_DOMAIN=$DOMAIN"
  [ ! -s "$DIR/dovecot/oauth2.conf.ext" ] || echo "OAUTH2_INTROSPECT_URL=$(sed -n 's/^introspection_url = //p' "$DIR/dovecot/oauth2.conf.ext")"
  echo "MAIL_USERS=\"${USER_LIST[*]}\""
  echo "MAIL_FORWARDS=\"$FORWARDS\""
  echo "MAILDIR_ROOT=$DIR/mail/$DOMAIN"
  echo "DOVECOT_PID=$(dovecot_pid)"
  [ "$POSTFIX" = 0 ] || echo "POSTFIX_PID=$(postfix_pid)"
  echo "STARTUP_MS_DOVECOT=$T_DOVECOT"
  echo "STARTUP_MS_TOTAL=$T_ALL"
} > "$DIR/env.tmp"
mv "$DIR/env.tmp" "$DIR/env"
cat "$DIR/env"
