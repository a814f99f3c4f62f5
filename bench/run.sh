#!/usr/bin/env bash
# Runs the benchmarks and rewrites their sections of docs/benchmarks.md.
# Usage: bench/run.sh [rpc|log|recovery|kv|tier ...]   (default: all)
# Benchmarks are never part of the test suite; figures are ratios to limits measured in the
# same run on the same machine.
# Environment:
#   FL_BUILD_DIR   release tree to build and use (default: scripts/build.sh release -> build/)
#   FL_BENCH_DIR   a directory on the file system under test (default /tmp); the disk probes
#                  and the servers' data.dir live in a fl-bench.<pid> directory below it, deleted
#                  afterwards
#   FL_BENCH_RUNS  repetitions of log and recovery; the doc gets medians (default 3)
#   FL_BENCH_MIB   log volume per append run and per recovery log (default 1024)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${FL_BUILD_DIR-}" ]; then
  B="$FL_BUILD_DIR"
  cmake -S . -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFL_SANITIZE=OFF \
    ${FL_PYTHON+"-DFL_PYTHON=$FL_PYTHON"} >/dev/null
  ninja -j2 -C "$B" server/fl-server bench/all >/dev/null
else
  B=$(FL_PYTHON="${FL_PYTHON-}" scripts/build.sh release)
fi
DOC=docs/benchmarks.md
WORK="${FL_BENCH_DIR:-/tmp}/fl-bench.$$"
trap 'rm -rf "$WORK"' EXIT
RUNS="${FL_BENCH_RUNS:-3}"
MIB="${FL_BENCH_MIB:-1024}"
[ $# -gt 0 ] || set -- rpc log recovery kv tier
which=("$@")

machine() {
  echo "$(nproc) cores, $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo), $(free -g | awk '/Mem:/{print $2}') GiB"
}

# replace_section NAME FILE: put FILE's content between the section markers in $DOC
replace_section() {
  python3 - "$DOC" "$1" "$2" <<'PY'
import sys, re
doc, name, body = sys.argv[1], sys.argv[2], open(sys.argv[3]).read()
start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
s = open(doc).read()
block = f"{start}\n{body.rstrip()}\n{end}"
if start in s:
    s = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda m: block, s, flags=re.S)
else:
    s = s.rstrip() + "\n\n" + block + "\n"
open(doc, "w").write(s)
PY
}

