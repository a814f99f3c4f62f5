#!/usr/bin/env sh
# Downloads the Flink-side jars of docs/quickstart.md from Maven Central into DIR (default
# ./docker/flink/jars): DIR/lib (always on Flink's classpath), DIR/paimon and DIR/iceberg (one
# of the two is added by docker/flink/flink-entrypoint.sh, as FL_LAKE_FORMAT says; Apache
# Fluss's quickstart image keeps them apart the same way), DIR/opt (Fluss's tiering service
# jar, copied to Flink's opt/ where the quickstart's `flink run` expects it). Files already
# present are kept.
# Runs on a host or in the compose service flink-jars (flink:1.20 image); needs curl or wget.
# Coordinates: /work/shared/reference/test-peers.md (Fluss 0.9.1, Paimon 1.3.1, Iceberg 1.10.1).
set -eu
DIR="${1:-./docker/flink/jars}"
MAVEN="${MAVEN_REPO:-https://repo1.maven.org/maven2}"
FLUSS=0.9.1-incubating

# group/artifact/version -> DIR/sub
JARS="
lib    org/apache/fluss/fluss-flink-1.20/$FLUSS
opt    org/apache/fluss/fluss-flink-tiering/$FLUSS
paimon org/apache/fluss/fluss-lake-paimon/$FLUSS
paimon org/apache/paimon/paimon-flink-1.20/1.3.1
paimon io/trino/hadoop/hadoop-apache/3.3.5-2
iceberg org/apache/fluss/fluss-lake-iceberg/$FLUSS
iceberg org/apache/iceberg/iceberg-flink-runtime-1.20/1.10.1
iceberg io/trino/hadoop/hadoop-apache/3.3.5-2
"

fetch() { # url file
    if command -v curl >/dev/null 2>&1; then
        curl -fsSL --retry 3 -o "$2.part" "$1"
    elif command -v wget >/dev/null 2>&1; then
        wget -q -O "$2.part" "$1"
    else
        echo "download-jars: need curl or wget" >&2
        exit 1
    fi
    [ -s "$2.part" ] || { echo "download-jars: $1 is empty" >&2; exit 1; }
    mv "$2.part" "$2"
}

echo "$JARS" | while read -r sub path; do
    [ -n "$sub" ] || continue
    version="${path##*/}"
    artifact="${path%/*}"
    artifact="${artifact##*/}"
    file="$DIR/$sub/$artifact-$version.jar"
    mkdir -p "$DIR/$sub"
    if [ -s "$file" ]; then
        echo "download-jars: have $file"
    else
        echo "download-jars: $MAVEN/$path/$artifact-$version.jar"
        fetch "$MAVEN/$path/$artifact-$version.jar" "$file"
    fi
done
# The Flink containers run as user flink; let them read everything.
chmod -R a+rX "$DIR"
