#!/usr/bin/env python3
"""check_iceberg.py DIR: read the Iceberg tables that `test_lake_iceberg --emit DIR` wrote with
two real Iceberg readers pinned in tests/requirements.txt, and compare them with the C test's
expectations.

DIR/wh is a Hadoop-catalog warehouse (namespace "fl"); DIR/expect holds, per table T:
  T.rows       one canonical JSON array per row (all columns incl. __bucket, __offset,
               __timestamp), sorted bytewise; value forms as lake/test_iceberg.c describes
  T.rows@ID    the rows as of snapshot ID
  T.types      [[fluss type root, precision], ...] per column
  snapshots    "T <id> <seq> <total-records> <fluss-offsets> <operation> <count> [eqdel]"

pyiceberg (StaticTable.from_metadata on the newest vN.metadata.json; it has no Hadoop catalog)
scans every table without equality deletes and every time-travel snapshot before them (it
refuses equality deletes by design), and inspects snapshots, manifest entries and files of
every table (its Avro reader requires field ids everywhere). DuckDB's iceberg_scan (the iceberg
and avro extensions from their PyPI wheels, loaded from disk: nothing is downloaded) reads every
table through version-hint.text, applying equality and position deletes, and its
iceberg_snapshots must list the same snapshots. Every row must match, in both directions.
"""
import glob
import json
import os
import struct
import sys

import pyarrow as pa


