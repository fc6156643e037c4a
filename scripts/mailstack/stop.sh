#!/usr/bin/env bash
# Stop the test mail stack that start.sh DIR started, by its own pid files (never by process name).
#
#   stop.sh DIR [--rm] [--dovecot | --postfix]
#
# --rm deletes DIR afterwards (after both daemons are gone). --dovecot / --postfix stop only that
# daemon (outage tests); "start.sh DIR --resume" starts it again with the same ports and mail.
# Exits 0 when nothing is running, also when DIR does not exist.
#
# Timing: Postfix's master exits within ~50 ms of SIGTERM; Dovecot's master takes ~1.1 s, so a
# full stop (both in parallel) costs ~1.1-1.2 s on an idle machine; with an IMAP client still
# connected ~1.6 s (see below). "postfix stop" would add a 1 s sleep loop; SIGTERM to the master
# is what it does anyway.
# The daemons are re-parented to PID 1, which here reaps them only every second or so; a zombie
# still answers "kill -0", so "gone" means "no /proc/PID or state Z" (zombies hold no ports/files).
set -uo pipefail
usage="usage: stop.sh DIR [--rm] [--dovecot | --postfix]"
[ $# -ge 1 ] || { echo "$usage" >&2; exit 1; }
ARG_DIR=$1; shift
RM=0 WHICH=all
while [ $# -gt 0 ]; do
  case $1 in
    --rm) RM=1 ;;
    --dovecot) WHICH=dovecot ;;
    --postfix) WHICH=postfix ;;
    *) echo "stop.sh: unknown argument $1 ($usage)" >&2; exit 1 ;;
  esac
  shift
done
[ "$RM" = 0 ] || [ "$WHICH" = all ] || { echo "stop.sh: --rm stops everything; drop --$WHICH" >&2; exit 1; }
DIR=$(cd "$ARG_DIR" 2>/dev/null && pwd) || { echo "stop.sh: no such dir $ARG_DIR (nothing to stop)" >&2; exit 0; }

alive() { [ -n "$1" ] && [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null; }
# only signal a pid that is still the daemon we started (pid files can be stale after a reboot)
is() { tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2"; }
RC=0
children() { ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' '; }
# stop_pid PID MASTER-CMDLINE NAME CHILD-CMDLINE TERM-CHILDREN
# SIGTERM to the master, wait until it is gone, then make sure the children recorded while it
# ran are gone too (they hold listening sockets and files): each must still match CHILD-CMDLINE
# to be signalled. TERM-CHILDREN=yes sends them SIGTERM right away (Dovecot, see below);
# otherwise they get 3 s to exit by themselves first (Postfix's master signals its children, but
# an idle smtpd holding the listening socket was seen alive just after the master was gone).
stop_pid() {
  local pid=$1 kids k _
  alive "$pid" && is "$pid" "$2" || return 0
  kids=$(children "$pid")
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 500); do
    alive "$pid" || break
    kids="$kids $(children "$pid")"
    sleep 0.02
  done
  if alive "$pid"; then
    echo "stop.sh: $3 ($pid) still running 10 s after SIGTERM, sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null; RC=1
    for _ in $(seq 1 100); do alive "$pid" || break; sleep 0.02; done
  fi
  kids=$(printf '%s\n' $kids | sort -u)
  if [ "$5" = yes ]; then
    # Dovecot: imap processes that still have a client connection outlive the master (measured:
    # they kept answering until the client disconnected, and the log and stats processes wait
    # for them). A real shutdown (shutdown_clients = yes) disconnects them: SIGTERM gives the
    # client "* BYE Server shutting down.". The log and stats processes are left to exit by
    # themselves ~10 ms later (a SIGTERM makes stats linger).
    for k in $kids; do
      alive "$k" && is "$k" "$4" || continue
      is "$k" "$4log" || is "$k" "$4stats" || kill -TERM "$k" 2>/dev/null
    done
  fi
  for k in $kids; do
    for _ in $(seq 1 150); do alive "$k" && is "$k" "$4" || break; sleep 0.02; done
    if alive "$k" && is "$k" "$4"; then
      kill -TERM "$k" 2>/dev/null
      for _ in $(seq 1 50); do alive "$k" || break; sleep 0.02; done
      if alive "$k"; then kill -KILL "$k" 2>/dev/null; echo "stop.sh: $3 child $k needed SIGKILL" >&2; fi
    fi
  done
}


stop_postfix() {
  [ -s "$DIR/postfix/spool/pid/master.pid" ] || return 0
  # Postfix's children are started as "NAME ... -t TYPE ..." (master.cf)
  stop_pid "$(tr -d ' \n' < "$DIR/postfix/spool/pid/master.pid")" postfix/sbin/master postfix " -t " no
}
# Dovecot: SIGTERM to the master stops its children; the master itself needs ~1.1 s to exit
# (an internal wait: it still takes ~1.1 s when its log process is killed early).
stop_dovecot() {
  local instance pid f
  pid=$(cat "$DIR/dovecot/run/master.pid" 2>/dev/null)
  if ! alive "$pid"; then
    # No pid file yet: start.sh was interrupted right after forking the daemon. Find the master
    # by its exact "-c" argument, this stack's own config file (one grep over /proc).
    pid=""
    for f in $(grep -lzxF -- "$DIR/dovecot/dovecot.conf" /proc/[0-9]*/cmdline 2>/dev/null); do
      f=${f#/proc/}; f=${f%/cmdline}
      if alive "$f" && is "$f" "dovecot -c $DIR/"; then pid=$f; fi
    done
    [ -n "$pid" ] || return 0
  fi
  instance=$(sed -n 's/^instance_name = //p' "$DIR/dovecot/dovecot.conf" 2>/dev/null)
  stop_pid "$pid" "dovecot -c $DIR/" dovecot "dovecot-${instance:-mailstack}/" yes
}
# The --owner-pid watchdog of start.sh: end it on a full stop (unless it is this very process,
# which it is when the owner died and the watchdog exec'd this script).
if [ "$WHICH" = all ] && [ -s "$DIR/watchdog.pid" ]; then
  w=$(cat "$DIR/watchdog.pid")
  if [ "$w" != $$ ] && alive "$w" && is "$w" "$DIR"; then kill -TERM "$w" 2>/dev/null; fi
  rm -f "$DIR/watchdog.pid"
fi
case $WHICH in
  postfix) stop_postfix ;;
  dovecot) stop_dovecot ;;
  all)
    # Both at once: Postfix's ~50 ms hide behind Dovecot's ~1.1 s. (Mail that Postfix is
    # handing to Dovecot at this moment stays in Postfix's queue, as in a real shutdown.)
    ( stop_postfix; exit $RC ) & pf=$!
    stop_dovecot
    wait "$pf" || RC=1
    ;;
esac

[ "$RM" = 0 ] || rm -rf "$DIR"
exit $RC
