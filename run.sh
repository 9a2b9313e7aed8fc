#!/usr/bin/env bash
# Starts the local Fluid.Aspire stack through the Aspire AppHost (etcd, the controller, and per simulated node an
# object store and a cache agent), runs the sample once against it, prints the result and exits with its status.
set -euo pipefail
# Paths the user gives are relative to where they typed the command, not to the repository.
caller="$PWD"
cd "$(dirname "$0")"
. .ci/prerequisites.sh

usage() {
  cat <<'USAGE'
Usage: ./run.sh [--dashboard] [--nodes N] [--clean] [--timeout SECONDS] [--state-dir DIR] [--store-memory SIZE] [--no-build] [sample options]

  (no option)        start the stack, run the linear-regression sample once, print its metrics and RESULT line,
                     stop; exit 0 on success
  --dashboard        keep the stack up with the Aspire dashboard; its URL and a kubeconfig for kubectl are
                     printed; Ctrl+C stops it
  --nodes N          simulate N nodes (default 2)
  --clean            start with an empty etcd (otherwise its data in the state directory survives restarts)
  --timeout SECONDS  give up a one-shot run after this long from the start of the stack, its wait for the
                     stack included (default 600); exit code 124
  --state-dir DIR    keep the stack's state (etcd's data, certificates, kubeconfig, pod logs, the one-shot log) in
                     DIR instead of AppHost/.fluid; a second stack beside a running one needs a DIR of its own
  --store-memory SIZE
                     each node's object store memory, e.g. 2Gi or 1536Mi (default: what the data needs, or
                     --cache-capacity, and at least 1Gi; a run the machine cannot hold is refused before it starts)
  --no-build         start what is already built (Release) instead of building first, e.g. after ./test.sh
  -h, --help         show this help

Sample options (passed on to samples/LinearRegression):
  --input CSV        learn from a CSV instead of the synthetic House-Prices-like table: a file, or an
                     http(s):// or s3:// URL, read through the stack's cache agents
  --input-option K=V an option of a URL --input's mount, e.g. endpoint=http://127.0.0.1:9000 (repeatable)
  --target COLUMN    the column of --input to predict
  --exchange MODE    objectstore (default), files (Parquet on local disk) or arrow-shm
  --rows N           rows of the synthetic table (default 600,000)
  --seed N           seed of the synthetic table and of the split
  --cache-capacity G object store memory each node reserves for the run, in GiB (default: sized from the data)
  --keep             keep the run's dataset, runtime, steps, events and objects afterwards (always with
                     --dashboard); the next run removes them

The AppHost's full log is kept in artifacts/run/apphost.log (in DIR with --state-dir). Ctrl+C or SIGTERM stops the
stack and everything it started.
USAGE
}