def esc(s):
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif o < 0x20:
            out.append("\\u%04x" % o)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def ts_text(v, unit):
    per_ms = {"ms": 1, "us": 1000, "ns": 1000000}[unit]
    millis, sub = divmod(v, per_ms)
    return '"ts:%d:%d"' % (millis, sub * (1000000 // per_ms))


def render(v, arrow_type, root):
    if v is None:
        return "null"
    if root == "BOOLEAN":
        return "true" if v else "false"
    if root in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "DATE", "TIME_WITHOUT_TIME_ZONE"):
        return str(int(v))
    if root == "FLOAT":
        return '"f32:%08x"' % struct.unpack("<I", struct.pack("<f", v))[0]
    if root == "DOUBLE":
        return '"f64:%016x"' % struct.unpack("<Q", struct.pack("<d", v))[0]
    if root == "DECIMAL":
        sign, digits, exp = v.as_tuple()
        unscaled = int("".join(map(str, digits)) or "0") * (10 ** (exp + arrow_type.scale))
        return '"d:%d"' % (-unscaled if sign else unscaled)
    if root in ("CHAR", "STRING"):
        return esc(v)
    if root in ("BINARY", "BYTES"):
        return '"x:%s"' % bytes(v).hex()
    if root in ("TIMESTAMP_WITHOUT_TIME_ZONE", "TIMESTAMP_WITH_LOCAL_TIME_ZONE"):
        return ts_text(v, arrow_type.unit)
    raise ValueError("no renderer for " + root)


def raw_column(col):
    """Integers for date/time/timestamp columns (time as millis of day), Python values else."""
    t = col.type
    if pa.types.is_timestamp(t):
        return col.cast(pa.int64()).to_pylist()
    if pa.types.is_date32(t):
        return col.cast(pa.int32()).to_pylist()
    if pa.types.is_time64(t):
        div = 1000 if t.unit == "us" else 1000000
        return [None if x is None else x // div for x in col.cast(pa.int64()).to_pylist()]
    return col.to_pylist()


def render_nested(v, t):
    if v is None:
        return "null"
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return "[" + ",".join(render_elem(x, t.value_type) for x in v) + "]"
    if pa.types.is_map(t):
        items = v.items() if isinstance(v, dict) else v
        return "[" + ",".join("[%s,%s]" % (render_elem(k, t.key_type), render_elem(x, t.item_type))
                              for k, x in items) + "]"
    if pa.types.is_struct(t):
        return "[" + ",".join(render_elem(v[t.field(i).name], t.field(i).type)
                              for i in range(t.num_fields)) + "]"
    raise ValueError("not nested: %s" % t)


def render_elem(v, t):
    if v is None:
        return "null"
    if pa.types.is_integer(t):
        return str(int(v))
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return esc(v)
    return render_nested(v, t)


def arrow_lines(arrow, types):
    if arrow.num_columns != len(types):
        raise AssertionError("%d columns read, expected %d: %s" % (arrow.num_columns, len(types),
                                                                   arrow.schema))
    cols = []
    for i, (root, _prec) in enumerate(types):
        col = arrow.column(i).combine_chunks()
        if root in ("ARRAY", "MAP", "ROW"):
            cols.append([render_nested(v, col.type) for v in col.to_pylist()])
        else:
            cols.append([render(v, col.type, root) for v in raw_column(col)])
    return sorted(("[" + ",".join(c[r] for c in cols) + "]" for r in range(arrow.num_rows)),
                  key=lambda s: s.encode("utf-8"))


class Checker:
    def __init__(self, base):
        self.wh = os.path.join(base, "wh", "fl")
        self.exp = os.path.join(base, "expect")
        self.failures = 0
        self.checks = 0

    def compare(self, label, got, want_file):
        want = open(want_file, encoding="utf-8").read().splitlines()
        self.checks += 1
        if got == want:
            print("ok   %s: %d rows" % (label, len(got)))
            return
        self.failures += 1
        print("FAIL %s: %d rows read, %d expected" % (label, len(got), len(want)))
        for w in sorted(set(want) - set(got))[:5]:
            print("  missing:    " + w[:300])
        for g in sorted(set(got) - set(want))[:5]:
            print("  unexpected: " + g[:300])

    def fail(self, msg):
        self.failures += 1
        print("FAIL " + msg)


def latest_metadata(table_dir):
    files = glob.glob(os.path.join(table_dir, "metadata", "v*.metadata.json"))
    return max(files, key=lambda p: int(os.path.basename(p)[1:].split(".")[0]))


def check_pyiceberg(ck, tables):
    from pyiceberg.table import StaticTable
    for name, f in tables:
        sid, seq, total, offsets, op, count = int(f[0]), int(f[1]), f[2], f[3], f[4], int(f[5])
        eqdel = "eqdel" in f[6:]
        tab = StaticTable.from_metadata(latest_metadata(os.path.join(ck.wh, name)))
        types = json.load(open(os.path.join(ck.exp, name + ".types")))
        snap = tab.current_snapshot()
        problems = []
        if snap is None or snap.snapshot_id != sid or snap.sequence_number != seq:
            problems.append("current snapshot %s" % snap)
        else:
            s = snap.summary
            if s.operation.value != op or s.get("commit-user") != "__fluss_lake_tiering" \
                    or s.get("fluss-offsets") != offsets or s.get("total-records") != total:
                problems.append("summary %s" % s)
        snaps = tab.inspect.snapshots()
        if snaps.num_rows != count:
            problems.append("%d snapshots" % snaps.num_rows)
        files = tab.inspect.files()
        entries = tab.inspect.entries()
        if files.num_rows == 0 or entries.num_rows < files.num_rows:
            problems.append("files %d entries %d" % (files.num_rows, entries.num_rows))
        contents = set(files.column("content").to_pylist())
        if eqdel and 2 not in contents:
            problems.append("no equality delete files listed: %s" % contents)
        ck.checks += 1
        if problems:
            ck.fail("pyiceberg %s: %s" % (name, "; ".join(problems)))
        else:
            print("ok   pyiceberg %s: snapshot %d seq %d, %d snapshots, %d files (content %s)"
                  % (name, sid, seq, snaps.num_rows, files.num_rows, sorted(contents)))
        if not eqdel:
            ck.compare("pyiceberg " + name, arrow_lines(tab.scan().to_arrow(), types),
                       os.path.join(ck.exp, name + ".rows"))
        for p in sorted(glob.glob(os.path.join(ck.exp, name + ".rows@*"))):
            old = int(p.rsplit("@", 1)[1])
            ck.compare("pyiceberg %s@%d" % (name, old),
                       arrow_lines(tab.scan(snapshot_id=old).to_arrow(), types), p)


def duckdb_connect():
    import duckdb
    import duckdb_extension_avro
    import duckdb_extension_iceberg
    con = duckdb.connect(config={"autoinstall_known_extensions": False,
                                 "autoload_known_extensions": False})
    for mod in (duckdb_extension_avro, duckdb_extension_iceberg):
        ext = glob.glob(os.path.join(os.path.dirname(mod.__file__), "extensions", "*",
                                     "*.duckdb_extension"))
        if not ext:
            raise RuntimeError("no extension file in " + mod.__file__)
        con.execute("LOAD '%s'" % ext[0])
    con.execute("SET TimeZone = 'UTC'")
    return con


def check_duckdb(ck, tables):
    con = duckdb_connect()
    for name, f in tables:
        sid, seq, count = int(f[0]), int(f[1]), int(f[5])
        path = os.path.join(ck.wh, name)
        types = json.load(open(os.path.join(ck.exp, name + ".types")))
        arrow = con.execute("SELECT * FROM iceberg_scan(?)", [path]).to_arrow_table()
        ck.compare("duckdb " + name, arrow_lines(arrow, types),
                   os.path.join(ck.exp, name + ".rows"))
        snaps = con.execute("SELECT sequence_number, snapshot_id FROM iceberg_snapshots(?) "
                            "ORDER BY sequence_number", [path]).fetchall()
        ck.checks += 1
        if len(snaps) != count or tuple(snaps[-1]) != (seq, sid):
            ck.fail("duckdb %s snapshots %s, expected %d ending in (%d, %d)"
                    % (name, snaps, count, seq, sid))


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    ck = Checker(sys.argv[1])
    tables = []
    for line in open(os.path.join(ck.exp, "snapshots")):
        if line.strip():
            name, *fields = line.split()
            tables.append((name, fields))
    check_pyiceberg(ck, tables)
    check_duckdb(ck, tables)
    if ck.checks == 0:
        print("FAIL: nothing checked")
        return 1
    print("%d tables, %d checks, %d failures" % (len(tables), ck.checks, ck.failures))
    return 1 if ck.failures else 0


if __name__ == "__main__":
    sys.exit(main())
