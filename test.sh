#!/usr/bin/env bash
# Runs the whole test suite: installs what it needs (etcd, as root), builds in Release with warnings as errors,
# then runs every test project. A test that hangs for 8 minutes is killed and named, so a run always ends.
# Usage: ./test.sh [extra 'dotnet test' arguments, e.g. --filter Category!=Slow]
set -euo pipefail
cd "$(dirname "$0")"
. .ci/prerequisites.sh

fluid_prerequisites
fluid_notebook_prerequisites
fluid_browser_prerequisites
fluid_kubernetes_tools
fluid_storage_servers
fluid_step "Building Fluid.Aspire.sln (Release)"
dotnet build Fluid.Aspire.sln -c Release -nologo -clp:NoSummary -v:q

fluid_step "Running the tests"
# The tests start hundreds of short-lived .NET processes (daemons, controllers, steps) on two cores. Without profiling
# instrumentation, thread-pool spinning and a GC heap per core, they take a fifth less CPU (Cli CommandTests: 39 s of
# user time instead of 48 s); what the tests check does not depend on either.
export DOTNET_TieredPGO=0 DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 DOTNET_gcServer=0
mkdir -p artifacts/test-results
log=artifacts/test-results/console.log
status=0
dotnet test Fluid.Aspire.sln -c Release --no-build -nologo \
  --logger "console;verbosity=normal" --results-directory artifacts/test-results \
  --blame-hang-timeout 8m --blame-hang-dump-type none "$@" 2>&1 | tee "$log" || status=$?

# Test projects run in parallel, so a failure scrolls far up; CI keeps only the end of the output.
if [ "$status" -ne 0 ]; then
  fluid_step "What failed (the whole output is in $log)"
  grep -E -A 50 "^\s+Failed |[Cc]rashed|aborted|hang timeout" "$log" | head -300 || true
fi
exit "$status"
