#!/bin/sh
# The image's entry point: one role per container, mapped to the command the local supervisor
# runs for that process (`vodstack serve NAME`, supervisor/process.py), so a container runs
# exactly what `vodstack up` runs on a laptop; only where settings come from differs (the
# environment and VODSTACK_CONFIG instead of the supervisor's settings file).
#
#   gateway | accounts | catalog | playback | pipeline | events | telemetry | history | recs |
#   billing | experiments | origin
#   pipeline-workers   the pipeline's worker pool or dispatcher, outbox drain, upload reaper
#   planner            the CDN fill planner
#   dns                the DNS steering server (when cdn.dns.port is set)
#   edge-REGION-N      one edge, by name (compose)
#   edge               a StatefulSet pod edge-REGION-ORDINAL serves edge-REGION-(ORDINAL+1)
#   worker             a Celery transcoding worker, scratch in $VODSTACK_SCRATCH (/scratch)
#   anything else      that vodstack command (status, ingest, history reshard, ...)
#
# VODSTACK_ENTRYPOINT_DRY_RUN=1 prints the command instead of running it (tests/deploy).
set -eu

run() {
  if [ -n "${VODSTACK_ENTRYPOINT_DRY_RUN:-}" ]; then
    printf '%s\n' "$*"
    exit 0
  fi
  exec "$@"
}

if [ $# -eq 0 ]; then
  echo "usage: ROLE [ARGS...]; roles: a service name, edge, edge-REGION-N, worker, or a vodstack command" >&2
  exit 64
fi
role="$1"
shift
case "$role" in
  gateway|accounts|catalog|playback|pipeline|pipeline-workers|events|telemetry|history|recs|billing|experiments|origin|planner|dns)
    run vodstack serve "$role" "$@" ;;
  edge)
    pod="${HOSTNAME:?edge needs HOSTNAME (the StatefulSet pod name edge-REGION-ORDINAL)}"
    ordinal="${pod##*-}"
    case "$ordinal" in
      ''|*[!0-9]*) echo "edge: pod name $pod does not end in an ordinal" >&2; exit 64 ;;
    esac
    run vodstack serve "${pod%-*}-$((ordinal + 1))" "$@" ;;
  edge-*)
    run vodstack serve "$role" "$@" ;;
  worker)
    run vodstack worker --scratch "${VODSTACK_SCRATCH:-/scratch}" "$@" ;;
  *)
    run vodstack "$role" "$@" ;;
esac
