package dev.flserver.interop;

import dev.flserver.testing.FlServer;

import static dev.flserver.interop.Fixtures.allTypes;
import static dev.flserver.interop.Fixtures.connect;
import static dev.flserver.interop.Fixtures.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.fluss.client.Connection;
import org.apache.fluss.client.admin.Admin;
import org.apache.fluss.client.lookup.LookupResult;
import org.apache.fluss.client.lookup.Lookuper;
import org.apache.fluss.client.table.Table;
import org.apache.fluss.client.table.scanner.ScanRecord;
import org.apache.fluss.client.table.scanner.log.LogScanner;
import org.apache.fluss.client.table.writer.UpsertWriter;
import org.apache.fluss.metadata.Schema;
import org.apache.fluss.metadata.TableDescriptor;
import org.apache.fluss.metadata.TablePath;
import org.apache.fluss.record.ChangeType;
import org.apache.fluss.row.BinaryString;
import org.apache.fluss.row.GenericRow;
import org.apache.fluss.row.InternalRow;
import org.apache.fluss.types.DataTypes;
import org.apache.fluss.types.RowType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Issue 5: primary-key tables with the real Java client: upserts, deletes, lookups, changelog. */
class PrimaryKeyTest {
    static FlServer server;
    static Connection conn;
    static Admin admin;

    @BeforeAll
    static void start() throws Exception {
        server = FlServer.local().start();
        conn = connect(server);
        admin = conn.getAdmin();
    }

    @AfterAll
    static void stop() throws Exception {
        admin.close();
        conn.close();
        server.close();
    }

    static List<ScanRecord> changelog(Table table, int buckets, int expected) throws Exception {
        List<ScanRecord> out = new ArrayList<>();
        try (LogScanner s = table.newScan().createLogScanner()) {
            for (int b = 0; b < buckets; b++) s.subscribeFromBeginning(b);
            long deadline = System.currentTimeMillis() + 120_000;
            while (out.size() < expected && System.currentTimeMillis() < deadline) {
                for (ScanRecord r : s.poll(Duration.ofSeconds(1))) out.add(r);
            }
            assertTrue(s.poll(Duration.ofMillis(300)).isEmpty(), "no more changelog than expected");
        }
        assertEquals(expected, out.size(), "changelog rows");
        return out;
    }

    @Test
    void upsertDeleteLookupAndChangelogEveryType() throws Exception {
        TablePath tp = TablePath.of("fluss", "pk_all");
        get(admin.createTable(tp, TableDescriptor.builder().schema(allTypes(true)).distributedBy(4).build(), false));
        RowType rt = allTypes(true).getRowType();
        int n = 500_000;
        try (Table table = conn.getTable(tp)) {
            UpsertWriter w = table.newUpsert().createWriter();
            for (long i = 0; i < n; i++) w.upsert(Rows.allTypesRow(i));
            // update every 10th key, delete every 7th
            for (long i = 0; i < n; i += 10) {
                GenericRow r = Rows.allTypesRow(i);
                r.setField(22, (int) (i + 1));
                w.upsert(r);
            }
            for (long i = 0; i < n; i += 7) w.delete(Rows.allTypesRow(i));
            w.flush();

            Lookuper l = table.newLookup().createLookuper();
            List<CompletableFuture<LookupResult>> fs = new ArrayList<>();
            for (long i = 0; i < n; i += 13) fs.add(l.lookup(GenericRow.of(i)));
            int k = 0;
            for (long i = 0; i < n; i += 13, k++) {
                InternalRow got = fs.get(k).get().getSingletonRow();
                if (i % 7 == 0) {
                    assertNull(got, "deleted key " + i);
                } else {
                    GenericRow want = Rows.allTypesRow(i);
                    if (i % 10 == 0) want.setField(22, (int) (i + 1));
                    assertEquals(Rows.toJava(want, rt), Rows.toJava(got, rt), "key " + i);
                }
            }
            // changelog: n +I, n/10 (-U,+U) pairs, then -D for deleted keys
            long updates = (n + 9) / 10, deletes = (n + 6) / 7;
            List<ScanRecord> cl = changelog(table, 4, (int) (n + 2 * updates + deletes));
            Map<ChangeType, Integer> counts = new HashMap<>();
            for (ScanRecord r : cl) counts.merge(r.getChangeType(), 1, Integer::sum);
            assertEquals(n, counts.get(ChangeType.INSERT));
            assertEquals((int) updates, counts.get(ChangeType.UPDATE_BEFORE));
            assertEquals((int) updates, counts.get(ChangeType.UPDATE_AFTER));
            assertEquals((int) deletes, counts.get(ChangeType.DELETE));
        }
    }

