#!/usr/bin/env python3
"""pyfluss (PyPI, module `fluss`, the Apache Fluss Python client built on the Rust client) as a
test peer for fl-server. Driven by tests/interop/.../PyflussTest.java; uses only pyfluss's
public API plus pyarrow.

Subcommands (all take --bootstrap HOST:PORT and print JSON on stdout):
  create  --table db.t --buckets K            create a log table with the all-types schema
  append  --table db.t --from-id A --count N [--mode arrow|rows] [--batch-rows R]
                                              append rows A..A+N-1 (see gen_row); prints a summary
  scan    --table db.t --expect-count N [--buckets K] [--mode batches|records]
                                              scan every bucket from the earliest offset; one
                                              JSON line per record: {"bucket","offset","row"}
  admin   [--table db.t]                      databases, tables, table info, server nodes, offsets

Rows are those of Rows.allTypesRow(i) in the Java suite (the schema of Fixtures.allTypes): the
same formula on both sides, so each side can check the other's rows value by value.

Canonical JSON form of a value (shared with PyflussTest.java):
  integers, DATE (days), TIME (millis of day) -> number; FLOAT/DOUBLE -> number;
  DECIMAL -> plain string ("123.45", scale kept); CHAR/STRING -> string; BINARY/BYTES -> hex;
  TIMESTAMP[_LTZ] -> [epoch millis, nanos of milli]; ARRAY -> list; MAP -> list of [k, v];
  ROW -> list of fields; null -> null.

Exit status: 0 ok, 1 failure (message on stderr), 2 usage. The process leaves through
os._exit(): pyfluss 1.0.0 can abort (SIGABRT/SIGBUS) during interpreter finalization when a
tokio worker completes an asyncio future after the loop has closed (PyThread_exit_thread
unwinding through Rust frames), independent of the server.
"""

import argparse
import asyncio
import datetime
import decimal
import json
import os
import sys
import time
import traceback

import pyarrow as pa

import fluss

BASE_MS = 1_700_000_000_000
UTC = datetime.timezone.utc
EPOCH_NTZ = datetime.datetime(1970, 1, 1)
EPOCH_LTZ = datetime.datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_DATE = datetime.date(1970, 1, 1)


def i32(v):
    """Java (int) narrowing."""
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def gen_row(i):
    """Row i of Fixtures.allTypes in canonical form, as Rows.allTypesRow(i) builds it."""
    r = {"id": i}
    nulls = i % 7 == 3
    if nulls:
        for k in ("c_boolean", "c_tinyint", "c_smallint", "c_int", "c_float", "c_double",
                  "c_decimal_small", "c_decimal_big", "c_char", "c_string", "c_binary", "c_bytes",
                  "c_date", "c_time", "c_ts3", "c_ts6", "c_ltz3", "c_ltz9", "c_array", "c_map",
                  "c_row"):
            r[k] = None
    else:
        r["c_boolean"] = i % 2 == 0
        r["c_tinyint"] = i % 128
        r["c_smallint"] = i % 30000 - 15000
        r["c_int"] = i32(i * 7 - 1000)
        r["c_float"] = i * 0.5
        r["c_double"] = i * -0.25
        r["c_decimal_small"] = decimal.Decimal(i * 100 + 7).scaleb(-2)
        r["c_decimal_big"] = decimal.Decimal("12345678901234567890.12345") + i
        r["c_char"] = "c%d" % (i % 100)
        r["c_string"] = "string-%d%s" % (i, "-ünïcødé" if i % 11 == 0 else "")
        r["c_binary"] = bytes([i & 0xFF, 1, 2, 3, 4, 5, 6, 7])
        r["c_bytes"] = ("bytes%d" % i).encode()
        r["c_date"] = i % 20000
        r["c_time"] = (i % 86_400) * 1000
        r["c_ts3"] = (BASE_MS + i, 0)
        r["c_ts6"] = (BASE_MS + i, (i % 1000) * 1000)
        r["c_ltz3"] = (BASE_MS - i, 0)
        r["c_ltz9"] = (BASE_MS + i, i % 1_000_000)
        r["c_array"] = [i32(i), i32(i + 1), -1]
        r["c_map"] = [("k%d" % i, i * 1.5)]
        r["c_row"] = (i, "nested%d" % i)
    r["c_not_null"] = i32(-i)
    return r


# ---- canonical form -> what pyfluss takes ---------------------------------------------------

