#!/usr/bin/env python3
"""iceberg_dump.py READER TABLE COLUMN...: read an Iceberg table with a real Python-side reader
and print the named columns of every row as one JSON array per line, values as text (str()),
null as null. LakeIcebergTest compares this with the Iceberg Java reader and the Fluss client,
for tables the server tiered by itself.

READER   pyiceberg: StaticTable.from_metadata on the table's current vN.metadata.json (pyiceberg
           has no Hadoop catalog; it refuses tables with equality deletes by design).
         duckdb: DuckDB's iceberg_scan with deletes applied; the iceberg and avro extensions are
           loaded from their PyPI wheels on disk, nothing is downloaded.
         pyiceberg-snapshots: one line per snapshot: [snapshot_id, operation] (COLUMNs ignored).
TABLE    a vN.metadata.json file, or a table directory (the version comes from
         metadata/version-hint.text).
"""
import glob
import json
import os
import sys


def metadata_file(arg):
    if os.path.isfile(arg):
        return arg
    meta = os.path.join(arg, "metadata")
    with open(os.path.join(meta, "version-hint.text"), encoding="utf-8") as f:
        version = int(f.read().strip())
    path = os.path.join(meta, "v%d.metadata.json" % version)
    if not os.path.isfile(path):
        raise SystemExit("version-hint.text names v%d, but %s is missing" % (version, path))
    return path


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
            raise SystemExit("no extension file in " + mod.__file__)
        con.execute("LOAD '%s'" % ext[0])
    con.execute("SET TimeZone = 'UTC'")
    return con


def print_rows(arrow, cols):
    data = {c: arrow.column(c).to_pylist() for c in cols}
    for i in range(arrow.num_rows):
        print(json.dumps([None if data[c][i] is None else str(data[c][i]) for c in cols]))


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    reader, table, cols = sys.argv[1], sys.argv[2], sys.argv[3:]
    meta = metadata_file(table)
    if reader in ("pyiceberg", "pyiceberg-snapshots"):
        from pyiceberg.table import StaticTable
        tab = StaticTable.from_metadata(meta)
        if reader == "pyiceberg-snapshots":
            snaps = tab.inspect.snapshots()
            ids = snaps.column("snapshot_id").to_pylist()
            ops = snaps.column("operation").to_pylist()
            for sid, op in zip(ids, ops):
                print(json.dumps([str(sid), None if op is None else str(op)]))
            return 0
        print_rows(tab.scan(selected_fields=tuple(cols)).to_arrow(), cols)
    elif reader == "duckdb":
        con = duckdb_connect()
        arrow = con.execute("SELECT * FROM iceberg_scan(?)", [meta]).to_arrow_table()
        print_rows(arrow, cols)
    else:
        print("unknown reader " + reader, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
