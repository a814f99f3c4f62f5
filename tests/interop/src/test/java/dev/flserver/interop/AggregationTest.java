package dev.flserver.interop;

import dev.flserver.testing.FlServer;

import static dev.flserver.interop.Fixtures.connect;
import static dev.flserver.interop.Fixtures.fails;
import static dev.flserver.interop.Fixtures.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.fluss.client.Connection;
import org.apache.fluss.client.admin.Admin;
import org.apache.fluss.client.table.Table;
import org.apache.fluss.client.table.scanner.ScanRecord;
import org.apache.fluss.client.table.scanner.log.LogScanner;
import org.apache.fluss.client.table.writer.UpsertWriter;
import org.apache.fluss.exception.InvalidConfigException;
import org.apache.fluss.metadata.AggFunctions;
import org.apache.fluss.metadata.Schema;
import org.apache.fluss.metadata.TableDescriptor;
import org.apache.fluss.metadata.TablePath;
import org.apache.fluss.record.ChangeType;
import org.apache.fluss.row.BinaryString;
import org.apache.fluss.row.Decimal;
import org.apache.fluss.row.GenericRow;
import org.apache.fluss.row.InternalRow;
import org.apache.fluss.types.DataTypes;
import org.roaringbitmap.RoaringBitmap;
import org.roaringbitmap.longlong.Roaring64Bitmap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The 'aggregation' merge engine with the real Java client (functions from the Schema API). */
class AggregationTest {
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

    static Schema schema() {
        return Schema.newBuilder()
                .column("id", DataTypes.BIGINT())
                .column("price", DataTypes.DOUBLE(), AggFunctions.MAX())
                .column("sales", DataTypes.BIGINT(), AggFunctions.SUM())
                .column("amount", DataTypes.DECIMAL(10, 2), AggFunctions.SUM())
                .column("factor", DataTypes.DOUBLE(), AggFunctions.PRODUCT())
                .column("low", DataTypes.INT(), AggFunctions.MIN())
                .column("status", DataTypes.STRING(), AggFunctions.LAST_VALUE())
                .column("email", DataTypes.STRING()) // last_value_ignore_nulls
                .column("first", DataTypes.STRING(), AggFunctions.FIRST_VALUE_IGNORE_NULLS())
                .column("tags", DataTypes.STRING(), AggFunctions.LISTAGG(";"))
                .column("all_ok", DataTypes.BOOLEAN(), AggFunctions.BOOL_AND())
                .column("any_alert", DataTypes.BOOLEAN(), AggFunctions.BOOL_OR())
                .primaryKey("id")
                .build();
    }

    static GenericRow row(long id, Double price, Long sales, String amount, Double factor, Integer low,
            String status, String email, String first, String tags, Boolean ok, Boolean alert) {
        return GenericRow.of(id, price, sales,
                amount == null ? null : Decimal.fromBigDecimal(new BigDecimal(amount), 10, 2),
                factor, low, status == null ? null : BinaryString.fromString(status),
                email == null ? null : BinaryString.fromString(email),
                first == null ? null : BinaryString.fromString(first),
                tags == null ? null : BinaryString.fromString(tags), ok, alert);
    }

    static String show(InternalRow r) {
        return r.getLong(0) + "|" + (r.isNullAt(1) ? null : r.getDouble(1)) + "|"
                + (r.isNullAt(2) ? null : r.getLong(2)) + "|"
                + (r.isNullAt(3) ? null : r.getDecimal(3, 10, 2).toBigDecimal()) + "|"
                + (r.isNullAt(4) ? null : r.getDouble(4)) + "|" + (r.isNullAt(5) ? null : r.getInt(5)) + "|"
                + (r.isNullAt(6) ? null : r.getString(6)) + "|" + (r.isNullAt(7) ? null : r.getString(7)) + "|"
                + (r.isNullAt(8) ? null : r.getString(8)) + "|" + (r.isNullAt(9) ? null : r.getString(9)) + "|"
                + (r.isNullAt(10) ? null : r.getBoolean(10)) + "|" + (r.isNullAt(11) ? null : r.getBoolean(11));
    }