UNIT_PER_SEC = {"s": 1, "ms": 1000, "us": 1_000_000, "ns": 1_000_000_000}


def ts_to_unit(v, unit):
    millis, nanos = v
    if unit == "ns":
        return millis * 1_000_000 + nanos
    if unit == "us":
        return millis * 1000 + nanos // 1000
    if unit == "ms":
        return millis
    return millis // 1000


def to_arrow_value(v, t):
    """Canonical value -> a Python value pyarrow converts exactly to type t."""
    if v is None:
        return None
    if pa.types.is_timestamp(t):
        return ts_to_unit(v, t.unit)
    if pa.types.is_time(t):
        return v * UNIT_PER_SEC[t.unit] // 1000
    if pa.types.is_map(t):
        return [(to_arrow_value(k, t.key_type), to_arrow_value(x, t.item_type)) for k, x in v]
    if pa.types.is_struct(t):
        return {t.field(j).name: to_arrow_value(x, t.field(j).type) for j, x in enumerate(v)}
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return [to_arrow_value(x, t.value_type) for x in v]
    return v


def arrow_array(values, t):
    """pyarrow does not build temporal arrays from ints directly in every version: go via int."""
    if pa.types.is_timestamp(t) or pa.types.is_time64(t):
        return pa.array(values, type=pa.int64()).cast(t)
    if pa.types.is_time32(t) or pa.types.is_date32(t):
        return pa.array(values, type=pa.int32()).cast(t)
    return pa.array(values, type=t)