# report KIND OUT MACHINE DAY REV FS RUN_OUTPUT...: the log / recovery section from the
# "key value" outputs of several runs (medians; ratio ranges over the runs)
report() {
  python3 - "$@" <<'PY'
import os, sys, statistics as st
kind, path, machine, day, rev, fs = sys.argv[1:7]
machine += f" (load average {os.environ.get('FL_LOAD', '?')} at the start)"
runs = [dict(l.split() for l in open(f) if l.strip()) for f in sys.argv[7:]]
def v(k): return [float(r[k]) for r in runs]
def med(k): return st.median(v(k))
def ratio(a, b):
    rs = [float(r[a]) / float(r[b]) for r in runs]
    m = st.median(rs)
    return f"{m:.2f}" + (f" ({min(rs):.2f}-{max(rs):.2f})" if len(rs) > 1 else "")
n = len(runs)
out = []
w = out.append
if kind == "log":
    r0 = runs[0]
    w("### Log append and fetch (bench/bench_log.c)\n")
    w(f"Run {day} at {rev} on {machine}; data on {fs}. Medians of {n} runs; ratios are "
      f"per run (median, and the range over the runs in brackets). {r0['connections']} "
      f"connections, one bucket each, {r0['depth']} ProduceLog requests (acks=-1, one batch "
      f"each) in flight per connection; INDEXED rows (INT, BIGINT, 100-byte STRING): "
      f"{r0['append_1m_interval_rows_per_batch']} rows in a 1 MiB batch, "
      f"{r0['append_16k_interval_rows_per_batch']} in a 16 KiB one. Each append run starts a "
      f"fresh fl-server and stops after {r0['log_mib']} MiB or {float(r0['seconds']):.0f} s "
      f"({4 * float(r0['seconds']):.0f} s for the 1 MiB run that feeds the fetch).\n")
    w("| limit of this machine, same runs | result |")
    w("|---|---|")
    w(f"| disk: sequential write of {r0['log_mib']} MiB in 1 MiB pwrite()s, then one fdatasync "
      f"(the second of two passes) | "
      f"{med('disk_seq_mb_per_s'):.0f} MB/s |")
    w(f"| the same pwrite()s alone (page cache, before the fdatasync) | {med('disk_cache_mb_per_s'):.0f} MB/s |")
    w(f"| disk: pwrite + fdatasync per 1 MiB (growing file) | {med('disk_fsync_1m_per_s'):.0f}/s = "
      f"{med('disk_fsync_1m_mb_per_s'):.0f} MB/s |")
    w(f"| disk: pwrite + fdatasync per 16 KiB | {med('disk_fsync_16k_per_s'):.0f}/s = "
      f"{med('disk_fsync_16k_mb_per_s'):.1f} MB/s |")
    w(f"| loopback: one TCP stream, 1 MiB writes | {med('loopback_mb_per_s'):.0f} MB/s |")
    w("")
    w("| measurement | result | limit | ratio |")
    w("|---|---|---|---|")
    for tag, what, lim, limtxt in [
        ("1m_interval", "append, 1 MiB batches, default flush (fsync in the background every 5 s)",
         "disk_seq_mb_per_s", "sequential write"),
        ("16k_interval", "append, 16 KiB batches, default flush", "disk_seq_mb_per_s", "sequential write"),
        ("1m_fsync", "append, 1 MiB batches, fsync per group commit (log.flush.interval-messages=1)",
         "disk_fsync_1m_mb_per_s", "fdatasync per 1 MiB"),
        ("16k_fsync", "append, 16 KiB batches, fsync per group commit", "disk_fsync_16k_mb_per_s",
         "fdatasync per 16 KiB")]:
        w(f"| {what} | {med('append_' + tag + '_mb_per_s'):.0f} MB/s, "
          f"{med('append_' + tag + '_rows_per_s') / 1e6:.2f} M rows/s | {limtxt}: {med(lim):.0f} MB/s | "
          f"{ratio('append_' + tag + '_mb_per_s', lim)} |")
    w(f"| fetch from offset 0 of the {med('fetch_mib'):.0f} MiB appended above (once its background "
      f"flush is done, {med('fetch_flush_wait_s'):.0f} s after the append), 1 MiB per bucket per "
      f"request, pipelined ({r0['depth']} in flight), {r0['connections']} buckets in parallel | "
      f"{med('fetch_mb_per_s'):.0f} MB/s | loopback: {med('loopback_mb_per_s'):.0f} MB/s | "
      f"{ratio('fetch_mb_per_s', 'loopback_mb_per_s')} |")
    w(f"| the same fetch as the Java client issues it: one request at a time naming every bucket "
      f"(1 MiB each, 16 MiB per request) | {med('fetch_client_mb_per_s'):.0f} MB/s | loopback | "
      f"{ratio('fetch_client_mb_per_s', 'loopback_mb_per_s')} |")
    w(f"| fl-server peak RSS (VmHWM) after the 1 MiB append run | "
      f"{med('append_1m_interval_hwm_kb') / 1024:.0f} MiB | | |")
    w(f"| ... after both fetches | {med('fetch_hwm_kb') / 1024:.0f} MiB | | |")
    w(f"| ... after the 16 KiB append run | {med('append_16k_interval_hwm_kb') / 1024:.0f} MiB | | |")
    a = st.median([float(r['append_1m_interval_mb_per_s']) / float(r['disk_seq_mb_per_s']) for r in runs])
    f = st.median([float(r['fetch_mb_per_s']) / float(r['loopback_mb_per_s']) for r in runs])
    w("")
    w(f"Targets: append with 1 MiB batches and no per-batch fsync at least 0.70 of the disk "
      f"limit: **{'met' if a >= 0.7 else 'not met'}** ({a:.2f}); fetch at least 0.50 of "
      f"loopback: **{'met' if f >= 0.5 else 'not met'}** ({f:.2f} pipelined).")
else:
    r0 = runs[0]
    w("### Restart after kill -9 (bench/bench_recovery.c)\n")
    w(f"Run {day} at {rev} on {machine}; data on {fs}. Medians of {n} runs (range in brackets). "
      f"Log of {med('srv_log_mib'):.0f} MiB in 1 MiB batches in one bucket; at the kill "
      f"{med('srv_tail_mib'):.0f} MiB lay after the recovery point (appended after the background "
      f"checkpoint, acknowledged, not yet fsynced). Target: the bucket serves again in under a "
      f"second.\n")
    def ms(k, scale=1e-3):
        xs = [x * scale for x in v(k)]
        m = st.median(xs)
        p = 2 if m < 1 else 1
        return f"{m:.{p}f} ms" + (f" ({min(xs):.{p}f}-{max(xs):.{p}f})" if len(xs) > 1 else "")
    w("| measurement | time | bytes scanned |")
    w("|---|---|---|")
    w(f"| fl-server restarted: exec until the port accepts | {ms('srv_listen_ms', 1)} | |")
    w(f"| ... exec until the bucket's first ListOffsets is answered (its log opens on that request) | "
      f"{ms('srv_first_list_ms', 1)} | {med('srv_tail_mib'):.0f} MiB |")
    w(f"| ... that first ListOffsets alone (log open, writer-state replay of the tail) | "
      f"{ms('srv_first_list_only_ms', 1)} | |")
    w(f"| ... of which fl_logstore_open (the server's \"recovered in\" log line) | {ms('srv_open_us')} | |")
    w(f"| ... the next ListOffsets | {ms('srv_next_list_us')} | |")
    w(f"| fl_logstore_open after a crash, recovery point, page cache warm | {ms('store_warm_us')} | "
      f"{med('store_warm_scanned_mib'):.0f} MiB of {med('store_log_mib'):.0f} |")
    w(f"| ... page cache dropped (posix_fadvise) | {ms('store_cold_us')} | {med('store_cold_scanned_mib'):.0f} MiB |")
    w(f"| ... recovery point deleted: whole log scanned, page cache warm | {ms('store_full_warm_us')} | "
      f"{med('store_full_warm_scanned_mib'):.0f} MiB |")
    w(f"| ... whole log scanned, page cache dropped | {ms('store_full_cold_us')} | "
      f"{med('store_full_cold_scanned_mib'):.0f} MiB |")
    w(f"| ... after a clean close | {ms('store_clean_us')} | {med('store_clean_scanned_mib'):.0f} MiB |")
    w(f"| fl_logstore_append of the log (no server, 1 MiB batches, then one flush) | "
      f"{med('store_append_mb_per_s'):.0f} MB/s | |")
    t = st.median(v('srv_first_list_ms'))
    w("")
    w(f"Target: under a second from restart to a served bucket: **{'met' if t < 1000 else 'not met'}** "
      f"({t:.0f} ms).")
open(path, "w").write("\n".join(out) + "\n")
PY
}

