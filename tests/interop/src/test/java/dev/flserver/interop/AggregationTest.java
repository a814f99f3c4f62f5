package dev.flserver.interop;

import static dev.flserver.interop.Fixtures.connect;
import static dev.flserver.interop.Fixtures.fails;
import static dev.flserver.interop.Fixtures.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
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