def to_python_value(v, t):
    """Canonical value -> the Python object pyfluss's row API takes (datetime: microseconds)."""
    if v is None:
        return None
    if pa.types.is_timestamp(t):
        millis, nanos = v
        delta = datetime.timedelta(milliseconds=millis, microseconds=nanos // 1000)
        return (EPOCH_LTZ if t.tz else EPOCH_NTZ) + delta
    if pa.types.is_date32(t):
        return EPOCH_DATE + datetime.timedelta(days=v)
    if pa.types.is_time(t):
        return (datetime.datetime.min + datetime.timedelta(milliseconds=v)).time()
    if pa.types.is_map(t):
        return {to_python_value(k, t.key_type): to_python_value(x, t.item_type) for k, x in v}
    if pa.types.is_struct(t):
        return {t.field(j).name: to_python_value(x, t.field(j).type) for j, x in enumerate(v)}
    if pa.types.is_list(t):
        return [to_python_value(x, t.value_type) for x in v]
    return v


# ---- what pyfluss returns -> canonical JSON ---------------------------------------------------

def canon_py(v, t):
    """A Python value from pyfluss (records mode, or to_pylist) -> canonical JSON value."""
    if v is None:
        return None
    if pa.types.is_timestamp(t):
        if isinstance(v, int):  # raw integer in t.unit (batches mode)
            per_ms = UNIT_PER_SEC[t.unit] // 1000 if t.unit != "s" else None
            if per_ms is None:
                return [v * 1000, 0]
            millis, rest = divmod(v, per_ms)
            return [millis, rest * (1_000_000 // per_ms)]
        d = v - (EPOCH_LTZ if v.tzinfo else EPOCH_NTZ)
        micros = (d.days * 86_400 + d.seconds) * 1_000_000 + d.microseconds
        millis, rest = divmod(micros, 1000)
        return [millis, rest * 1000]
    if pa.types.is_date32(t) or pa.types.is_date64(t):
        return v if isinstance(v, int) else (v - EPOCH_DATE).days
    if pa.types.is_time(t):
        if isinstance(v, int):
            return v * 1000 // UNIT_PER_SEC[t.unit]
        return ((v.hour * 60 + v.minute) * 60 + v.second) * 1000 + v.microsecond // 1000
    if pa.types.is_decimal(t):
        return format(v, "f")
    if pa.types.is_binary(t) or pa.types.is_fixed_size_binary(t) or pa.types.is_large_binary(t):
        return bytes(v).hex()
    if pa.types.is_map(t):
        items = v.items() if isinstance(v, dict) else v
        return [[canon_py(k, t.key_type), canon_py(x, t.item_type)] for k, x in items]
    if pa.types.is_struct(t):
        vals = [v[t.field(j).name] for j in range(t.num_fields)] if isinstance(v, dict) else v
        return [canon_py(x, t.field(j).type) for j, x in enumerate(vals)]
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return [canon_py(x, t.value_type) for x in v]
    if pa.types.is_floating(t):
        return float(v)
    return v


def raw_column(col):
    """Top-level temporal columns as raw integers, so nanoseconds survive."""
    t = col.type
    if pa.types.is_timestamp(t) or pa.types.is_time64(t):
        return col.cast(pa.int64()).to_pylist()
    if pa.types.is_time32(t) or pa.types.is_date32(t):
        return col.cast(pa.int32()).to_pylist()
    return col.to_pylist()


# ---- subcommands -------------------------------------------------------------------------------

def table_path(s):
    db, _, name = s.partition(".")
    if not db or not name:
        raise SystemExit("--table wants db.table, got %r" % s)
    return fluss.TablePath(db, name)


async def connect(args):
    return await fluss.FlussConnection.create(fluss.Config({"bootstrap.servers": args.bootstrap}))


def all_types_arrow_schema():
    """Fixtures.allTypes(false) in Arrow terms; CHAR(4) has no Arrow type and becomes STRING."""
    return pa.schema([
        ("id", pa.int64()), ("c_boolean", pa.bool_()), ("c_tinyint", pa.int8()),
        ("c_smallint", pa.int16()), ("c_int", pa.int32()), ("c_float", pa.float32()),
        ("c_double", pa.float64()), ("c_decimal_small", pa.decimal128(10, 2)),
        ("c_decimal_big", pa.decimal128(30, 5)), ("c_char", pa.string()),
        ("c_string", pa.string()), ("c_binary", pa.binary(8)), ("c_bytes", pa.binary()),
        ("c_date", pa.date32()), ("c_time", pa.time32("s")), ("c_ts3", pa.timestamp("ms")),
        ("c_ts6", pa.timestamp("us")), ("c_ltz3", pa.timestamp("ms", tz="UTC")),
        ("c_ltz9", pa.timestamp("ns", tz="UTC")), ("c_array", pa.list_(pa.int32())),
        ("c_map", pa.map_(pa.string(), pa.float64())),
        ("c_row", pa.struct([("f0", pa.int64()), ("f1", pa.string())])),
        pa.field("c_not_null", pa.int32(), nullable=False),
    ])


async def cmd_create(args):
    conn = await connect(args)
    try:
        desc = fluss.TableDescriptor(fluss.Schema(all_types_arrow_schema()),
                                     bucket_count=args.buckets, comment="made by pyfluss")
        await conn.get_admin().create_table(table_path(args.table), desc, False)
        print(json.dumps({"created": args.table}))
    finally:
        await conn.close()


async def cmd_append(args):
    conn = await connect(args)
    try:
        table = await conn.get_table(table_path(args.table))
        schema = table.arrow_schema
        writer = table.new_append().create_writer()
        ids = range(args.from_id, args.from_id + args.count)
        if args.mode == "arrow":
            for start in range(0, len(ids), args.batch_rows):
                rows = [gen_row(i) for i in ids[start:start + args.batch_rows]]
                cols = [arrow_array([to_arrow_value(r[f.name], f.type) for r in rows], f.type)
                        for f in schema]
                writer.write_arrow_batch(pa.RecordBatch.from_arrays(cols, schema=schema))
        else:
            for i in ids:
                r = gen_row(i)
                writer.append([to_python_value(r[f.name], f.type) for f in schema])
        await writer.flush()
        print(json.dumps({"appended": args.count, "from_id": args.from_id, "mode": args.mode}))
    finally:
        await conn.close()


async def cmd_scan(args):
    conn = await connect(args)
    out = sys.stdout
    try:
        table = await conn.get_table(table_path(args.table))
        schema = table.arrow_schema
        buckets = args.buckets if args.buckets else table.get_table_info().num_buckets
        scan = table.new_scan()
        if args.mode == "records":
            scanner = await scan.create_log_scanner()
        else:
            scanner = await scan.create_record_batch_log_scanner()
        scanner.subscribe_buckets({b: fluss.EARLIEST_OFFSET for b in range(buckets)})
        got = 0
        deadline = time.monotonic() + args.timeout_s
        while got < args.expect_count and time.monotonic() < deadline:
            got += await poll_once(scanner, args.mode, schema, out, 1000)
        if got < args.expect_count:
            raise RuntimeError("scanned %d of %d records within %ss" %
                               (got, args.expect_count, args.timeout_s))
        if not args.allow_more:
            extra = await poll_once(scanner, args.mode, schema, out, 500)
            if extra:
                raise RuntimeError("%d records beyond the %d expected" % (extra, args.expect_count))
        out.flush()
    finally:
        await conn.close()


async def poll_once(scanner, mode, schema, out, timeout_ms):
    """One poll; writes a JSON line per record and returns how many."""
    n = 0
    if mode == "records":
        recs = await scanner.poll(timeout_ms)
        for bucket, lst in recs.items():
            for rec in lst:
                row = rec.row
                out.write(json.dumps({
                    "bucket": bucket.bucket_id, "offset": rec.offset,
                    "change": rec.change_type.short_string(),
                    "row": {f.name: canon_py(row.get(f.name), f.type) for f in schema},
                }, ensure_ascii=False) + "\n")
                n += 1
    else:
        for rb in await scanner.poll_record_batch(timeout_ms):
            batch = rb.batch
            cols = [raw_column(batch.column(j)) for j in range(batch.num_columns)]
            names = batch.schema.names
            types = [f.type for f in batch.schema]
            if rb.last_offset - rb.base_offset + 1 != batch.num_rows:
                raise RuntimeError("batch offsets %d..%d but %d rows" %
                                   (rb.base_offset, rb.last_offset, batch.num_rows))
            for k in range(batch.num_rows):
                out.write(json.dumps({
                    "bucket": rb.bucket.bucket_id, "offset": rb.base_offset + k,
                    "row": {names[j]: canon_py(cols[j][k], types[j]) for j in range(len(names))},
                }, ensure_ascii=False) + "\n")
                n += 1
    return n


async def cmd_admin(args):
    conn = await connect(args)
    try:
        admin = conn.get_admin()
        res = {"databases": sorted(await admin.list_databases())}
        res["nodes"] = sorted(
            ({"id": n.id, "host": n.host, "port": n.port, "type": n.server_type}
             for n in await admin.get_server_nodes()),
            key=lambda n: (n["type"], n["id"]))
        if args.table:
            tp = table_path(args.table)
            res["tables"] = sorted(await admin.list_tables(tp.database_name))
            res["table_exists"] = await admin.table_exists(tp)
            res["database_exists"] = await admin.database_exists(tp.database_name)
            info = await admin.get_table_info(tp)
            res["table"] = {
                "table_id": info.table_id, "schema_id": info.schema_id,
                "num_buckets": info.num_buckets, "comment": info.comment,
                "columns": info.get_column_names(),
                "types": [t for _, t in info.get_schema().get_columns()],
                "primary_keys": info.get_primary_keys(),
                "bucket_keys": info.get_bucket_keys(),
                "partition_keys": info.get_partition_keys(),
                "partitioned": info.is_partitioned(),
                "properties": info.get_properties(),
            }
            buckets = list(range(info.num_buckets))
            res["earliest"] = {str(b): o for b, o in (await admin.list_offsets(
                tp, buckets, fluss.OffsetSpec.earliest())).items()}
            res["latest"] = {str(b): o for b, o in (await admin.list_offsets(
                tp, buckets, fluss.OffsetSpec.latest())).items()}
        print(json.dumps(res, ensure_ascii=False))
    finally:
        await conn.close()


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("create", "append", "scan", "admin"):
        s = sub.add_parser(name)
        s.add_argument("--bootstrap", required=True)
        s.add_argument("--table", required=name != "admin")
        if name == "create":
            s.add_argument("--buckets", type=int, default=1)
        if name == "append":
            s.add_argument("--from-id", type=int, required=True)
            s.add_argument("--count", type=int, required=True)
            s.add_argument("--mode", choices=("arrow", "rows"), default="arrow")
            s.add_argument("--batch-rows", type=int, default=1000)
        if name == "scan":
            s.add_argument("--expect-count", type=int, required=True)
            s.add_argument("--buckets", type=int, default=0)
            s.add_argument("--mode", choices=("batches", "records"), default="batches")
            s.add_argument("--timeout-s", type=float, default=60.0)
            s.add_argument("--allow-more", action="store_true")
    args = p.parse_args(argv)
    fn = {"create": cmd_create, "append": cmd_append, "scan": cmd_scan, "admin": cmd_admin}
    asyncio.run(fn[args.cmd](args))


if __name__ == "__main__":
    rc = 0
    try:
        main(sys.argv[1:])
    except SystemExit as e:
        rc = e.code if isinstance(e.code, int) else 2
        if not isinstance(e.code, int) and e.code:
            print(e.code, file=sys.stderr)
    except BaseException:  # noqa: BLE001 - report anything, then leave without finalizing
        traceback.print_exc()
        rc = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(rc)