# ---- kv: primary-key tables beside RocksDB's db_bench (bench/bench_kv.c) ----------------------
# db_bench comes from Debian's rocksdb-tools (apt-get install rocksdb-tools). Each run: db_bench
# fillrandom,readrandom with the options of storage/fl_kvstore.c, then a fresh fl-server per
# entry of KV_RUNS (batch KiB[:changelog log format]). Environment: FL_BENCH_KV_KEYS (default
# 1000000), FL_BENCH_RUNS (medians, default 3), FL_DB_BENCH (default: db_bench on PATH).
KV_RUNS="2048,64,64:COMPACTED"
bench_kv_section() {
  local dbb="${FL_DB_BENCH:-db_bench}" keys="${FL_BENCH_KV_KEYS:-1000000}" outs=() o i fs tmp load
  command -v "$dbb" >/dev/null || { echo "kv: $dbb not found (apt-get install rocksdb-tools)" >&2; exit 1; }
  mkdir -p "$WORK/kv"
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  for ((i = 1; i <= RUNS; i++)); do
    o=$(mktemp)
    "$B/bench/bench_kv" "$B/server/fl-server" "$WORK/kv" "$keys" 4 4 "$KV_RUNS" 1 ARROW "$dbb" >"$o"
    outs+=("$o")
  done
  fs=$(df -PT "$WORK/kv" | awk 'NR==2{print $2 " on " $1}')
  tmp=$(mktemp)
  python3 - "$tmp" "$(machine)" "$(date -u +%Y-%m-%d)" "$(git rev-parse --short HEAD)" "$fs" \
    "$load" "$("$dbb" --version 2>&1 | head -1)" "${outs[@]}" <<'PY'
import sys, statistics as st
path, machine, day, rev, fs, load, dbbv = sys.argv[1:8]
runs = [{k: x.strip() for k, x in (l.split(None, 1) for l in open(f) if l.strip())}
        for f in sys.argv[8:]]
r0, n = runs[0], len(runs)
def v(k): return [float(r[k]) for r in runs]
def med(k): return st.median(v(k))
def ratio(a, b):
    rs = [float(r[a]) / float(r[b]) for r in runs]
    m = st.median(rs)
    return m, f"{m:.2f}" + (f" ({min(rs):.2f}-{max(rs):.2f})" if n > 1 else "")
keys = int(r0['keys'])
tags = []
for e in r0['batch_kib'].split(','):
    kib, _, fmt = e.partition(':')
    tags.append((f"{(fmt or r0['log_format'].strip()).lower()}_{kib}k", int(kib), (fmt or r0['log_format'].strip()).upper()))
mib = lambda kb: f"{kb / 1024:.0f} MiB"
out = []
w = out.append
w("### Upserts and lookups beside RocksDB's db_bench (bench/bench_kv.c)\n")
w(f"Run {day} at {rev} on {machine} (load average {load} before the first run); data on {fs}; "
  f"{dbbv.strip()} (Debian rocksdb-tools). Medians of {n} runs; ratios are per run (median, "
  f"range over the runs in brackets).\n")
w(f"Workload, both sides: {keys:,} writes of {r0['key_bytes'].strip()}-byte keys drawn uniformly "
  f"with replacement from a space of {keys:,} ({int(med('distinct_keys')):,} distinct, the rest "
  f"updates), {r0['value_bytes'].strip()}-byte values that compress to about half, then {keys:,} "
  f"point reads. RocksDB options on both sides are those of storage/fl_kvstore.c: block cache "
  f"{int(r0['block_cache_bytes']) >> 20} MiB LRU (kv.rocksdb.block.cache-size, the server's "
  f"default; db_bench --cache_size), memtables {int(r0['write_buffer_bytes']) >> 20} MiB x "
  f"{r0['write_buffer_count'].strip()}, {int(r0['block_bytes']) >> 10} KiB blocks, "
  f"{r0['compression'].strip().upper()}, 10-bit bloom filters, index and filter blocks in the "
  f"cache, memtable whole-key bloom filter ({r0.get('memtable_bloom_pct', '0').strip()} % of the "
  f"memtable; db_bench --memtable_bloom_size_ratio, --memtable_whole_key_filtering), 256 open files, 2 background jobs, WAL on and not synced. fl-server: table "
  f"(k STRING NOT NULL PRIMARY KEY, v BYTES), {r0['buckets'].strip()} bucket (one RocksDB "
  f"instance, like db_bench's), kv format COMPACTED, default flush policy; KvRecordBatches of "
  f"CompactedRows with CompactedKeyEncoder keys (17 bytes: length + 16), PutKv v1 with acks=-1, "
  f"one batch per request, {r0['connections'].strip()} connections x {r0['depth'].strip()} "
  f"requests in flight; then Lookup v1 requests of {r0['lookup_keys_per_request'].strip()} keys "
  f"(client.lookup.max-batch-size) pipelined the same way, keys drawn only from those written. "
  f"Every fl-server run starts from an empty data.dir.\n")
w("| measurement | fl-server | db_bench, same run | ratio |")
w("|---|---|---|---|")
for tag, kib, fmt in tags:
    what = (f"upserts, {kib // 1024} MiB batches (client.writer.batch-size default)" if kib >= 1024
            else f"upserts, {kib} KiB batches")
    what += f", {fmt} changelog" + (" (table.log.format default)" if fmt == "ARROW" else "")
    w(f"| {what}, {med(tag + '_records_per_batch'):.0f} records per batch | "
      f"{med(tag + '_upserts_per_s') / 1e3:.0f} k/s | fillrandom {med('dbb_fill_ops_per_s') / 1e3:.0f} k/s | "
      f"{ratio(tag + '_upserts_per_s', 'dbb_fill_ops_per_s')[1]} |")
found = med('dbb_read_found') / keys
for tag, kib, fmt in tags:
    w(f"| lookups after that fill ({kib} KiB, {fmt}) | {med(tag + '_lookups_per_s') / 1e3:.0f} k/s, "
      f"all found | readrandom {med('dbb_read_ops_per_s') / 1e3:.0f} k/s, {found:.0%} found | "
      f"{ratio(tag + '_lookups_per_s', 'dbb_read_ops_per_s')[1]} |")
hwm = ", ".join(f"{mib(med(t + '_hwm_kb'))} ({k} KiB {f})" for t, k, f in tags)
w(f"| peak RSS (VmHWM of fl-server; db_bench's maxrss) | {hwm} | {mib(med('dbb_maxrss_kb'))} | |")
w(f"| RocksDB block cache, both | {int(r0['block_cache_bytes']) >> 20} MiB | "
  f"{int(r0['block_cache_bytes']) >> 20} MiB | |")
t0 = tags[0][0]
u, _ = ratio(t0 + '_upserts_per_s', 'dbb_fill_ops_per_s')
l, _ = ratio(t0 + '_lookups_per_s', 'dbb_read_ops_per_s')
ub = max(ratio(t + '_upserts_per_s', 'dbb_fill_ops_per_s')[0] for t, _, _ in tags)
w("")
w(f"Target: at least 0.80 of db_bench for both, with the client's default batch size: upserts "
  f"**{'met' if u >= 0.8 else 'not met'}** ({u:.2f}; best configuration above {ub:.2f}), lookups "
  f"**{'met' if l >= 0.8 else 'not met'}** ({l:.2f}).\n")
w("What the ratio means. db_bench is RocksDB's own benchmark calling the library in-process: "
  "fillrandom is one `Put` per write (each its own write batch), readrandom one `Get` per read, "
  "on one thread. fl-server does that storage work and more for every record: the key and row "
  "cross loopback TCP inside a PutKv request; the batch is validated (CRC, framing, schema id); "
  "the key's current value is read first (read-before-write, as Fluss's KvTablet does, to emit "
  "the changelog; all keys of a batch in one batched MultiGet); the row is decoded and re-encoded; a changelog batch (+I for a new key, -U and "
  "+U for an update) is built in the table's log format and appended to the bucket's log; the "
  "new values are written to RocksDB in one write batch per group commit, and the acks=-1 "
  "answer waits for that commit. A ratio of 1.00 would mean all of that costs no more than "
  "RocksDB's bare `Put`; the ratio is the share of the storage engine's own write rate that the "
  "server keeps. For lookups the ratio is the share of RocksDB's point-read rate kept while keys "
  "arrive over the wire, 128 per request, and every value is copied into the response. It is "
  "conservative: readrandom misses about a third of its reads, which the bloom filter answers "
  "cheaply, while every fl-server lookup hits. The benchmark client and RocksDB's background "
  "jobs share the machine's cores with the server's single event-loop thread.")
open(path, "w").write("\n".join(out) + "\n")
PY
  grep -q "bench:kv:start" "$DOC" ||
    printf '\n## Primary-key tables\n\n<!-- bench:kv:start -->\n<!-- bench:kv:end -->\n' >>"$DOC"
  replace_section kv "$tmp"
  rm -f "$tmp" "${outs[@]}"
  rm -rf "$WORK/kv"
}
# ---- end of kv ---------------------------------------------------------------------------------

