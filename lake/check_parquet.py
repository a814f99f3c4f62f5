#!/usr/bin/env python3
"""check_parquet.py DIR: check the Parquet files that `test_lake_parquet --emit DIR` wrote,
with pyarrow as the independent reader.

For every X.parquet there is X.rows.jsonl (one JSON array per row, the Fluss values written)
and X.meta.json (flavour, Fluss schema, and the statistics fl_pq_finish() returned). This script
checks, against pyarrow:
  - the Parquet physical and logical type of every flat column (the Paimon/Iceberg mapping
    tables restated here), the Arrow type pyarrow derives, and the field ids;
  - every value of every row;
  - every row group's footer statistics (null count, min, max) against min/max computed here
    from the values, with Parquet's orderings (signed ints, unsigned bytes, floats without NaN,
    -0.0/+0.0 at zero), and no min/max for INT96;
  - the statistics the C writer returned (counts, min, max), the file size, row count, row
    group offsets, key/value metadata and created_by.
Values in the JSON: floats as "f32:<bits>"/"f64:<bits>", strings/binary and big decimals as
hex, compact decimals as the unscaled integer, timestamps as [millis, nanos_of_milli].
"""
import glob
import json
import math
import os
import struct
import sys
from decimal import Decimal, getcontext

import pyarrow as pa
import pyarrow.parquet as pq

getcontext().prec = 100
TS_ROOTS = ("TIMESTAMP_WITHOUT_TIME_ZONE", "TIMESTAMP_WITH_LOCAL_TIME_ZONE")
STR_ROOTS = ("CHAR", "STRING")
BIN_ROOTS = ("BINARY", "BYTES")
INT_ROOTS = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "DATE")

failures = []


def fail(where, msg):
    failures.append(f"{where}: {msg}")


# ---------------------------------------------------------------- the type mapping, restated


def expected_leaf(t, flavor):
    """(physical type, logical type prefix or 'None', arrow type) for a flat Fluss type,
    from lake-paimon.md 4.9 and lake-iceberg.md 1.2."""
    r, p, s = t["root"], t["precision"], t["scale"]
    ice = flavor == "iceberg"
    if r == "BOOLEAN":
        return "BOOLEAN", "None", pa.bool_()
    if r in ("TINYINT", "SMALLINT"):
        bits = 8 if r == "TINYINT" else 16
        if ice:
            return "INT32", "None", pa.int32()
        return "INT32", f"Int(bitWidth={bits}, isSigned=true)", pa.int8() if bits == 8 else pa.int16()
    if r == "INTEGER":
        return "INT32", "None", pa.int32()
    if r == "BIGINT":
        return "INT64", "None", pa.int64()
    if r == "FLOAT":
        return "FLOAT", "None", pa.float32()
    if r == "DOUBLE":
        return "DOUBLE", "None", pa.float64()
    if r == "DECIMAL":
        phys = "INT32" if p <= 9 else "INT64" if p <= 18 else "FIXED_LEN_BYTE_ARRAY"
        return phys, f"Decimal(precision={p}, scale={s})", pa.decimal128(p, s)
    if r in STR_ROOTS:
        return "BYTE_ARRAY", "String", pa.string()
    if r in BIN_ROOTS:
        return "BYTE_ARRAY", "None", pa.binary()
    if r == "DATE":
        return "INT32", "Date", pa.date32()
    if r == "TIME_WITHOUT_TIME_ZONE":
        if ice:
            return "INT64", "Time(isAdjustedToUTC=false, timeUnit=microseconds)", pa.time64("us")
        return "INT32", "Time(isAdjustedToUTC=true, timeUnit=milliseconds)", pa.time32("ms")
    if r in TS_ROOTS:
        utc = r == "TIMESTAMP_WITH_LOCAL_TIME_ZONE"
        tz = "UTC" if utc else None
        if not ice and p > 6:
            return "INT96", "None", pa.timestamp("ns")
        unit = "ms" if (not ice and p <= 3) else "us"
        uname = "milliseconds" if unit == "ms" else "microseconds"
        lt = f"Timestamp(isAdjustedToUTC={'true' if utc else 'false'}, timeUnit={uname}"
        return "INT64", lt, pa.timestamp(unit, tz=tz)
    raise ValueError(r)


