# Shared by the bench scripts (sourced, not run): installing what they need and starting
# `edge-dev serve` on a project.

# need COMMAND:PACKAGE...: installs (Debian) the package of each command that is missing.
need() {
  local missing=() pair
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null || [ -x "/usr/sbin/${pair%%:*}" ] || missing+=("${pair#*:}")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# start_serve PROJECT LOG [serve options...]: starts "$EDGE serve --port 0" in the folder PROJECT
# with its output in LOG, waits until it is ready, and sets SERVE_PID and SERVE_PORT.
start_serve() {
  local project=$1 log=$2
  shift 2
  (cd "$project" && exec "$EDGE" serve --port 0 "$@" > "$log" 2>&1) &
  SERVE_PID=$!
  for _ in $(seq 1 300); do grep -q '^ready:' "$log" 2>/dev/null && break; sleep 0.1; done
  SERVE_PORT=$(sed -n 's#^listening on http://127.0.0.1:\([0-9]*\)#\1#p' "$log" | head -1)
  [ -n "$SERVE_PORT" ] || { cat "$log" >&2; return 1; }
}
