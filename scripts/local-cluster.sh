#!/usr/bin/env bash
# Starts or stops the local cluster: coordinator and tablet server in one process
# ("fl-server local"), client port 9123, data under ./data (metadata, logs, KV, lake warehouse).
# Lake-enabled tables are tiered into Paimon under ./data/lake/paimon, as in Fluss's quickstart;
# FL_LAKE_FORMAT=iceberg tiers into Iceberg under ./data/lake/iceberg instead.
# Usage: scripts/local-cluster.sh start|stop|status
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
DATA="${FL_DATA_DIR:-$ROOT/data}"
PIDFILE="$DATA/fl-server.pid"
LOG="$DATA/fl-server.log"
BIN="$ROOT/build/server/fl-server"

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

case "${1:-start}" in
  start)
    if running; then echo "fl-server already running (pid $(cat "$PIDFILE"))"; exit 0; fi
    mkdir -p "$DATA"
    nohup "$BIN" local --config "$ROOT/conf/server.yaml" -Ddata.dir="$DATA" \
      -Ddatalake.format="${FL_LAKE_FORMAT:-paimon}" >>"$LOG" 2>&1 < /dev/null &
    echo $! >"$PIDFILE"
    for _ in $(seq 1 100); do
      if (exec 3<>/dev/tcp/127.0.0.1/9123) 2>/dev/null; then
        echo "fl-server running (pid $(cat "$PIDFILE")): bootstrap.servers = localhost:9123"
        echo "  data: $DATA   log: $LOG   stop: scripts/local-cluster.sh stop"
        exit 0
      fi
      if ! running; then echo "fl-server failed to start; see $LOG:" >&2; tail -5 "$LOG" >&2; exit 1; fi
      sleep 0.1
    done
    echo "fl-server did not open port 9123; see $LOG" >&2; exit 1 ;;
  stop)
    if running; then
      kill -TERM "$(cat "$PIDFILE")"
      for _ in $(seq 1 150); do running || break; sleep 0.1; done
      echo "fl-server stopped"
    else
      echo "fl-server not running"
    fi
    rm -f "$PIDFILE" ;;
  status)
    if running; then echo "running (pid $(cat "$PIDFILE"))"; else echo "stopped"; exit 1; fi ;;
  *) echo "usage: scripts/local-cluster.sh start|stop|status" >&2; exit 2 ;;
esac
