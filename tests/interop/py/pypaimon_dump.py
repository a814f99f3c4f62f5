#!/usr/bin/env python3
"""pypaimon_dump.py WAREHOUSE DB.TABLE COLUMN...: read a Paimon table with pypaimon (Apache
Paimon's Python reader) and print the named columns of every row as one JSON array per line,
values as text (str()), null as null. LakePaimonTest compares this with the Paimon Java reader,
for tables the server tiered by itself."""
import json
import sys

from pypaimon import CatalogFactory


def main():
    wh, name, cols = sys.argv[1], sys.argv[2], sys.argv[3:]
    catalog = CatalogFactory.create({"warehouse": wh})
    table = catalog.get_table(name)
    rb = table.new_read_builder()
    arrow = rb.new_read().to_arrow(rb.new_scan().plan().splits())
    data = {c: arrow.column(c).to_pylist() for c in cols}
    for i in range(arrow.num_rows):
        print(json.dumps([None if data[c][i] is None else str(data[c][i]) for c in cols]))


if __name__ == "__main__":
    main()