    @Test
    void aggregatesAndChangelog() throws Exception {
        TablePath tp = TablePath.of("fluss", "agg_stats");
        get(admin.createTable(tp, TableDescriptor.builder().schema(schema()).distributedBy(1)
                .property("table.merge-engine", "aggregation").build(), false));
        try (Table table = conn.getTable(tp)) {
            UpsertWriter w = table.newUpsert().createWriter();
            w.upsert(row(1, 23.0, 15L, "100.50", 0.9, 5, "online", "a@x", null, "developer", true, false));
            w.upsert(row(1, 30.2, 20L, "200.75", 0.8, 3, "offline", null, "f1", "java", true, false));
            w.upsert(row(1, 10.0, null, null, null, 9, null, "b@x", "f2", "flink", false, true));
            w.delete(row(1, null, null, null, null, null, null, null, null, null, null, null)); // ignored
            w.flush();
            InternalRow got = table.newLookup().createLookuper().lookup(GenericRow.of(1L)).get().getSingletonRow();
            assertEquals("1|30.2|35|301.25|0.7200000000000001|3|null|b@x|f1|developer;java;flink|false|true",
                    show(got));

            List<ScanRecord> out = new ArrayList<>();
            try (LogScanner s = table.newScan().createLogScanner()) {
                s.subscribeFromBeginning(0);
                long deadline = System.currentTimeMillis() + 60_000;
                while (out.size() < 5 && System.currentTimeMillis() < deadline) {
                    for (ScanRecord r : s.poll(Duration.ofSeconds(1))) out.add(r);
                }
                assertTrue(s.poll(Duration.ofMillis(300)).isEmpty(), "no more changelog");
            }
            assertEquals(5, out.size());
            ChangeType[] want = {ChangeType.INSERT, ChangeType.UPDATE_BEFORE, ChangeType.UPDATE_AFTER,
                    ChangeType.UPDATE_BEFORE, ChangeType.UPDATE_AFTER};
            for (int i = 0; i < 5; i++) assertEquals(want[i], out.get(i).getChangeType());
            assertEquals("1|30.2|35|301.25|0.7200000000000001|3|offline|a@x|f1|developer;java|true|false",
                    show(out.get(2).getRow()));
            assertEquals(show(got), show(out.get(4).getRow()));
        }
    }

    @Test
    void partialUpdateAndDeleteAllow() throws Exception {
        TablePath tp = TablePath.of("fluss", "agg_partial");
        get(admin.createTable(tp, TableDescriptor.builder().schema(schema()).distributedBy(1)
                .property("table.merge-engine", "aggregation")
                .property("table.delete.behavior", "allow").build(), false));
        try (Table table = conn.getTable(tp)) {
            table.newUpsert().createWriter()
                    .upsert(row(2, 1.0, 10L, "1.00", 2.0, 4, "s", "e", "f", "t", true, false)).get();
            UpsertWriter pw = table.newUpsert().partialUpdate("id", "sales", "tags").createWriter();
            pw.upsert(row(2, 99.0, 5L, null, null, null, null, null, null, "u", null, null)).get();
            InternalRow got = table.newLookup().createLookuper().lookup(GenericRow.of(2L)).get().getSingletonRow();
            assertEquals("2|1.0|15|1.00|2.0|4|s|e|f|t;u|true|false", show(got));
            table.newUpsert().createWriter()
                    .delete(row(2, null, null, null, null, null, null, null, null, null, null, null)).get();
            assertNull(table.newLookup().createLookuper().lookup(GenericRow.of(2L)).get().getSingletonRow());
        }
    }

    /* Bitmaps serialized as Fluss's RoaringBitmapUtils does. */
    static byte[] ser32(RoaringBitmap r) {
        r.runOptimize();
        ByteBuffer bb = ByteBuffer.allocate(r.serializedSizeInBytes());
        r.serialize(bb);
        return bb.array();
    }

    static byte[] ser64(Roaring64Bitmap r) throws IOException {
        r.runOptimize();
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        try (DataOutputStream d = new DataOutputStream(o)) {
            r.serialize(d);
        }
        return o.toByteArray();
    }

    static RoaringBitmap de32(byte[] b) throws IOException {
        RoaringBitmap r = new RoaringBitmap();
        r.deserialize(ByteBuffer.wrap(b));
        return r;
    }

    static Roaring64Bitmap de64(byte[] b) throws IOException {
        Roaring64Bitmap r = new Roaring64Bitmap();
        r.deserialize(ByteBuffer.wrap(b));
        return r;
    }

    static Roaring64Bitmap bitmap64(long... v) {
        Roaring64Bitmap r = new Roaring64Bitmap();
        for (long x : v) r.addLong(x);
        return r;
    }