def fresh_ids(schema):
    """Iceberg assignFreshIds over the Fluss type tree: {path tuple: id}."""
    ids = {}
    nxt = [1]

    def visit(t, path):
        r = t["root"]
        if r == "ROW":
            for c in t["children"]:
                ids[path + (c["name"],)] = nxt[0]
                nxt[0] += 1
            for c in t["children"]:
                visit(c, path + (c["name"],))
        elif r == "ARRAY":
            ids[path + ("element",)] = nxt[0]
            nxt[0] += 1
            visit(t["children"][0], path + ("element",))
        elif r == "MAP":
            ids[path + ("key",)] = nxt[0]
            ids[path + ("value",)] = nxt[0] + 1
            nxt[0] += 2
            visit(t["children"][0], path + ("key",))
            visit(t["children"][1], path + ("value",))

    visit(schema, ())
    return ids


def arrow_ids(schema):
    """{path tuple: id} read from pyarrow's PARQUET:field_id field metadata."""
    out = {}

    def visit(f, path):
        md = f.metadata or {}
        if b"PARQUET:field_id" in md:
            out[path] = int(md[b"PARQUET:field_id"])
        ty = f.type
        if pa.types.is_map(ty):
            visit(ty.key_field, path + ("key",))
            visit(ty.item_field, path + ("value",))
        elif pa.types.is_list(ty):
            visit(ty.value_field, path + ("element",))
        elif pa.types.is_struct(ty):
            for i in range(ty.num_fields):
                visit(ty.field(i), path + (ty.field(i).name,))

    for f in schema:
        visit(f, (f.name,))
    return out


# ---------------------------------------------------------------- values


def f32_bits(h):
    return struct.unpack(">f", bytes.fromhex(h[4:]))[0]


def f64_bits(h):
    return struct.unpack(">d", bytes.fromhex(h[4:]))[0]


def float_canon(v, root):
    if root == "FLOAT":
        return "f32:%08x" % struct.unpack(">I", struct.pack(">f", v))[0]
    return "f64:%016x" % struct.unpack(">Q", struct.pack(">d", v))[0]


def dec_unscaled(v, t):
    """Expected JSON decimal -> unscaled int."""
    if isinstance(v, int):
        return v
    return int.from_bytes(bytes.fromhex(v), "big", signed=True) if v else 0


def ts_in_unit(v, unit):
    m, n = v
    if unit == "ms":
        return m
    if unit == "us":
        return m * 1000 + n // 1000
    return m * 1000000 + n


def leaf_equal(exp, act, t, unit):
    """exp: expected JSON value; act: pyarrow value (ints for time/timestamp/date columns)."""
    r = t["root"]
    if exp is None or act is None:
        return exp is None and act is None
    if r in ("FLOAT", "DOUBLE"):
        e = f32_bits(exp) if r == "FLOAT" else f64_bits(exp)
        if math.isnan(e):
            return math.isnan(act)
        return float_canon(act, r) == exp
    if r == "DECIMAL":
        return int(act.scaleb(t["scale"])) == dec_unscaled(exp, t)
    if r in STR_ROOTS:
        return act.encode("utf-8").hex() == exp
    if r in BIN_ROOTS:
        return act.hex() == exp
    if r == "TIME_WITHOUT_TIME_ZONE":
        return act == (exp * 1000 if unit == "us" else exp)
    if r in TS_ROOTS:
        return act == ts_in_unit(exp, unit)
    return act == exp


