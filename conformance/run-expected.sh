#!/usr/bin/env bash
# Start Strata on a fresh data dir and free ports, run the Tempest tests listed in
# conformance/expected-pass.txt (or in the lists given) against it, and fail if any of them does
# not pass.
#
#   conformance/run-expected.sh [LIST...]
#
# Environment:
#   STRATA_CONFORMANCE_DIR   the shared conformance kit (default: ../../shared/conformance
#                            next to the repository, then /work/shared/conformance)
#   STRATA_CONFORMANCE_KEEP=1  keep the data and results dirs (kept anyway on failure)
#   STRATA_START_TIMEOUT     seconds to wait for the cloud (default 60)
#   STRATA_CONFORMANCE_WORKERS  tempest workers (default 2)
#   STRATA_PORT_VARS         more OS_<GROUP>__<OPTION> port variables to point at free ports
#   IMAGE_REF, IMAGE_REF_ALT active images for tempest's image_ref and image_ref_alt (default:
#                            small raw images this script uploads after the start)
#
# Exit status: 0 when every listed test passed; 1 when one did not (or the cloud did not
# start). The last line printed is always "N passed, N failed".
set -uo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
if [ $# -eq 0 ]; then set -- "$HERE/expected-pass.txt"; fi
for list in "$@"; do
  if [ ! -f "$list" ]; then echo "ERROR: no test list $list"; echo "0 passed, 1 failed"; exit 1; fi
done

KIT="${STRATA_CONFORMANCE_DIR:-}"
if [ -z "$KIT" ]; then
  if [ -x "$(dirname "$0")/../../shared/conformance/run-tempest.sh" ]; then
    KIT="$(cd "$(dirname "$0")/../../shared/conformance" && pwd)"
  else
    KIT=/work/shared/conformance
  fi
fi

EXPECTED="$(cat "$@" | grep -cvE '^[[:space:]]*(#|$)' || true)"
summary() { echo "$1 passed, $2 failed"; }

if [ ! -x "$KIT/run-tempest.sh" ]; then
  echo "ERROR: no conformance kit at $KIT (set STRATA_CONFORMANCE_DIR)"
  summary 0 "$EXPECTED"
  exit 1
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/strata-conformance.XXXXXX")"
DATA="$WORK/data"
RESULTS="$WORK/results"
# The lists, joined: ids without comments, blank lines or trailing blanks, each once.
LIST="$WORK/selected.txt"
sed -e 's/[[:space:]]*$//' "$@" | grep -vE '^(#|$)' | sort -u >"$LIST"
STRATA_PID=""
TEMPEST_PID=""
KEEP="${STRATA_CONFORMANCE_KEEP:-0}"

stop_strata() {
  [ -n "$STRATA_PID" ] || return 0
  if kill -0 "$STRATA_PID" 2>/dev/null; then
    kill -TERM "$STRATA_PID" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$STRATA_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$STRATA_PID" 2>/dev/null && kill -KILL "$STRATA_PID" 2>/dev/null
  fi
  wait "$STRATA_PID" 2>/dev/null
  STRATA_PID=""
}
stop_tempest() {
  [ -n "$TEMPEST_PID" ] || return 0
  # tempest runs in its own process group (setsid): stop its workers too.
  kill -TERM -- "-$TEMPEST_PID" 2>/dev/null || kill -TERM "$TEMPEST_PID" 2>/dev/null
  wait "$TEMPEST_PID" 2>/dev/null
  TEMPEST_PID=""
}
cleanup() {
  stop_tempest
  stop_strata
  [ "$KEEP" = 1 ] || rm -rf "$WORK"
}
# The summary must stay the last line, so say what is kept before it.
finish() {
  [ "$KEEP" = 1 ] && echo "kept: $WORK"
  summary "$1" "$2"
}
trap cleanup EXIT
trap 'echo "interrupted"; stop_tempest; stop_strata; finish 0 "$EXPECTED"; exit 130' INT
trap 'echo "interrupted"; stop_tempest; stop_strata; finish 0 "$EXPECTED"; exit 143' TERM

# A free TCP port on the loopback below the kernel's ephemeral range (32768-60999), where no
# outgoing connection can take it between this check and Strata's bind.
free_port() {
  node -e "const n=require('net');(function t(){const p=20000+Math.floor(Math.random()*12000);const s=n.createServer();s.once('error',t);s.listen(p,'127.0.0.1',()=>{s.close(()=>process.stdout.write(String(p)));});})();"
}

# Every listening port of the all-in-one gets a free one, so runs never clash with another
# cloud on this host. A variable for a service that is not (yet) in the cloud is ignored.
PORT_VARS="OS_IDENTITY__PORT OS_IMAGE__PORT OS_NETWORK__PORT OS_BLOCK_STORAGE__PORT OS_COMPUTE__PORT OS_COMPUTE__METADATA_PORT OS_COMPUTE__NOVNCPROXY_PORT OS_DASHBOARD__PORT ${STRATA_PORT_VARS:-}"
taken=" "
for var in $PORT_VARS; do
  p="$(free_port)"
  while [[ "$taken" == *" $p "* ]]; do p="$(free_port)"; done
  taken="$taken$p "
  export "$var=$p"
done
echo "Starting Strata (data: $DATA, identity port: $OS_IDENTITY__PORT)..."
OS_IDENTITY__PASSWORD_HASH_ROUNDS="${OS_IDENTITY__PASSWORD_HASH_ROUNDS:-4}" \
  node "$ROOT/apps/cli/bin/strata.js" up --data-dir "$DATA" >"$WORK/strata.out" 2>&1 &
STRATA_PID=$!

started=0
deadline=$((SECONDS + ${STRATA_START_TIMEOUT:-60}))
while [ $SECONDS -lt $deadline ]; do
  if ! kill -0 "$STRATA_PID" 2>/dev/null; then break; fi
  if [ -f "$DATA/openrc" ] && grep -q 'Strata is up' "$WORK/strata.out" 2>/dev/null; then started=1; break; fi
  sleep 0.2
done
if [ $started != 1 ]; then
  echo "ERROR: Strata did not start; its output:"
  tail -n 30 "$WORK/strata.out"
  KEEP=1
  finish 0 "$EXPECTED"
  exit 1
fi

# shellcheck disable=SC1091
source "$DATA/openrc"
# Volume-from-image (and server) tests need an active image: tempest's image_ref.
if [ -z "${IMAGE_REF:-}" ]; then
  head -c 1048576 /dev/zero >"$WORK/conformance-image.raw"
  IMAGE_REF="$(openstack image create --disk-format raw --container-format bare --public \
    --file "$WORK/conformance-image.raw" -f value -c id conformance-image 2>"$WORK/image.err")"
  if [ -z "$IMAGE_REF" ]; then
    echo "ERROR: could not upload the conformance image:"
    cat "$WORK/image.err"
    stop_strata
    KEEP=1
    finish 0 "$EXPECTED"
    exit 1
  fi
  export IMAGE_REF
  echo "image_ref: $IMAGE_REF"
fi
# Some server list filters need a second image: tempest's image_ref_alt.
if [ -z "${IMAGE_REF_ALT:-}" ]; then
  IMAGE_REF_ALT="$(openstack image create --disk-format raw --container-format bare --public \
    --file "$WORK/conformance-image.raw" -f value -c id conformance-image-alt 2>>"$WORK/image.err")"
  [ -n "$IMAGE_REF_ALT" ] && export IMAGE_REF_ALT && echo "image_ref_alt: $IMAGE_REF_ALT"
fi
started_at=$SECONDS
# NOTE: run in the background and wait, so a signal to this script is handled at once.
SETSID=""
command -v setsid >/dev/null 2>&1 && SETSID=setsid
$SETSID "$KIT/run-tempest.sh" -f "$LIST" -c "${STRATA_CONFORMANCE_WORKERS:-2}" -w "$WORK/tempest-ws" -o "$RESULTS" &
TEMPEST_PID=$!
wait "$TEMPEST_PID"
tempest_rc=$?
TEMPEST_PID=""
echo "tempest finished in $((SECONDS - started_at)) s (exit $tempest_rc)"

stop_strata

# Count against the list, so a listed test that was skipped or never ran counts as failed.
passed=0
failed=0
while IFS= read -r id; do
  case "$id" in ''|'#'*) continue ;; esac
  if [ -f "$RESULTS/outcomes.txt" ] && grep -qxF "$id passed" "$RESULTS/outcomes.txt"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "NOT PASSED: $id"
  fi
done <"$LIST"

if [ $failed -gt 0 ]; then
  KEEP=1
  [ -f "$RESULTS/failures.txt" ] && echo "details: $RESULTS/failures.txt"
fi
finish "$passed" "$failed"
[ $failed -eq 0 ]