    /** rbm32 / rbm64 on BYTES columns: unions as the Lookuper reads them back, with nulls,
     * empty bitmaps, every container kind and a wide ART; malformed bytes fail the write. */
    @Test
    void roaringBitmapUnions() throws Exception {
        TablePath tp = TablePath.of("fluss", "agg_rbm");
        Schema s = Schema.newBuilder()
                .column("id", DataTypes.BIGINT())
                .column("r32", DataTypes.BYTES(), AggFunctions.RBM32())
                .column("r64", DataTypes.BYTES(), AggFunctions.RBM64())
                .primaryKey("id")
                .build();
        get(admin.createTable(tp, TableDescriptor.builder().schema(s).distributedBy(1)
                .property("table.merge-engine", "aggregation").build(), false));
        // the expected unions, built alongside
        RoaringBitmap w32 = new RoaringBitmap();
        Roaring64Bitmap w64 = new Roaring64Bitmap();
        RoaringBitmap dense = new RoaringBitmap();
        for (int v = 1 << 20; v < (1 << 20) + 65536; v += 3) dense.add(v); // a bitmap container
        dense.add(0L, 70000L);                                                // runs
        Roaring64Bitmap wide = new Roaring64Bitmap();
        for (long k = 0; k < 300; k++) wide.addLong((k << 16) | k);           // Node256 + Node48
        for (long v = 1L << 33; v < (1L << 33) + 65536; v += 3) wide.addLong(v);
        byte[][] r32 = {ser32(RoaringBitmap.bitmapOf(1, 2)), null, ser32(RoaringBitmap.bitmapOf(2, 3)),
                ser32(new RoaringBitmap()), ser32(dense), ser32(RoaringBitmap.bitmapOf(-1, 0x80000000))};
        byte[][] r64 = {ser64(bitmap64(1, 1L << 40)), ser64(bitmap64(-1L, 5, Long.MIN_VALUE)), null,
                ser64(new Roaring64Bitmap()), ser64(wide), ser64(bitmap64(2, 3, 1L << 40))};
        try (Table table = conn.getTable(tp)) {
            UpsertWriter w = table.newUpsert().createWriter();
            for (int i = 0; i < r32.length; i++) {
                w.upsert(GenericRow.of(1L, r32[i], r64[i]));
                if (r32[i] != null) w32.or(de32(r32[i]));
                if (r64[i] != null) w64.or(de64(r64[i]));
            }
            // key 2: stored nulls take the incoming bytes as they are
            w.upsert(GenericRow.of(2L, null, null));
            w.upsert(GenericRow.of(2L, r32[0], null));
            w.upsert(GenericRow.of(2L, null, r64[1]));
            w.flush();
            InternalRow got = table.newLookup().createLookuper().lookup(GenericRow.of(1L)).get().getSingletonRow();
            RoaringBitmap g32 = de32(got.getBytes(1));
            Roaring64Bitmap g64 = de64(got.getBytes(2));
            assertEquals(w32, g32);
            assertEquals(w64, g64);
            assertEquals(dense.getLongCardinality() + 2, g32.getLongCardinality()); // 1..3 are in dense
            assertEquals(wide.getLongCardinality() + 7, g64.getLongCardinality());
            assertTrue(g64.contains(-1L) && g64.contains(Long.MIN_VALUE) && g64.contains((299L << 16) | 299));
            g64.addLong(123456789L); // the ART we wrote takes further inserts
            assertTrue(g64.contains(123456789L));

            InternalRow got2 = table.newLookup().createLookuper().lookup(GenericRow.of(2L)).get().getSingletonRow();
            assertTrue(java.util.Arrays.equals(r32[0], got2.getBytes(1)));
            assertTrue(java.util.Arrays.equals(r64[1], got2.getBytes(2)));

            // bytes that are no bitmap: the batch fails (as Fluss's RuntimeException does)
            UpsertWriter bad = table.newUpsert().createWriter();
            fails(org.apache.fluss.exception.UnknownServerException.class, bad.upsert(GenericRow.of(1L, new byte[] {1, 2, 3}, null)));
            InternalRow after = table.newLookup().createLookuper().lookup(GenericRow.of(1L)).get().getSingletonRow();
            assertEquals(w32, de32(after.getBytes(1)));
        }
    }

    @Test
    void invalidFunctionsRefused() throws Exception {
        Schema bad = Schema.newBuilder()
                .column("id", DataTypes.BIGINT())
                .column("v", DataTypes.STRING(), AggFunctions.SUM())
                .primaryKey("id")
                .build();
        InvalidConfigException e = fails(InvalidConfigException.class,
                admin.createTable(TablePath.of("fluss", "agg_bad"), TableDescriptor.builder().schema(bad)
                        .distributedBy(1).property("table.merge-engine", "aggregation").build(), false));
        assertTrue(e.getMessage().contains("Invalid aggregation function for column 'v'"), e.getMessage());
        assertFalse(get(admin.tableExists(TablePath.of("fluss", "agg_bad"))));
    }
}
