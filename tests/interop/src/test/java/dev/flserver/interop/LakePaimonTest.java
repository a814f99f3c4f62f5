package dev.flserver.interop;

import dev.flserver.testing.FlServer;

import static dev.flserver.interop.Fixtures.connect;
import static dev.flserver.interop.Fixtures.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.fluss.client.Connection;
import org.apache.fluss.client.admin.Admin;
import org.apache.fluss.client.metadata.LakeSnapshot;
import org.apache.fluss.client.table.Table;
import org.apache.fluss.client.table.writer.AppendWriter;
import org.apache.fluss.client.table.writer.UpsertWriter;
import org.apache.fluss.exception.LakeTableSnapshotNotExistException;
import org.apache.fluss.metadata.Schema;
import org.apache.fluss.metadata.TableBucket;
import org.apache.fluss.metadata.TableDescriptor;
import org.apache.fluss.metadata.TablePath;
import org.apache.fluss.row.BinaryString;
import org.apache.fluss.row.GenericRow;
import org.apache.fluss.types.DataTypes;
import org.apache.paimon.catalog.Catalog;
import org.apache.paimon.catalog.CatalogContext;
import org.apache.paimon.catalog.CatalogFactory;
import org.apache.paimon.catalog.Identifier;
import org.apache.paimon.data.InternalRow;
import org.apache.paimon.options.Options;
import org.apache.paimon.reader.RecordReader;
import org.apache.paimon.table.source.ReadBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Issue 6: tables with table.datalake.enabled are tiered into Paimon by the server itself. */
class LakePaimonTest {
    static FlServer server;
    static Connection conn;
    static Admin admin;

    @BeforeAll
    static void start() throws Exception {
        server = FlServer.local().set("datalake.format", "paimon").start();
        conn = connect(server);
        admin = conn.getAdmin();
    }

    @AfterAll
    static void stop() throws Exception {
        admin.close();
        conn.close();
        server.close();
    }

    static Catalog paimon() {
        Options o = new Options();
        o.set("warehouse", server.dataDir().resolve("lake/paimon").toString());
        o.set("metastore", "filesystem");
        return CatalogFactory.createCatalog(CatalogContext.create(o));
    }

    /** Every row of the Paimon table (copied: Paimon's readers reuse row objects). */
    static List<InternalRow> readPaimon(String table) throws Exception {
        try (Catalog c = paimon()) {
            org.apache.paimon.table.Table t = c.getTable(Identifier.create("fluss", table));
            ReadBuilder rb = t.newReadBuilder();
            org.apache.paimon.data.serializer.InternalRowSerializer ser =
                    new org.apache.paimon.data.serializer.InternalRowSerializer(t.rowType());
            List<InternalRow> out = new ArrayList<>();
            try (RecordReader<InternalRow> r = rb.newRead().createReader(rb.newScan().plan())) {
                r.forEachRemaining(row -> out.add(ser.copy(row)));
            }
            return out;
        }
    }

