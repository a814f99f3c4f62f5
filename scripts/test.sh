#!/usr/bin/env bash
# README command 2: runs every test.
#   1. installs what is missing (scripts/install-deps.sh)
#   2. builds the release tree (build/) and the ASan+UBSan tree (build-asan/)
#   3. unit and black-box wire tests (CTest) in both trees
#   4. the interop suite (tests/interop, Maven + the real Fluss Java client) against the
#      sanitizer build, so every real-client scenario also runs under ASan+UBSan
#   5. the quickstart end to end (tests/flink: Flink 1.20 SQL in-process with the Fluss, Paimon
#      and Iceberg connectors) against the release build
# Ends with one line "test.sh: N passed, M failed". Exit status 0 only when nothing failed.
# Environment: FL_TEST_SKIP_INTEROP=1 skips step 4 (for quick local iterations only).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

passed=0
failed=0
status=0

scripts/install-deps.sh || { echo "test.sh: dependency installation failed"; exit 1; }
FL_PYTHON=$(scripts/python-env.sh) || { echo "test.sh: Python test peers could not be installed"; exit 1; }
export FL_PYTHON
for kind in release asan; do
  if ! scripts/build.sh "$kind" >/dev/null; then
    echo "test.sh: $kind build failed"
    echo "test.sh: 0 passed, 1 failed"
    exit 1
  fi
done

run_ctest() { # $1 = build dir
  local out
  out=$(cd "$1" && ctest --output-on-failure -j2 2>&1)
  local rc=$?
  echo "$out" | grep -E "Test +#|tests passed|FAILED|Failed|Error" | sed "s|^|[$1] |"
  if [ $rc -ne 0 ]; then echo "$out" | tail -80; status=1; fi
  local line total fails
  line=$(echo "$out" | grep -E "tests passed, [0-9]+ tests? failed out of [0-9]+" | tail -1)
  total=$(echo "$line" | sed -E 's/.*out of ([0-9]+).*/\1/')
  fails=$(echo "$line" | sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/')
  if [ -z "$line" ]; then failed=$((failed + 1)); status=1; return; fi
  passed=$((passed + total - fails))
  failed=$((failed + fails))
}

run_ctest build
run_ctest build-asan

run_maven() { # $1 = Maven project dir, $2 = fl-server binary, $3 = label
  rm -rf "$1/target/surefire-reports"
  (cd "$1" && mvn -B -q test -Dfl.server.bin="$2" \
      -Dfl.python="$FL_PYTHON" -Dsurefire.printSummary=true) 2>&1 | grep -vE "^\[INFO\] *$" | tail -200
  local mvn_rc=${PIPESTATUS[0]}
  # count from the JUnit XML reports
  local counts ip if_
  counts=$(python3 - "$1" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
t = f = s = 0
for p in glob.glob(sys.argv[1] + '/target/surefire-reports/TEST-*.xml'):
    r = ET.parse(p).getroot()
    t += int(r.get('tests', 0)); s += int(r.get('skipped', 0))
    f += int(r.get('failures', 0)) + int(r.get('errors', 0))
print(t - f - s, f)
PY
)
  ip=${counts% *}; if_=${counts#* }
  echo "$3: ${ip} passed, ${if_} failed"
  passed=$((passed + ip))
  failed=$((failed + if_))
  if [ "$mvn_rc" -ne 0 ] || [ "$if_" -ne 0 ] || [ "$ip" -eq 0 ]; then
    status=1
    [ "$if_" -eq 0 ] && failed=$((failed + 1))
  fi
}

if [ "${FL_TEST_SKIP_INTEROP:-0}" != "1" ]; then
  run_maven tests/interop "$ROOT/build-asan/server/fl-server" interop
  run_maven tests/flink "$ROOT/build/server/fl-server" flink
fi

echo "test.sh: ${passed} passed, ${failed} failed"
exit $status
