#!/usr/bin/env bash
# Entrypoint of the Flink services in docker-compose.yml (image flink:1.20). Puts the jars that
# docker/flink/download-jars.sh fetched into Flink's lib/ -- the Fluss connector always, plus
# the Paimon or the Iceberg set as FL_LAKE_FORMAT says (default paimon) -- and Fluss's tiering
# service jar into opt/ (for the quickstart's `flink run`), then hands over to
# the image's own /docker-entrypoint.sh (FLINK_PROPERTIES, jobmanager/taskmanager, pass-through).
set -euo pipefail
JARS="${FL_FLINK_JARS:-/opt/fl-jars}"
LAKE="${FL_LAKE_FORMAT:-paimon}"
case "$LAKE" in
    paimon | iceberg) ;;
    *) echo "flink-entrypoint: FL_LAKE_FORMAT must be paimon or iceberg, got '$LAKE'" >&2; exit 2 ;;
esac
shopt -s nullglob
jars=("$JARS"/lib/*.jar "$JARS/$LAKE"/*.jar)
if [ ${#jars[@]} -eq 0 ]; then
    echo "flink-entrypoint: no jars under $JARS (run docker/flink/download-jars.sh)" >&2
    exit 1
fi
cp -f "${jars[@]}" "${FLINK_HOME:-/opt/flink}/lib/"
opt=("$JARS"/opt/*.jar)
if [ ${#opt[@]} -gt 0 ]; then
    cp -f "${opt[@]}" "${FLINK_HOME:-/opt/flink}/opt/"
fi
exec /docker-entrypoint.sh "$@"