    /** The named columns of every row as pypaimon reads them (tests/interop/py/pypaimon_dump.py),
     *  sorted; null when fl.python is not set. */
    static List<String> readPypaimon(String table, String... cols) throws Exception {
        String python = System.getProperty("fl.python");
        if (python == null || python.isEmpty()) return null;
        List<String> argv = new ArrayList<>(List.of(python, "py/pypaimon_dump.py",
                server.dataDir().resolve("lake/paimon").toString(), "fluss." + table));
        argv.addAll(List.of(cols));
        Process p = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        List<String> out = new ArrayList<>();
        try (java.io.BufferedReader r = new java.io.BufferedReader(
                new java.io.InputStreamReader(p.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) out.add(line);
        }
        assertEquals(0, p.waitFor(), "pypaimon_dump.py failed");
        java.util.Collections.sort(out);
        return out;
    }

    static String jsonRow(Object... vals) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < vals.length; i++) {
            if (i > 0) b.append(", ");
            b.append('"').append(vals[i]).append('"');
        }
        return b.append(']').toString();
    }

    static LakeSnapshot waitForLake(TablePath tp, long expectedOffsetSum) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        LakeSnapshot last = null;
        while (System.currentTimeMillis() < deadline) {
            try {
                last = get(admin.getLatestLakeSnapshot(tp));
                long sum = last.getTableBucketsOffset().values().stream().mapToLong(Long::longValue).sum();
                if (sum >= expectedOffsetSum) return last;
            } catch (Exception e) {
                if (!(e.getCause() instanceof LakeTableSnapshotNotExistException)) throw e;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("lake did not catch up; last " + last);
    }

    @Test
    void logTableIsTieredAndReadableByPaimon() throws Exception {
        TablePath tp = TablePath.of("fluss", "lake_log");
        Schema schema =
                Schema.newBuilder()
                        .column("id", DataTypes.BIGINT())
                        .column("name", DataTypes.STRING())
                        .column("amount", DataTypes.DECIMAL(12, 2))
                        .build();
        get(admin.createTable(
                tp,
                TableDescriptor.builder()
                        .schema(schema)
                        .distributedBy(3)
                        .property("table.datalake.enabled", "true")
                        .property("table.datalake.freshness", "1s")
                        .build(),
                false));
        Map<String, String> props = get(admin.getTableInfo(tp)).getProperties().toMap();
        assertEquals("paimon", props.get("table.datalake.format"));
        assertTrue(props.get("table.datalake.paimon.warehouse").endsWith("lake/paimon"));
        int n = 20_000;
        try (Table table = conn.getTable(tp)) {
            AppendWriter w = table.newAppend().createWriter();
            for (long i = 0; i < n; i++)
                w.append(GenericRow.of(i, BinaryString.fromString("n" + i),
                        org.apache.fluss.row.Decimal.fromUnscaledLong(i, 12, 2)));
            w.flush();
        }
        LakeSnapshot snap = waitForLake(tp, n);
        List<InternalRow> rows = readPaimon("lake_log");
        assertEquals(n, rows.size());
        boolean[] seen = new boolean[n];
        Map<Integer, Long> maxOffsetPerBucket = new HashMap<>();
        for (InternalRow r : rows) {
            long id = r.getLong(0);
            assertTrue(!seen[(int) id], "duplicate " + id);
            seen[(int) id] = true;
            assertEquals("n" + id, r.getString(1).toString());
            assertEquals(id, r.getDecimal(2, 12, 2).toUnscaledLong());
            int bucket = r.getInt(3);      // __bucket
            long offset = r.getLong(4);    // __offset
            assertTrue(r.getTimestamp(5, 3).getMillisecond() > 0); // __timestamp
            maxOffsetPerBucket.merge(bucket, offset, Math::max);
        }
        // the lake snapshot's offsets are exactly the end of what the lake holds per bucket
        for (Map.Entry<TableBucket, Long> e : snap.getTableBucketsOffset().entrySet()) {
            assertEquals(e.getValue() - 1, maxOffsetPerBucket.get(e.getKey().getBucket()), "bucket " + e.getKey());
        }
        // pypaimon reads the same rows
        List<String> py = readPypaimon("lake_log", "id", "name", "amount", "__bucket", "__offset");
        if (py != null) {
            List<String> jrows = new ArrayList<>();
            for (InternalRow r : rows)
                jrows.add(jsonRow(r.getLong(0), r.getString(1), r.getDecimal(2, 12, 2).toBigDecimal().toPlainString(),
                        r.getInt(3), r.getLong(4)));
            java.util.Collections.sort(jrows);
            assertEquals(jrows, py);
        }
    }

    /** Freshness: with table.datalake.freshness = 5s under a steady write stream, new rows keep
     *  reaching the lake (each check allows three intervals), and the lake catches up after. */
    @Test
    void freshRowsKeepReachingTheLake() throws Exception {
        TablePath tp = TablePath.of("fluss", "lake_fresh");
        long written = LakeFreshness.streamAndCheck(admin, conn, tp, "freshness");
        waitForLake(tp, written);
        assertEquals(written, readPaimon("lake_fresh").size());
    }

    @Test
    void primaryKeyTableLakeEqualsLookupState() throws Exception {
        TablePath tp = TablePath.of("fluss", "lake_pk");
        Schema schema =
                Schema.newBuilder()
                        .column("k", DataTypes.INT())
                        .column("v", DataTypes.STRING())
                        .primaryKey("k")
                        .build();
        get(admin.createTable(
                tp,
                TableDescriptor.builder()
                        .schema(schema)
                        .distributedBy(2)
                        .property("table.datalake.enabled", "true")
                        .property("table.datalake.freshness", "1s")
                        .build(),
                false));
        Map<Integer, String> state = new HashMap<>();
        try (Table table = conn.getTable(tp)) {
            UpsertWriter w = table.newUpsert().createWriter();
            for (int round = 0; round < 3; round++) {
                for (int k = 0; k < 1000; k++) {
                    if ((k + round) % 5 == 0) {
                        w.delete(GenericRow.of(k, null));
                        state.remove(k);
                    } else {
                        String v = "r" + round + "k" + k;
                        w.upsert(GenericRow.of(k, BinaryString.fromString(v)));
                        state.put(k, v);
                    }
                }
                w.flush();
                Thread.sleep(1500); // several lake rounds: merged over many level-0 files
            }
            long end = 0;
            for (int b = 0; b < 2; b++)
                end += get(admin.listOffsets(tp, List.of(b), new org.apache.fluss.client.admin.OffsetSpec.LatestSpec()).bucketResult(b));
            waitForLake(tp, end);
        }
        Map<Integer, String> lake = new HashMap<>();
        for (InternalRow r : readPaimon("lake_pk")) lake.put(r.getInt(0), r.getString(1).toString());
        assertEquals(state, lake);
        // pypaimon merges the level-0 files to the same state
        List<String> py = readPypaimon("lake_pk", "k", "v");
        if (py != null) {
            List<String> want = new ArrayList<>();
            for (Map.Entry<Integer, String> e : state.entrySet()) want.add(jsonRow(e.getKey(), e.getValue()));
            java.util.Collections.sort(want);
            assertEquals(want, py);
        }
    }
}