# ---- tier: lake tiering to Paimon and Iceberg (bench/bench_tier.c) -----------------------------
# One run (about 3 minutes): a throughput phase (FL_BENCH_TIER_ROWS rows, default 5000000,
# appended as fast as acknowledged, freshness 1s) and a lag phase (FL_BENCH_TIER_RATE rows/s,
# default 20000, for FL_BENCH_TIER_SECS s, default 60, freshness 5s), each on a fresh fl-server
# with -Ddatalake.format=paimon; then the throughput phase again with -Ddatalake.format=iceberg
# (keys prefixed iceberg_, no lag phase).
bench_tier_section() {
  local o tmp fs load0 load1
  mkdir -p "$WORK/tier"
  load0=$(cut -d' ' -f1-3 /proc/loadavg)
  o=$(mktemp)
  "$B/bench/bench_tier" "$B/server/fl-server" "$WORK/tier" "${FL_BENCH_TIER_ROWS:-5000000}" \
    "${FL_BENCH_TIER_RATE:-20000}" "${FL_BENCH_TIER_SECS:-60}" >"$o"
  "$B/bench/bench_tier" "$B/server/fl-server" "$WORK/tier" "${FL_BENCH_TIER_ROWS:-5000000}" 0 0 \
    iceberg >>"$o"
  load1=$(cut -d' ' -f1-3 /proc/loadavg)
  fs=$(df -PT "$WORK/tier" | awk 'NR==2{print $2 " on " $1}')
  tmp=$(mktemp)
  python3 - "$tmp" "$(machine)" "$(date -u +%Y-%m-%d)" "$(git rev-parse --short HEAD)" "$fs" \
    "$load0" "$load1" "$o" <<'PY'
import sys
path, machine, day, rev, fs, load0, load1, res = sys.argv[1:9]
r = {k: x.strip() for k, x in (l.split(None, 1) for l in open(res) if l.strip())}
f = lambda k: float(r[k])
out = []
w = out.append
w("### Lake tiering to Paimon and Iceberg (bench/bench_tier.c)\n")
w(f"Run {day} at {rev} on {machine} (load average {load0} before the run, {load1} after); data "
  f"on {fs}. One run. fl-server with `-Ddatalake.format=paimon` (Paimon warehouse under "
  f"data.dir, Parquet with ZSTD), a fresh data.dir per phase. Table (id BIGINT NOT NULL, name "
  f"STRING, amount DOUBLE, ts BIGINT), INDEXED log format, {r['buckets']} buckets, "
  f"table.datalake.enabled=true; ProduceLog acks=-1 batches of {r['batch_rows']} distinct rows "
  f"(ascending ids, 2^17 distinct names, pseudo-random amounts), one connection per bucket. The "
  f"tiering thread's time and rows are the sums of the server's `lake snapshot N: R rows ..., in "
  f"T ms` lines; its CPU time is utime+stime of that thread (/proc/<pid>/task/<tid>/stat, the "
  f"thread at nice 10, which on a busy machine also makes its rounds wait for a core: compare "
  f"the rounds' wall time with the CPU time); Parquet bytes are the .parquet files under the "
  f"Paimon table after the run. The throughput phase then ran again on a fresh fl-server with "
  f"`-Ddatalake.format=iceberg` (Iceberg warehouse under data.dir, format-version 2; Parquet "
  f"bytes are the .parquet files under the table's data/, metadata/ not counted); its rows "
  f"follow Paimon's, with the same disk limit.\n")
tsec = f('tput_round_secs')
w(f"Throughput: {int(f('tput_rows')):,} rows ({f('tput_log_mb'):.0f} MB of log batches) appended as "
  f"fast as acknowledged ({r['depth']} requests in flight per connection) with "
  f"table.datalake.freshness {r['tput_freshness_s']}s, so rounds ran during the append; then "
  f"GetLakeSnapshot every 10 ms until the lake offsets reached the log end.\n")
w("| measurement | result | limit measured in the same run | ratio |")
w("|---|---|---|---|")
w(f"| tiering rounds: wall time inside the tiering thread ({r['tput_rounds']} rounds, longest "
  f"{f('tput_round_max_ms'):.0f} ms) | {tsec:.2f} s for {int(f('tput_round_rows')):,} rows = "
  f"{f('tput_tier_rows_per_s') / 1e3:.0f} k rows/s, {f('tput_log_mb_per_s'):.0f} MB/s of log read | | |")
w(f"| tiering thread CPU time | {f('tput_tier_cpu_s'):.2f} s = "
  f"**{f('tput_tier_rows_per_cpu_s') / 1e3:.0f} k rows/s per core** | one core | "
  f"{f('tput_tier_cpu_s') / tsec:.2f} of the rounds' wall time on CPU |")
w(f"| Parquet written ({r['tput_parquet_files']} files, {f('tput_parquet_mb'):.1f} MB; "
  f"{f('tput_log_mb') / max(f('tput_parquet_mb'), 1e-9):.1f}x smaller than the log) | "
  f"{f('tput_parquet_mb_per_s'):.1f} MB/s over the rounds' wall time, "
  f"{f('tput_parquet_mb_per_cpu_s'):.1f} MB/s per core | disk: sequential write + fdatasync "
  f"{f('disk_seq_mb_per_s'):.0f} MB/s | {f('tput_parquet_mb_per_s') / f('disk_seq_mb_per_s'):.3f} |")
w(f"| log read by the rounds, per round wall time | {f('tput_log_mb_per_s'):.0f} MB/s | disk: "
  f"{f('disk_seq_mb_per_s'):.0f} MB/s | {f('tput_log_mb_per_s') / f('disk_seq_mb_per_s'):.3f} |")
w(f"| append while tiering ran | {f('tput_append_rows_per_s') / 1e6:.2f} M rows/s in "
  f"{f('tput_append_secs'):.1f} s | | |")
w(f"| last acknowledgement until the lake reached the log end | {f('tput_catchup_secs'):.1f} s "
  f"(first send to lake at the end: {f('tput_total_secs'):.1f} s) | | |")
w(f"| fl-server CPU time during the phase (all threads) | {f('tput_server_cpu_s'):.1f} s; peak "
  f"RSS {f('tput_hwm_kb') / 1024:.0f} MiB | | |")
w(f"| check: lake snapshot offsets sum to the appended row count | {int(f('tput_lake_rows')):,} of "
  f"{int(f('tput_rows')):,}: **{'ok' if r['tput_ok'] == '1' else 'FAILED'}** | | |")
if 'iceberg_tput_ok' in r:
    g = lambda k: f('iceberg_' + k)
    isec, icpu, imb = g('tput_round_secs'), g('tput_tier_cpu_s'), g('tput_parquet_mb')
    w(f"| **Iceberg**: tiering rounds ({r['iceberg_tput_rounds']} rounds, longest "
      f"{g('tput_round_max_ms'):.0f} ms) | {isec:.2f} s for {int(g('tput_round_rows')):,} rows = "
      f"{g('tput_tier_rows_per_s') / 1e3:.0f} k rows/s, {g('tput_log_mb_per_s'):.0f} MB/s of log read "
      f"| Paimon above | {g('tput_tier_rows_per_s') / max(f('tput_tier_rows_per_s'), 1e-9):.2f} |")
    w(f"| Iceberg: tiering thread CPU time | {icpu:.2f} s = "
      f"**{g('tput_tier_rows_per_cpu_s') / 1e3:.0f} k rows/s per core** | one core | "
      f"{icpu / max(isec, 1e-9):.2f} of the rounds' wall time on CPU |")
    w(f"| Iceberg: Parquet written ({r['iceberg_tput_parquet_files']} files, {imb:.1f} MB; "
      f"{g('tput_log_mb') / max(imb, 1e-9):.1f}x smaller than the log) | "
      f"{g('tput_parquet_mb_per_s'):.1f} MB/s over the rounds' wall time, "
      f"{g('tput_parquet_mb_per_cpu_s'):.1f} MB/s per core | disk: sequential write + fdatasync "
      f"{f('disk_seq_mb_per_s'):.0f} MB/s | {g('tput_parquet_mb_per_s') / f('disk_seq_mb_per_s'):.3f} |")
    w(f"| Iceberg: append while tiering ran; catch-up | {g('tput_append_rows_per_s') / 1e6:.2f} M "
      f"rows/s in {g('tput_append_secs'):.1f} s; lake at the log end {g('tput_catchup_secs'):.1f} s "
      f"after the last acknowledgement | | |")
    w(f"| Iceberg: fl-server CPU time during the phase (all threads) | {g('tput_server_cpu_s'):.1f} s; "
      f"peak RSS {g('tput_hwm_kb') / 1024:.0f} MiB | | |")
    w(f"| Iceberg check: lake snapshot offsets sum to the appended row count | "
      f"{int(g('tput_lake_rows')):,} of {int(g('tput_rows')):,}: "
      f"**{'ok' if r['iceberg_tput_ok'] == '1' else 'FAILED'}** | | |")
w("")
fr = f('lag_freshness_s') * 1e3
rm = f('lag_round_mean_ms')
target = fr + rm
w(f"Lag: {f('lag_rate_rows_per_s') / 1e3:.0f} k rows/s (achieved "
  f"{f('lag_achieved_rows_per_s') / 1e3:.1f} k) for {f('lag_secs'):.0f} s, one {r['batch_rows']}-row "
  f"batch at a time round robin over the buckets, table.datalake.freshness {fr / 1e3:.0f}s; "
  f"GetLakeSnapshot every 10 ms. A batch's lag runs from its acknowledgement to the first poll "
  f"whose lake offset for its bucket covers it ({r['lag_measured']} of {r['lag_batches']} batches "
  f"measured). {r['lag_rounds']} rounds, {rm:.0f} ms on average (longest "
  f"{f('lag_round_max_ms'):.0f} ms). Target: freshness plus one round = {target:.0f} ms.\n")
w("| lag | p50 | p90 | p99 | max | mean |")
w("|---|---|---|---|---|---|")
w(f"| ms | {f('lag_p50_ms'):.0f} | {f('lag_p90_ms'):.0f} | {f('lag_p99_ms'):.0f} | "
  f"{f('lag_max_ms'):.0f} | {f('lag_mean_ms'):.0f} |")
w(f"| / target ({target:.0f} ms) | {f('lag_p50_ms') / target:.2f} | {f('lag_p90_ms') / target:.2f} | "
  f"{f('lag_p99_ms') / target:.2f} | {f('lag_max_ms') / target:.2f} | {f('lag_mean_ms') / target:.2f} |")
w("")
p99, mx = f('lag_p99_ms'), f('lag_max_ms')
w(f"Target, lag within freshness plus one round: p99 **{'met' if p99 <= target else 'not met'}** "
  f"({p99:.0f} ms), max **{'met' if mx <= target else 'not met'}** ({mx:.0f} ms). Check: lake "
  f"offsets sum to the appended {int(f('lag_appended_rows')):,} rows: "
  f"**{'ok' if r['lag_ok'] == '1' else 'FAILED'}**.\n")
w("How to read the lag. A round is due a freshness interval after the previous round was "
  "planned (or at once when that round took longer or was cut at the round's byte budget); "
  "the server's timer is set for the moment the next table is due, and a round tiers up to the "
  "high watermark when it is planned. A batch acknowledged just after a round was planned waits "
  "the freshness and then that next round; one acknowledged just before waits about one round. "
  "So lags spread between about one round and freshness plus one round, plus up to 10 ms of "
  "polling by the benchmark; the target uses the mean round, so a batch covered by a longer "
  "round than the mean can exceed it. The p50 is near half the freshness.")
open(path, "w").write("\n".join(out) + "\n")
PY
  grep -q "bench:tier:start" "$DOC" ||
    printf '\n## Lake tiering\n\n<!-- bench:tier:start -->\n<!-- bench:tier:end -->\n' >>"$DOC"
  replace_section tier "$tmp"
  rm -f "$tmp" "$o"
  rm -rf "$WORK/tier"
}
# ---- end of tier -------------------------------------------------------------------------------