    @Test
    void changelogOrderForOneKey() throws Exception {
        TablePath tp = TablePath.of("fluss", "pk_order");
        Schema schema =
                Schema.newBuilder()
                        .column("k", DataTypes.INT())
                        .column("v", DataTypes.STRING())
                        .primaryKey("k")
                        .build();
        get(admin.createTable(tp, TableDescriptor.builder().schema(schema).distributedBy(1).build(), false));
        try (Table table = conn.getTable(tp)) {
            UpsertWriter w = table.newUpsert().createWriter();
            w.upsert(GenericRow.of(1, BinaryString.fromString("a")));
            w.upsert(GenericRow.of(1, BinaryString.fromString("b")));
            w.delete(GenericRow.of(1, BinaryString.fromString("b")));
            w.delete(GenericRow.of(2, BinaryString.fromString("x"))); // missing key: no changelog
            w.upsert(GenericRow.of(1, BinaryString.fromString("c")));
            w.flush();
            List<ScanRecord> cl = changelog(table, 1, 5);
            String[] want = {"+I a", "-U a", "+U b", "-D b", "+I c"};
            for (int i = 0; i < 5; i++) {
                ScanRecord r = cl.get(i);
                assertEquals(want[i], r.getChangeType().shortString() + " " + r.getRow().getString(1));
            }
        }
    }

    @Test
    void partialUpdateKeepsOtherColumns() throws Exception {
        TablePath tp = TablePath.of("fluss", "pk_partial");
        Schema schema =
                Schema.newBuilder()
                        .column("k", DataTypes.INT())
                        .column("a", DataTypes.STRING())
                        .column("b", DataTypes.BIGINT())
                        .primaryKey("k")
                        .build();
        get(admin.createTable(tp, TableDescriptor.builder().schema(schema).distributedBy(2).build(), false));
        try (Table table = conn.getTable(tp)) {
            table.newUpsert().createWriter().upsert(GenericRow.of(7, BinaryString.fromString("full"), 1L)).get();
            UpsertWriter pw = table.newUpsert().partialUpdate("k", "b").createWriter();
            pw.upsert(GenericRow.of(7, null, 99L)).get();
            InternalRow got = table.newLookup().createLookuper().lookup(GenericRow.of(7)).get().getSingletonRow();
            assertEquals("full", got.getString(1).toString());
            assertEquals(99L, got.getLong(2));
        }
    }

    @Test
    void firstRowAndVersionedMergeEngines() throws Exception {
        Schema schema =
                Schema.newBuilder()
                        .column("k", DataTypes.INT())
                        .column("ver", DataTypes.BIGINT())
                        .column("v", DataTypes.STRING())
                        .primaryKey("k")
                        .build();
        TablePath first = TablePath.of("fluss", "pk_first_row");
        TablePath versioned = TablePath.of("fluss", "pk_versioned");
        get(admin.createTable(first, TableDescriptor.builder().schema(schema).distributedBy(1)
                .property("table.merge-engine", "first_row").build(), false));
        get(admin.createTable(versioned, TableDescriptor.builder().schema(schema).distributedBy(1)
                .property("table.merge-engine", "versioned")
                .property("table.merge-engine.versioned.ver-column", "ver").build(), false));
        try (Table t1 = conn.getTable(first);
                Table t2 = conn.getTable(versioned)) {
            for (Table t : new Table[] {t1, t2}) {
                UpsertWriter w = t.newUpsert().createWriter();
                w.upsert(GenericRow.of(1, 5L, BinaryString.fromString("v5")));
                w.upsert(GenericRow.of(1, 9L, BinaryString.fromString("v9")));
                w.upsert(GenericRow.of(1, 3L, BinaryString.fromString("v3")));
                w.flush();
            }
            assertEquals("v5", t1.newLookup().createLookuper().lookup(GenericRow.of(1)).get().getSingletonRow().getString(2).toString());
            assertEquals("v9", t2.newLookup().createLookuper().lookup(GenericRow.of(1)).get().getSingletonRow().getString(2).toString());
        }
    }

    @Test
    void prefixLookupByBucketKey() throws Exception {
        TablePath tp = TablePath.of("fluss", "pk_prefix");
        Schema schema =
                Schema.newBuilder()
                        .column("tenant", DataTypes.INT())
                        .column("id", DataTypes.BIGINT())
                        .column("v", DataTypes.STRING())
                        .primaryKey("tenant", "id")
                        .build();
        get(admin.createTable(tp, TableDescriptor.builder().schema(schema).distributedBy(3, "tenant").build(), false));
        try (Table table = conn.getTable(tp)) {
            UpsertWriter w = table.newUpsert().createWriter();
            for (int t = 0; t < 5; t++)
                for (long id = 0; id < 20 + t; id++)
                    w.upsert(GenericRow.of(t, id, BinaryString.fromString(t + ":" + id)));
            w.flush();
            Lookuper pl = table.newLookup().lookupBy("tenant").createLookuper();
            for (int t = 0; t < 5; t++) {
                List<InternalRow> rows = pl.lookup(GenericRow.of(t)).get().getRowList();
                assertEquals(20 + t, rows.size(), "tenant " + t);
                for (InternalRow r : rows) assertEquals(t, r.getInt(0));
            }
            assertTrue(pl.lookup(GenericRow.of(99)).get().getRowList().isEmpty());
        }
    }
}
