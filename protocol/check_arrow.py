#!/usr/bin/env python3
"""check_arrow.py: fl_arrow against pyarrow, the reference Arrow IPC implementation.

Usage: check_arrow.py <test_protocol_arrow binary> <scratch dir>

1. The C test writes IPC streams (our Schema message + our RecordBatch messages, uncompressed,
   LZ4_FRAME and ZSTD, and a projected batch); pyarrow must read them, validate them fully and
   return the expected schema (the one Fluss's ArrowUtils.toArrowSchema derives) and values.
2. pyarrow writes the same rows (uncompressed, LZ4_FRAME, ZSTD, in two batches); the C decoder
   must decode them to the same values (`test_protocol_arrow --read FILE`).

Rows come from gen_value(), which must stay in step with gen_datum() in test_arrow.c.
"""
import decimal
import os
import subprocess
import sys

import pyarrow as pa

ROWS = 37

SCHEMA = pa.schema([
    pa.field("c_bool", pa.bool_()),
    pa.field("c_tinyint", pa.int8()),
    pa.field("c_smallint", pa.int16()),
    pa.field("c_int", pa.int32(), nullable=False),
    pa.field("c_bigint", pa.int64()),
    pa.field("c_float", pa.float32()),
    pa.field("c_double", pa.float64()),
    pa.field("c_dec10", pa.decimal128(10, 2)),
    pa.field("c_dec30", pa.decimal128(30, 5)),
    pa.field("c_char", pa.utf8()),
    pa.field("c_string", pa.utf8()),
    pa.field("c_binary", pa.binary(4)),
    pa.field("c_bytes", pa.binary()),
    pa.field("c_date", pa.date32()),
    pa.field("c_time0", pa.time32("s")),
    pa.field("c_time3", pa.time32("ms")),
    pa.field("c_time6", pa.time64("us")),
    pa.field("c_time9", pa.time64("ns")),
    pa.field("c_ts0", pa.timestamp("s")),
    pa.field("c_ts3", pa.timestamp("ms")),
    pa.field("c_ts6", pa.timestamp("us")),
    pa.field("c_ts9", pa.timestamp("ns")),
    pa.field("c_ltz3", pa.timestamp("ms")),
    pa.field("c_ltz6", pa.timestamp("us")),
    pa.field("c_arr", pa.list_(pa.field("element", pa.int32()))),
    pa.field("c_map", pa.map_(pa.field("key", pa.utf8(), nullable=False),
                              pa.field("value", pa.int64()))),
    pa.field("c_row", pa.struct([pa.field("x", pa.int32()), pa.field("y", pa.utf8())])),
    pa.field("c_arr2", pa.list_(pa.field("element",
                                          pa.list_(pa.field("element", pa.utf8()))))),
])

PROJECTION = [1, 8, 10, 24, 25, 26, 27]


def dec(unscaled, scale):
    with decimal.localcontext() as ctx:
        ctx.prec = 60
        return decimal.Decimal(unscaled).scaleb(-scale)


def gen_value(c, i):
    """Column c of row i, in Arrow storage units (seconds for time32('s'), ...)."""
    if SCHEMA.field(c).nullable and (i * 7 + c) % 5 == 0:
        return None
    ts_ms = i * 86400123 - 100000000000
    time_ms = (i * 3723456 + c) % 86400000
    if c == 0: return i % 3 == 0
    if c == 1: return (i * 37) % 256 - 128
    if c == 2: return i * 1001 - 20000
    if c == 3: return i * 123457 - 1000000
    if c == 4: return i * 9876543210123 - 5000000000000000
    if c == 5: return i * 1.5 - 7.25
    if c == 6: return i * 0.1 - 3.0
    if c == 7: return dec(i * 12345 - 100000, 2)
    if c == 8: return dec((i - 18) * 10**20 + i, 5)
    if c == 9: return "ch%d" % (i % 1000)
    if c == 10: return ("s%d-\u00e9" % i) * (i % 4)
    if c == 11: return bytes([i & 255, (i + 1) & 255, (i + 2) & 255, (255 - i) & 255])
    if c == 12: return bytes((i + k) & 255 for k in range(i % 5))
    if c == 13: return i * 100 - 2000
    if c == 14: return (i * 3723000) % 86400000 // 1000
    if c == 15: return time_ms
    if c == 16: return time_ms * 1000
    if c == 17: return time_ms * 1000000
    if c == 18: return (i * 86400000 - 100000000000) // 1000
    if c in (19, 22): return ts_ms
    if c in (20, 23): return ts_ms * 1000 + (i * 7919) % 1000
    if c == 21: return ts_ms * 1000000 + (i * 7919) % 1000000
    if c == 24: return [None if k == 2 else i * 10 + k for k in range(i % 4)]
    if c == 25: return [("k%d" % k, None if k == 1 else i * 100 + k) for k in range(i % 3)]
    if c == 26: return {"x": i, "y": None if i % 4 == 1 else "r%d" % i}
    if c == 27:
        return [None if (i + k) % 4 == 3 else ["a%d_%d_%d" % (i, k, j) for j in range(k + 1)]
                for k in range(i % 3)]
    raise AssertionError(c)