for b in "${which[@]}"; do
  case "$b" in
    rpc)
      out=$("$B/bench/bench_rpc" "$B/server/fl-server" 5 4 64)
      get() { echo "$out" | awk -v k="$1" '$1==k{print $2}'; }
      tmp=$(mktemp)
      python3 - "$tmp" "$(machine)" "$(date -u +%Y-%m-%d)" "$(git rev-parse --short HEAD)" <<PY
import sys
out = """$out"""
v = dict(l.split() for l in out.strip().splitlines())
f = lambda k: float(v[k])
path, machine, day, rev = sys.argv[1:5]
ratio = f('server_rps') / f('loopback_echo_rps')
open(path, "w").write(f"""### Frame codec and ApiVersions round trip (bench/bench_rpc.c)

Run {day} at {rev} on {machine}: {v['connections']} connections, {v['depth']} requests in flight
on each, {v['seconds']} s per measurement, request {v['request_bytes']} B, response {v['response_bytes']} B.

| measurement | result | limit measured in the same run | ratio |
|---|---|---|---|
| frame codec: encode + parse header + unpack body | {f('codec_frames_per_s')/1e6:.2f} M frames/s | (CPU bound, one core) | |
| ApiVersions round trips against fl-server | {f('server_rps')/1e3:.0f} k req/s | loopback echo, same sizes and pipelining: {f('loopback_echo_rps')/1e3:.0f} k req/s | {ratio:.2f} |
| loopback bandwidth, one stream, 1 MiB writes | {f('loopback_mb_per_s'):.0f} MB/s | | |
| fl-server resident set size after the run | {int(v['server_rss_kb'])/1024:.1f} MiB | | |

The echo server does no protocol work at all (it replays a recorded response per request
frame), so the ratio is the share of the raw loopback request rate that fl-server reaches while
decoding, dispatching and encoding every request on its single event-loop thread.
""")
PY
      replace_section rpc "$tmp"; rm -f "$tmp" ;;
    log|recovery)
      mkdir -p "$WORK"
      load=$(cut -d' ' -f1-3 /proc/loadavg)
      outs=()
      for ((i = 1; i <= RUNS; i++)); do
        o=$(mktemp)
        if [ "$b" = log ]; then
          "$B/bench/bench_log" "$B/server/fl-server" "$WORK" "$MIB" 4 8 15 >"$o"
        else
          "$B/bench/bench_recovery" "$B/server/fl-server" "$WORK" "$MIB" 64 >"$o"
        fi
        outs+=("$o")
      done
      fs=$(df -PT "$WORK" | awk 'NR==2{print $2 " on " $1}')
      tmp=$(mktemp)
      FL_LOAD="$load" report "$b" "$tmp" "$(machine)" "$(date -u +%Y-%m-%d)" \
        "$(git rev-parse --short HEAD)" "$fs" "${outs[@]}"
      replace_section "$b" "$tmp"; rm -f "$tmp" "${outs[@]}"
      rm -rf "$WORK" ;;
    kv) bench_kv_section ;;
    tier) bench_tier_section ;;
    *) echo "unknown benchmark $b" >&2; exit 2 ;;
  esac
done
echo "updated $DOC"