dashboard=false
state=""
store_memory=""
sample=()
nodes=2
clean=false
timeout=600
build=true
while [ $# -gt 0 ]; do
  case "$1" in
    --dashboard) dashboard=true ;;
    --nodes) [ $# -ge 2 ] || fluid_fail "--nodes needs a number, e.g. --nodes 3"; nodes="$2"; shift ;;
    --clean) clean=true ;;
    --no-build) build=false ;;
    --timeout) [ $# -ge 2 ] || fluid_fail "--timeout needs a number of seconds"; timeout="$2"; shift ;;
    --store-memory)
      [ $# -ge 2 ] || fluid_fail "--store-memory needs a size, e.g. --store-memory 2Gi"
      [[ "$2" =~ ^[0-9]+(Mi|Gi|Ti)$ ]] || fluid_fail "--store-memory must be a size such as 1536Mi or 2Gi, not '$2'"
      store_memory="$2"; shift ;;
    --state-dir)
      [ $# -ge 2 ] || fluid_fail "--state-dir needs a directory, e.g. --state-dir /tmp/stack-2"
      case "$2" in /*) state="$2" ;; *) state="$caller/$2" ;; esac
      shift ;;
    --input|--input-option|--target|--exchange|--rows|--seed|--cache-capacity)
      [ $# -ge 2 ] || fluid_fail "$1 needs a value"
      value="$2"
      if [ "$1" = --input ]; then
        case "$2" in
          http://*|https://*|s3://*|/*) value="$2" ;;
          *) value="$caller/$2" ;;
        esac
        case "$value" in
          http://*|https://*|s3://*) ;;
          *) [ -f "$value" ] || fluid_fail "--input $2: there is no file $value; give the path of a CSV file, e.g. --input $PWD/samples/data/california_housing.csv, or its http(s):// or s3:// URL" ;;
        esac
      fi
      sample+=("$1" "$value"); shift ;;
    --keep) sample+=("$1") ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; fluid_fail "unknown option '$1'" ;;
  esac
  shift
done
[[ "$nodes" =~ ^[0-9]+$ ]] && [ "$nodes" -ge 1 ] && [ "$nodes" -le 64 ] || fluid_fail "--nodes must be a number from 1 to 64, not '$nodes'"
[[ "$timeout" =~ ^[0-9]+$ ]] || fluid_fail "--timeout must be a whole number of seconds, not '$timeout'"

# One stack per state directory (the AppHost holds stack.lock in it while it runs): say so before building.
lock="${state:-$PWD/AppHost/.fluid/fluid}/stack.lock"
if [ -f "$lock" ] && ! flock -n "$lock" true; then
  fluid_fail "a stack is already running on ${lock%/stack.lock} ($(cat "${lock%.lock}.owner" 2>/dev/null || echo "its process did not say who it is")); stop it (Ctrl+C where it runs), or run this one beside it with --state-dir DIR"
fi

fluid_prerequisites
if [ "$build" = true ]; then
  fluid_step "Building (Release)"
  dotnet build AppHost/Fluid.Aspire.AppHost.csproj -c Release -nologo -clp:NoSummary -v:q
elif [ ! -f AppHost/bin/Release/net10.0/Fluid.Aspire.AppHost.dll ]; then
  fluid_fail "--no-build: nothing is built yet (no AppHost/bin/Release); run once without --no-build, or ./test.sh"
fi

# The stack's API server writes a kubeconfig for kubectl here once it listens; one left by an earlier run is stale.
kubeconfig="${state:-$PWD/artifacts}/kubeconfig"
mkdir -p "$(dirname "$kubeconfig")"
rm -f "$kubeconfig"
apphost=(dotnet run --project AppHost/Fluid.Aspire.AppHost.csproj -c Release --no-build --launch-profile http --
  "--Fluid:Nodes=$nodes" "--Fluid:CleanStart=$clean" "--Fluid:TimeoutSeconds=$timeout" "--Fluid:Kubeconfig=$kubeconfig")
[ -n "$state" ] && apphost+=("--Fluid:StateDirectory=$state")
if [ -z "$store_memory" ]; then
  # Stores as large as the sample will ask for (it plans from the data and the machine's free memory), at least the
  # stack's default of 1Gi; data the machine cannot hold is refused here, before anything starts.
  planned="$(dotnet samples/LinearRegression/bin/Release/net10.0/Fluid.Aspire.Samples.LinearRegression.dll --plan-store-memory "${sample[@]}")" || exit 2
  [ "${planned%Mi}" -gt 1024 ] && store_memory="$planned"
fi
[ -n "$store_memory" ] && apphost+=("--Fluid:ObjectStoreMemory=$store_memory")
for i in "${!sample[@]}"; do
  apphost+=("--Fluid:SampleArgs:$i=${sample[$i]}")
done

log="${state:-$PWD/artifacts/run}/apphost.log"
mkdir -p "$(dirname "$log")"
# There before the viewer opens it: the background job's redirection may come later.
: >"$log"
if [ "$dashboard" = true ]; then
  fluid_step "Starting the stack with $nodes node(s) and the dashboard (Ctrl+C to stop)"
else
  fluid_step "Starting the stack with $nodes node(s) and running the sample once"
  apphost+=(--Fluid:Once=true)
fi

# The AppHost runs in a process group of its own (job control on while it starts), with its output in the log: a
# script's background job would otherwise ignore Ctrl+C, and a signal to this script would wait behind the viewer.
# What is left of the stack at the end of the run (DCP tears a stack down on its own, but only after the AppHost has
# gone): the AppHost and DCP, which inherit FLUID_RUN_ID, their descendants, and whatever names the stack's state
# directory in its command line or environment (etcd, the services, which DCP gives environments of their own);
# never this script or its viewer.
run_id="run-$$-$RANDOM$RANDOM"
if [ -n "$state" ]; then
  state_paths=(-e "${state%/}/")
else
  state_paths=(-e "$PWD/AppHost/.fluid/fluid/" -e "$PWD/AppHost/.fluid/etcd/")
fi
stack_pids() {
  local roots
  roots="$( { grep -lzx "FLUID_RUN_ID=$run_id" /proc/[0-9]*/environ; grep -lF "${state_paths[@]}" /proc/[0-9]*/environ /proc/[0-9]*/cmdline; } 2>/dev/null \
    | cut -d/ -f3 | sort -u | tr '\n' ' ')"
  [ -n "$roots" ] || return 0
  ps -eo pid=,ppid= | awk -v roots="$roots" -v self="$$" '
    BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) keep[r[i]] = 1 }
    { parent[$1] = $2 }
    END {
      for (grown = 1; grown;) { grown = 0; for (p in parent) if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; grown = 1 } }
      for (p in keep) if (p != self && parent[p] != self) print p
    }'
}
# Which of the processes $1 still run (a zombie is done). Builtins only, as in the loops below: on a loaded machine a
# fork per process per round made a 2 s wait last several.
alive() {
  local p s
  for p in $1; do
    read -r s 2>/dev/null < "/proc/$p/stat" || continue
    s="${s##*) }"
    [ "${s%% *}" = Z ] || printf '%s ' "$p"
  done
}
# Tenths of a second since the epoch, in $now.
clock() { local t="${EPOCHREALTIME/[.,]/}"; now=$((10#$t / 100000)); }
# Waits up to $2 tenths of a second by the clock for the processes $1 to end; those still running are left in $left.
wait_for_end() {
  local end
  clock; end=$((now + $2))
  left="$(alive "$1")"
  while [ -n "$left" ] && clock && [ "$now" -lt "$end" ]; do
    sleep 0.1
    left="$(alive "$left")"
  done
}
# Waits up to $1 tenths of a second for the stack's processes, those found now and those in $3 (found before anything
# was stopped: a process whose parent went is no one's descendant any more), to end; then TERM, and KILL $2 tenths
# later.
reap() {
  wait_for_end "$3 $(stack_pids | tr '\n' ' ')" "$1"
  [ -n "$left" ] || return 0
  kill -TERM $left 2>/dev/null
  wait_for_end "$left" "$2"
  [ -n "$left" ] || return 0
  kill -KILL $left 2>/dev/null
}
set +e
set -m
FLUID_RUN_ID="$run_id" "${apphost[@]}" >"$log" 2>&1 &
pid=$!
set +m
# Ctrl+C or SIGTERM: the Ctrl+C a terminal would send to the AppHost's group, 8 s for it to stop the stack, then
# whatever is left goes (TERM 1 s later, KILL 2 s after that), and what started meanwhile (a step being launched);
# 12 s at most.
stop() {
  # A second Ctrl+C while it stops must not kill this script halfway, with the stack still running.
  trap '' INT TERM
  local before
  before="$(stack_pids | tr '\n' ' ')"
  # What the AppHost says while it is interrupted (cancelled start-up, stack traces) is no news: the log keeps it.
  kill "$view" "$timer" 2>/dev/null
  kill -INT -- "-$pid" 2>/dev/null
  wait_for_end "$pid" 80
  kill -KILL -- "-$pid" 2>/dev/null
  reap 10 20 "$before"
  reap 0 10 ""
}
trap 'printf "\nStopping the stack…\n" >&2; stop; exit 130' INT
trap 'stop; exit 143' TERM

if [ "$dashboard" = true ]; then
  # Everything the AppHost says, and how to reach the stack once it is up.
  tail -n +1 -f --pid="$pid" "$log" | while IFS= read -r line; do
    printf '%s\n' "$line"
    case "$line" in
      *"Login to the dashboard at "*)
        printf '\n>>> Dashboard: %s\n\n' "${line##*Login to the dashboard at }" ;;
      *"Distributed application started"*)
        # fluid finds the stack on the default state directory by itself.
        printf '\n>>> The stack is up.\n'
        printf '>>> kubectl:   export KUBECONFIG=%s; kubectl get fluid\n' "$kubeconfig"
        printf '>>> fluid:     dotnet run --project %s/src/Cli -- get datasets%s\n\n' "$PWD" "${state:+ --kubeconfig $kubeconfig}" ;;
    esac
  done &
else
  # The sample's own output, what the stack waits for while it starts, and any warning or error, as they come; the
  # rest stays in the log.
  tail -n +1 -f --pid="$pid" "$log" | awk '
    /^(info|warn|fail|crit): / { level = substr($0, 1, 4); category = $2; next }
    /^      / {
      message = substr($0, 7)
      if (category ~ /Lifetime\.StartupProgress\[/ && level == "info") {
        print "· " message
      } else if (category ~ /Resources\.linear-regression\[/) {
        sub(/^[0-9]+: [0-9T:.-]+Z /, "", message)
        if (message !~ /^(Waiting for |Finished waiting |No custom certificate|\[sys\] )/) print message
      } else if (level != "info") {
        print level ": " message
      }
      fflush()
      next
    }
    /^Unhandled exception|^error: / { print; fflush() }' &
fi
view=$!
timer=""
if [ "$dashboard" = true ]; then
  wait "$pid"
  status=$?
else
  # The whole run, the wait for the stack included, within --timeout.
  sleep "$timeout" &
  timer=$!
  wait -n -p ended "$pid" "$timer"
  status=$?
  if [ "$ended" = "$timer" ]; then
    printf '\nThe run did not finish within %s s (--timeout); stopping the stack. Its log: %s\n' "$timeout" "$log" >&2
    stop
    exit 124
  fi
  kill "$timer" 2>/dev/null
fi
# The stack goes down on its own now; a signal meanwhile must still leave nothing behind.
reap 30 20 ""
reap 5 20 ""
trap - INT TERM
wait "$view"
set -e
if [ "$dashboard" = false ] && [ $status -ne 0 ]; then
  printf '\nThe run failed (exit code %s). The last lines of %s:\n' "$status" "$log" >&2
  tail -n 40 "$log" >&2
fi
exit $status