def nested_equal(exp, act, t):
    r = t["root"]
    if exp is None or act is None:
        return exp is None and act is None
    if r == "ARRAY":
        return len(exp) == len(act) and all(
            nested_equal(e, a, t["children"][0]) for e, a in zip(exp, act))
    if r == "MAP":
        return len(exp) == len(act) and all(
            nested_equal(e[0], a[0], t["children"][0]) and nested_equal(e[1], a[1], t["children"][1])
            for e, a in zip(exp, act))
    if r == "ROW":
        return all(nested_equal(exp[i], act[c["name"]], c) for i, c in enumerate(t["children"]))
    return leaf_equal(exp, act, t, None)


def column_unit(arrow_type):
    if pa.types.is_timestamp(arrow_type) or pa.types.is_time(arrow_type):
        return arrow_type.unit
    return None


def column_values(col):
    ty = col.type
    if pa.types.is_timestamp(ty) or pa.types.is_time64(ty):
        return col.cast(pa.int64()).to_pylist()
    if pa.types.is_time32(ty) or pa.types.is_date32(ty):
        return col.cast(pa.int32()).to_pylist()
    return col.to_pylist()


# ---------------------------------------------------------------- statistics


def leaf_slots(v, t, parts):
    """Yield one item per level entry of the leaf at `parts` below a value of type t: the leaf
    value, or None when the slot is null/empty at some level (what Parquet counts as null)."""
    if v is None:
        yield None
        return
    r = t["root"]
    if r == "ARRAY":
        if not v:
            yield None
            return
        for e in v:
            yield from leaf_slots(e, t["children"][0], parts[2:])
    elif r == "MAP":
        if not v:
            yield None
            return
        i = 0 if parts[1] == "key" else 1
        for kv in v:
            yield from leaf_slots(kv[i], t["children"][i], parts[2:])
    elif r == "ROW":
        names = [c["name"] for c in t["children"]]
        i = names.index(parts[0])
        yield from leaf_slots(v[i], t["children"][i], parts[1:])
    else:
        yield v


def leaf_type(schema, parts):
    t = schema
    i = 0
    while i < len(parts):
        r = t["root"]
        if r == "ROW":
            t = next(c for c in t["children"] if c["name"] == parts[i])
            i += 1
        elif r == "ARRAY":
            t = t["children"][0]
            i += 2
        elif r == "MAP":
            t = t["children"][0 if parts[i + 1] == "key" else 1]
            i += 2
    return t


def fluss_key(v, t):
    """Order key in Fluss/Paimon order; None for NaN (excluded from min/max)."""
    r = t["root"]
    if r in ("FLOAT", "DOUBLE"):
        x = f32_bits(v) if r == "FLOAT" else f64_bits(v)
        return None if math.isnan(x) else x
    if r == "DECIMAL":
        return dec_unscaled(v, t)
    if r in STR_ROOTS + BIN_ROOTS:
        return bytes.fromhex(v)
    if r in TS_ROOTS:
        return tuple(v)
    return v


def phys_value(v, t, phys, unit):
    """A Fluss JSON value as the Parquet physical value pyarrow reports in min_raw/max_raw."""
    r = t["root"]
    if r in ("FLOAT", "DOUBLE"):
        return f32_bits(v) if r == "FLOAT" else f64_bits(v)
    if r == "DECIMAL":
        return dec_unscaled(v, t)
    if r in STR_ROOTS + BIN_ROOTS:
        return bytes.fromhex(v)
    if r == "TIME_WITHOUT_TIME_ZONE":
        return v * 1000 if phys == "INT64" else v
    if r in TS_ROOTS:
        return ts_in_unit(v, unit)
    return v


def raw_to_value(raw, t, phys):
    if phys == "FIXED_LEN_BYTE_ARRAY" and t["root"] == "DECIMAL":
        return int.from_bytes(raw, "big", signed=True)
    if phys == "BYTE_ARRAY" and isinstance(raw, str):
        return raw.encode("utf-8")
    return raw


