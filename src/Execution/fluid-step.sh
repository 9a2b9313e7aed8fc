# fluid-step: runs one attempt of a pipeline step for LocalProcessExecutor, which writes this file into its logs
# directory and starts it as
# `setsid env --default-signal bash -p fluid-step.sh LOG EXIT_FILE MAX_BYTES MAX_FILES COMMAND [ARGS...]`.
# Besides bash (5 or later) it uses only `sleep` and `mv` (coreutils), so that it runs on any Debian machine. The
# contract with the executor:
#
#  - The step runs in a process group of its own (job control, set -m), so that the executor can signal the whole
#    tree with kill(-pgid) without hitting this wrapper. The wrapper leads its own session (setsid), outside the
#    controller's process group, so that Ctrl-C on the controller or its death leave the step running.
#  - The step's stdout and stderr go through two pipes to two readers (process substitutions, in the wrapper's
#    group so that they outlive a kill of the step), which append each line to LOG as
#    "2025-01-31T12:00:00.123Z out|err text". LOG is opened with O_APPEND and every line is a single write, so the
#    readers and the executor interleave whole lines. No output passes through the controller: the step keeps
#    writing (and is not killed by SIGPIPE) when the controller dies.
#  - LOG is rotated as the executor rotates it between attempts: beyond MAX_BYTES it becomes LOG.1 (LOG.1 becomes
#    LOG.2, and so on; MAX_FILES files in all, the current one included). A reader looks every 32 lines, and after
#    a long one, where the log ends (its O_APPEND descriptor's position, read from /proc without a fork). Before
#    each line a writer checks that its descriptor is still LOG's (two stats, no fork), and reopens LOG if another
#    writer rotated it, so no line goes to a renamed file.
#  - Handshake: the wrapper prints "started PGID" on stdout, then the step waits for one line on stdin before it
#    executes the command. The executor records the pids in between, so a step never runs unrecorded: if the
#    controller dies first, stdin reaches EOF and the command never starts.
#  - When the step's main process ends, whatever it left in its group is killed, the readers drain, and EXIT_FILE
#    gets "status=N" and "ended=SECONDS.MICROS" (gathered in EXIT_FILE.tmp, then renamed, so that it is never read
#    half written), plus "execfailed=1" if the command could not be executed and "aborted=1" if the go never came.
#    N is the shell's status: 128+n when the step was killed by signal n. The wrapper exits with N.
#  - SIGTERM, SIGINT and SIGHUP sent to the wrapper are forwarded to the step's group.
#  - Both this wrapper and the bash that becomes the step run with -p, so that the step's environment (BASH_ENV,
#    SHELLOPTS, exported functions) cannot change how they run; it reaches the step unchanged.

set -u
log=$1 exit_file=$2 max_bytes=$3 max_files=$4
shift 4

# An error here reaches the executor on stderr (still its pipe), and the step never starts.
exec 3>>"$log" || exit 125
# fd 6 is the handshake channel; stdout and stdin are let go of once the step started.
exec 6>&1 1>/dev/null

# Appends stdin to the log, one timestamped line at a time; a last line without a newline is kept too. LC_ALL
# (the decimal point of EPOCHREALTIME) and TZ change in the reader's subshell only, never for the step.
reader() {
  local LC_ALL=C TZ=UTC line now lines=0
  while IFS= read -r line || [[ -n $line ]]; do
    now=$EPOCHREALTIME
    follow
    printf '%(%Y-%m-%dT%H:%M:%S)T.%sZ %s %s\n' "${now%.*}" "${now:(-6):3}" "$1" "$line" >&3
    if ((++lines % 32 == 0 || ${#line} > 4096)); then
      rotate_if_larger
    fi
  done
}

# Writes to LOG again if another writer rotated it.
follow() {
  [[ /dev/fd/3 -ef $log ]] || exec 3>>"$log"
}

rotate_if_larger() {
  local _ position generation
  read -r _ position <"/proc/$BASHPID/fdinfo/3" || return
  ((position > max_bytes)) || return
  for ((generation = max_files - 1; generation > 1; generation--)); do
    [[ -e $log.$((generation - 1)) ]] && mv -f "$log.$((generation - 1))" "$log.$generation"
  done
  mv -f "$log" "$log.1"
  exec 3>>"$log"
}

note() {
  follow
  local LC_ALL=C TZ=UTC now=$EPOCHREALTIME
  printf '%(%Y-%m-%dT%H:%M:%S)T.%sZ fluid %s\n' "${now%.*}" "${now:(-6):3}" "$1" >&3
}

exec 4> >(reader out 6>&- 2>/dev/null)
out_reader=$!
exec 5> >(reader err 4>&- 6>&- 2>/dev/null)
err_reader=$!

# The step: its own process group. A bash of its own (execfail does not work in a subshell) waits for the
# executor's go, then becomes the command; if that cannot be executed, "execfailed=1" tells "could not start"
# apart from a step that exits with 126 or 127 itself.
: >"$exit_file.tmp"
set -m
"$BASH" -p -c '
  if ! IFS= read -r go; then
    echo "aborted=1" >>"$1"
    exit 125
  fi
  shopt -s execfail
  record=$1
  shift
  # The step gets stdin, stdout and stderr only, not whatever the controller inherited and passed on.
  for fd in /proc/self/fd/*; do
    fd=${fd##*/}
    ((fd > 2)) && { exec {fd}>&-; } 2>/dev/null
  done
  exec "$@" 0</dev/null
  status=$?
  echo "execfailed=1" >>"$record"
  exit "$status"
' fluid-step "$exit_file.tmp" "$@" 1>&4 2>&5 3>&- 4>&- 5>&- 6>&- &
step=$!
set +m
exec 4>&- 5>&-

trapped=
forward() {
  trapped=1
  kill -s "$1" -- "-$step" 2>/dev/null
}
trap 'forward TERM' TERM
trap 'forward INT' INT
trap 'forward HUP' HUP

# stderr goes before the handshake: once the executor has its line it gives the go and closes its end of the
# pipe, and bash reports a step killed by a signal ("Segmentation fault") on stderr at its next command. Were that
# still the pipe, the report would kill this wrapper with SIGPIPE before it wrote EXIT_FILE, and a step that
# merely crashed would be reported lost.
exec 0</dev/null 2>/dev/null
printf 'started %s\n' "$step" >&6
exec 6>&-

# A trapped signal interrupts wait while the step still runs: wait again until the step itself ended.
while :; do
  trapped=
  wait "$step"
  status=$?
  [[ -z $trapped ]] && break
done

# Background processes the step left in its group would keep the pipes open and run on unaccounted for.
kill -KILL -- "-$step" 2>/dev/null

# The readers end once the last writer closed its pipe. A process that left the group (setsid) may still hold
# one: give the readers two seconds, then stop them, so that the step's end is recorded anyway.
for ((i = 0; i < 100; i++)); do
  kill -0 "$out_reader" 2>/dev/null || kill -0 "$err_reader" 2>/dev/null || break
  sleep 0.02
done
kill "$out_reader" "$err_reader" 2>/dev/null
wait "$out_reader" "$err_reader" 2>/dev/null

if ((status > 128)); then
  note "=== ended by signal $((status - 128)) (status $status) ==="
else
  note "=== exited with code $status ==="
fi

LC_ALL=C
printf 'status=%s\nended=%s\n' "$status" "$EPOCHREALTIME" >>"$exit_file.tmp"
mv -f "$exit_file.tmp" "$exit_file"
exit "$status"