def expected_table(rows, columns=None):
    columns = list(range(len(SCHEMA))) if columns is None else columns
    arrays = [pa.array([gen_value(c, i) for i in rows], type=SCHEMA.field(c).type)
              for c in columns]
    return pa.Table.from_arrays(arrays, schema=pa.schema([SCHEMA.field(c) for c in columns]))


def pyvals(col):
    """Python values of a column; temporal values as their integer storage."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if pa.types.is_temporal(arr.type):
        arr = arr.view(pa.int32() if arr.type.bit_width == 32 else pa.int64())
    return arr.to_pylist()


def compare(name, got, want):
    ok = True
    if not got.schema.equals(want.schema, check_metadata=False):
        print(f"FAIL {name}: schema\n got:\n{got.schema}\n want:\n{want.schema}")
        return False
    for col in want.column_names:
        g, w = pyvals(got.column(col)), pyvals(want.column(col))
        if g != w:
            ok = False
            bad = [k for k in range(min(len(g), len(w))) if g[k] != w[k]][:3]
            print(f"FAIL {name}: column {col}: rows {bad}: got {[g[k] for k in bad]} "
                  f"want {[w[k] for k in bad]} (lengths {len(g)}, {len(w)})")
    if ok and not got.equals(want):
        print(f"FAIL {name}: tables differ")
        ok = False
    return ok


def read_ours(path):
    with open(path, "rb") as f:
        reader = pa.ipc.open_stream(f.read())
        batches = list(reader)
    for b in batches:
        b.validate(full=True)
    return pa.Table.from_batches(batches, schema=reader.schema), len(batches)


def main():
    binary, scratch = sys.argv[1], sys.argv[2]
    os.makedirs(scratch, exist_ok=True)
    failures = 0

    # 1. our encoder -> pyarrow
    subprocess.run([binary, "--write", scratch], check=True)
    want = expected_table(list(range(ROWS)) + [5])
    for name in ("c_none.arrows", "c_lz4.arrows", "c_zstd.arrows"):
        got, n = read_ours(os.path.join(scratch, name))
        if n != 2 or not compare(name, got, want):
            failures += 1
        else:
            print(f"ok   pyarrow reads {name}: {got.num_rows} rows in {n} batches")
    got, n = read_ours(os.path.join(scratch, "c_projected.arrows"))
    if not compare("c_projected.arrows", got, expected_table(range(ROWS), PROJECTION)):
        failures += 1
    else:
        print(f"ok   pyarrow reads c_projected.arrows: columns {got.column_names}")

    # 2. pyarrow -> our decoder
    table = expected_table(range(ROWS))
    for codec in (None, "lz4", "zstd"):
        path = os.path.join(scratch, f"py_{codec or 'none'}.arrows")
        opts = pa.ipc.IpcWriteOptions(compression=codec)
        with open(path, "wb") as f, pa.ipc.new_stream(f, table.schema, options=opts) as w:
            w.write_table(table, max_chunksize=20)
        r = subprocess.run([binary, "--read", path])
        if r.returncode != 0:
            print(f"FAIL our decoder on {path}")
            failures += 1
        else:
            print(f"ok   our decoder reads {os.path.basename(path)}")

    print("check_arrow:", "FAILED" if failures else "passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