def check_zero_signs(where, t, mn, mx):
    if t["root"] in ("FLOAT", "DOUBLE"):
        if mn == 0 and math.copysign(1.0, mn) > 0:
            fail(where, "zero min must be written as -0.0")
        if mx == 0 and math.copysign(1.0, mx) < 0:
            fail(where, "zero max must be written as +0.0")


def check_file(base):
    name = os.path.basename(base)
    meta = json.load(open(base + ".meta.json"))
    rows = [json.loads(line) for line in open(base + ".rows.jsonl")]
    path = base + ".parquet"
    flavor = meta["flavor"]
    schema = meta["schema"]
    fields = schema["children"]
    pf = pq.ParquetFile(path)
    md = pf.metadata

    # file-level facts
    if meta["file_size"] != os.path.getsize(path):
        fail(name, f"file_size {meta['file_size']} != {os.path.getsize(path)}")
    if md.num_rows != len(rows) or meta["num_rows"] != len(rows):
        fail(name, f"num_rows {md.num_rows}/{meta['num_rows']} != {len(rows)}")
    if md.created_by != meta["created_by"]:
        fail(name, f"created_by {md.created_by!r}")
    kv = {k.decode(): v.decode() for k, v in (md.metadata or {}).items()}
    if kv != {k: v for k, v in meta["kv"]}:
        fail(name, f"key/value metadata {kv}")
    if md.num_row_groups != len(meta["row_group_offsets"]):
        fail(name, "row group count")
    for g in range(md.num_row_groups):
        c0 = md.row_group(g).column(0)
        start = c0.dictionary_page_offset if c0.has_dictionary_page else c0.data_page_offset
        if start != meta["row_group_offsets"][g]:
            fail(name, f"row group {g} offset {start} != {meta['row_group_offsets'][g]}")

    # schema: physical/logical/arrow types and field ids
    table = pq.read_table(path)
    pschema = pf.schema
    leaf_index = {pschema.column(i).path: i for i in range(len(pschema))}
    for f in fields:
        if f["root"] in ("ARRAY", "MAP", "ROW"):
            continue
        phys, lt, at = expected_leaf(f, flavor)
        col = pschema.column(leaf_index[f["name"]])
        if col.physical_type != phys:
            fail(name, f"{f['name']}: physical {col.physical_type} != {phys}")
        if not str(col.logical_type).startswith(lt):
            fail(name, f"{f['name']}: logical {col.logical_type} != {lt}")
        if col.max_definition_level != (1 if f["nullable"] else 0):
            fail(name, f"{f['name']}: max definition level {col.max_definition_level}")
        if table.schema.field(f["name"]).type != at:
            fail(name, f"{f['name']}: arrow type {table.schema.field(f['name']).type} != {at}")
        if table.schema.field(f["name"]).nullable != f["nullable"]:
            fail(name, f"{f['name']}: nullability")
    got_ids = arrow_ids(table.schema)
    if meta["ids"] == 1:  # FL_PQ_IDS_ICEBERG_FRESH
        want_ids = fresh_ids(schema)
    elif meta["ids"] == 0 and name.startswith("flat"):  # the flat schema carries ids 0..n-1
        want_ids = {(f["name"],): i for i, f in enumerate(fields)}
    else:  # no ids in the type, or FL_PQ_IDS_NONE
        want_ids = {}
    if got_ids != want_ids:
        fail(name, f"field ids {got_ids} != {want_ids}")

    # values
    if table.num_rows != len(rows):
        fail(name, "table rows")
    for ci, f in enumerate(fields):
        col = table.column(f["name"])
        unit = column_unit(col.type)
        vals = column_values(col)
        nested = f["root"] in ("ARRAY", "MAP", "ROW")
        bad = 0
        for ri, (row, act) in enumerate(zip(rows, vals)):
            exp = row[ci]
            ok = nested_equal(exp, act, f) if nested else leaf_equal(exp, act, f, unit)
            if not ok:
                bad += 1
                if bad <= 3:
                    fail(name, f"row {ri} column {f['name']}: expected {str(exp)[:200]} got {str(act)[:200]}")
        if bad > 3:
            fail(name, f"column {f['name']}: {bad} bad values")

    # statistics: per row group from the footer, per file from the C writer
    for j, st in enumerate(meta["stats"]):
        parts = st["path"].split(".")
        top = next(i for i, f in enumerate(fields) if f["name"] == parts[0])
        lt = leaf_type(schema, parts)
        pcol = pschema.column(leaf_index[st["path"]])
        phys = pcol.physical_type
        unit = None
        if lt["root"] in TS_ROOTS:
            unit = {"INT96": "ns"}.get(phys) or expected_leaf(lt, flavor)[2].unit
        all_slots = []
        first = 0
        for g in range(md.num_row_groups):
            rg = md.row_group(g)
            n = rg.num_rows
            slots = [s for r in rows[first:first + n] for s in leaf_slots(r[top], fields[top], parts[1:])]
            first += n
            all_slots += slots
            cc = rg.column(j)
            where = f"{name} rg{g} {st['path']}"
            if cc.path_in_schema != st["path"]:
                fail(where, f"column order: {cc.path_in_schema}")
            if cc.num_values != len(slots):
                fail(where, f"num_values {cc.num_values} != {len(slots)}")
            fs = cc.statistics
            if fs is None:
                if phys != "INT96":  # INT96 has no defined order: readers drop its statistics
                    fail(where, "no statistics")
                continue
            nulls = sum(1 for s in slots if s is None)
            if fs.null_count != nulls:
                fail(where, f"null_count {fs.null_count} != {nulls}")
            vals = [phys_value(s, lt, phys, unit) for s in slots if s is not None]
            vals = [v for v in vals if not (isinstance(v, float) and math.isnan(v))]
            if phys == "INT96" or not vals:
                if fs.has_min_max:
                    fail(where, "min/max present where none may be written")
                continue
            if not fs.has_min_max:
                fail(where, "min/max missing")
                continue
            mn, mx = raw_to_value(fs.min_raw, lt, phys), raw_to_value(fs.max_raw, lt, phys)
            if mn != min(vals) or mx != max(vals):
                fail(where, f"min/max {mn!r}/{mx!r} != {min(vals)!r}/{max(vals)!r}")
            check_zero_signs(where, lt, mn, mx)
        # whole file, as returned by fl_pq_finish()
        where = f"{name} returned {st['path']}"
        nulls = sum(1 for s in all_slots if s is None)
        keys = [fluss_key(s, lt) for s in all_slots if s is not None]
        nans = sum(1 for k in keys if k is None)
        keys = [k for k in keys if k is not None]
        if st["num_values"] != len(all_slots) or st["null_count"] != nulls or st["nan_count"] != nans:
            fail(where, f"counts {st['num_values']}/{st['null_count']}/{st['nan_count']} != "
                        f"{len(all_slots)}/{nulls}/{nans}")
        if st["has_min_max"] != bool(keys):
            fail(where, "has_min_max")
            continue
        if keys:
            mn, mx = fluss_key(st["min"], lt), fluss_key(st["max"], lt)
            if mn != min(keys) or mx != max(keys):
                fail(where, f"min/max {st['min']}/{st['max']} != {min(keys)}/{max(keys)}")
            check_zero_signs(where, lt, mn, mx)
    return len(rows)


def main():
    d = sys.argv[1]
    files = sorted(glob.glob(os.path.join(d, "*.parquet")))
    if not files:
        print(f"no Parquet files in {d}")
        return 1
    for p in files:
        n = check_file(p[: -len(".parquet")])
        print(f"checked {os.path.basename(p)}: {n} rows")
    if failures:
        for f in failures[:60]:
            print("FAIL", f)
        print(f"{len(failures)} failures")
        return 1
    print(f"all {len(files)} files agree with pyarrow {pa.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
