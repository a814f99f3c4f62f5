package dev.flserver.flink;

import dev.flserver.testing.FlServer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.apache.fluss.client.Connection;
import org.apache.fluss.client.ConnectionFactory;
import org.apache.fluss.client.admin.Admin;
import org.apache.fluss.client.admin.OffsetSpec;
import org.apache.fluss.client.lookup.LookupResult;
import org.apache.fluss.client.lookup.Lookuper;
import org.apache.fluss.client.metadata.LakeSnapshot;
import org.apache.fluss.client.table.Table;
import org.apache.fluss.config.Configuration;
import org.apache.fluss.metadata.TableBucket;
import org.apache.fluss.metadata.TablePath;
import org.apache.fluss.row.GenericRow;
import org.apache.fluss.row.InternalRow;
import org.apache.paimon.catalog.Catalog;
import org.apache.paimon.catalog.CatalogContext;
import org.apache.paimon.catalog.CatalogFactory;
import org.apache.paimon.catalog.Identifier;
import org.apache.paimon.options.Options;
import org.apache.paimon.reader.RecordReader;
import org.apache.paimon.table.source.ReadBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The "Building a Streaming Lakehouse" quickstart of Apache Fluss (Paimon tab), run end to end
 * with Flink 1.20.3 SQL in a local MiniCluster, the real Fluss Flink connector and Paimon's
 * Flink connector, against fl-server started with datalake.format=paimon (the server tiers
 * datalake-enabled tables itself; no external tiering job). The quickstart's faker sources are
 * replaced by bounded datagen sources.
 */
class QuickstartPaimonTest {
    static final int NATIONS = 25;
    static final int CUSTOMERS = 100;
    static final int ORDERS = 3000;

    static FlServer server;
    static Connection conn;
    static Admin admin;
    static boolean passed;

    @BeforeAll
    static void start() throws Exception {
        server = FlServer.local().set("datalake.format", "paimon");
        String level = System.getProperty("server.log-level");
        if (level != null && !level.isEmpty()) server.set("server.log-level", level);
        server.start();
        System.out.println("fl-server data dir: " + server.dataDir());
        Configuration conf = new Configuration();
        conf.setString("bootstrap.servers", server.bootstrap());
        conn = ConnectionFactory.createConnection(conf);
        admin = conn.getAdmin();
    }

    @AfterAll
    static void stop() throws Exception {
        if (!passed && server != null) {  // the server's side of a failure
            String[] lines = server.log().split("\n");
            System.out.println("---- last lines of " + server.dataDir().getParent().resolve("server.log") + " ----");
            for (int i = Math.max(0, lines.length - 80); i < lines.length; i++) System.out.println(lines[i]);
        }
        if (admin != null) admin.close();
        if (conn != null) conn.close();
        if (server != null) server.close();
    }

    static <T> T get(CompletableFuture<T> f) throws Exception {
        return f.get(60, TimeUnit.SECONDS);
    }

    static TableEnvironment tableEnv(boolean streaming) {
        EnvironmentSettings s = streaming
                ? EnvironmentSettings.inStreamingMode()
                : EnvironmentSettings.inBatchMode();
        TableEnvironment t = TableEnvironment.create(s);
        t.getConfig().set("parallelism.default", "2");
        t.executeSql("CREATE CATALOG fluss_catalog WITH ('type' = 'fluss', 'bootstrap.servers' = '"
                + server.bootstrap() + "')");
        return t;
    }

    static List<Row> collect(TableEnvironment t, String sql) throws Exception {
        List<Row> out = new ArrayList<>();
        try (CloseableIterator<Row> it = t.executeSql(sql).collect()) {
            it.forEachRemaining(out::add);
        }
        return out;
    }

    /** One canonical text per value, the same for Flink's Row fields and Fluss's InternalRow. */
    static String canon(Object v) {
        if (v == null) return "null";
        if (v instanceof BigDecimal) return ((BigDecimal) v).toPlainString();
        return v.toString();
    }

    static String canonFlink(Row r) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < r.getArity(); i++) b.append(i == 0 ? "" : "|").append(canon(r.getField(i)));
        return b.toString();
    }

    /** datalake_enriched_orders columns as Fluss's Lookuper returns them. */
    static String canonFluss(InternalRow r) {
        Object[] v = new Object[11];
        v[0] = r.getLong(0);
        v[1] = r.getInt(1);
        v[2] = r.isNullAt(2) ? null : r.getDecimal(2, 15, 2).toBigDecimal();
        v[3] = r.isNullAt(3) ? null : LocalDate.ofEpochDay(r.getInt(3));
        for (int i : new int[] {4, 5, 6, 7, 9, 10}) v[i] = r.isNullAt(i) ? null : r.getString(i).toString();
        v[8] = r.isNullAt(8) ? null : r.getDecimal(8, 15, 2).toBigDecimal();
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < v.length; i++) b.append(i == 0 ? "" : "|").append(canon(v[i]));
        return b.toString();
    }

    /** Looks up order keys 1..ORDERS in a table; the rows found, by key. */
    static Map<Long, InternalRow> lookupAll(String table) throws Exception {
        return lookupAll(table, ORDERS);
    }

    /** Looks up order keys 1..maxKey in a table; the rows found, by key. */
    static Map<Long, InternalRow> lookupAll(String table, long maxKey) throws Exception {
        try (Table t = conn.getTable(TablePath.of("fluss", table))) {
            Lookuper l = t.newLookup().createLookuper();
            Map<Long, CompletableFuture<LookupResult>> fs = new HashMap<>();
            for (long k = 1; k <= maxKey; k++) fs.put(k, l.lookup(GenericRow.of(k)));
            Map<Long, InternalRow> out = new TreeMap<>();
            for (Map.Entry<Long, CompletableFuture<LookupResult>> e : fs.entrySet()) {
                InternalRow row = get(e.getValue()).getSingletonRow();
                if (row != null) out.put(e.getKey(), row);
            }
            return out;
        }
    }

    static Map<TableBucket, Long> logEndOffsets(TablePath tp) throws Exception {
        int buckets = get(admin.getTableInfo(tp)).getNumBuckets();
        List<Integer> ids = new ArrayList<>();
        for (int b = 0; b < buckets; b++) ids.add(b);
        long tableId = get(admin.getTableInfo(tp)).getTableId();
        var res = admin.listOffsets(tp, ids, new OffsetSpec.LatestSpec());
        Map<TableBucket, Long> out = new HashMap<>();
        for (int b : ids) out.put(new TableBucket(tableId, b), get(res.bucketResult(b)));
        return out;
    }

    static BigDecimal paimonJavaSum(String table) throws Exception {
        Options o = new Options();
        o.set("warehouse", server.dataDir().resolve("lake/paimon").toString());
        o.set("metastore", "filesystem");
        try (Catalog c = CatalogFactory.createCatalog(CatalogContext.create(o))) {
            org.apache.paimon.table.Table t = c.getTable(Identifier.create("fluss", table));
            int col = t.rowType().getFieldNames().indexOf("total_price");
            ReadBuilder rb = t.newReadBuilder();
            BigDecimal[] sum = {BigDecimal.ZERO.setScale(2)};
            try (RecordReader<org.apache.paimon.data.InternalRow> r =
                    rb.newRead().createReader(rb.newScan().plan())) {
                r.forEachRemaining(row -> {
                    if (!row.isNullAt(col)) sum[0] = sum[0].add(row.getDecimal(col, 15, 2).toBigDecimal());
                });
            }
            return sum[0];
        }
    }

    @Test
    void streamingLakehouseQuickstart() throws Exception {
        long t0 = System.currentTimeMillis();
        TableEnvironment st = tableEnv(true);

        // --- sources (the quickstart's faker tables, as bounded datagen) ---
        st.executeSql("CREATE TEMPORARY TABLE source_nation (nation_key INT NOT NULL, name STRING) WITH ("
                + "'connector' = 'datagen', 'fields.nation_key.kind' = 'sequence',"
                + "'fields.nation_key.start' = '0', 'fields.nation_key.end' = '" + (NATIONS - 1) + "',"
                + "'fields.name.length' = '8')");
        st.executeSql("CREATE TEMPORARY TABLE source_customer (cust_key INT NOT NULL, name STRING, phone STRING,"
                + " nation_key INT NOT NULL, acct_cents BIGINT, mktsegment STRING) WITH ("
                + "'connector' = 'datagen', 'fields.cust_key.kind' = 'sequence',"
                + "'fields.cust_key.start' = '1', 'fields.cust_key.end' = '" + CUSTOMERS + "',"
                + "'fields.name.length' = '10', 'fields.phone.length' = '12',"
                + "'fields.nation_key.min' = '0', 'fields.nation_key.max' = '" + (NATIONS - 1) + "',"
                + "'fields.acct_cents.min' = '-99999', 'fields.acct_cents.max' = '999999',"
                + "'fields.mktsegment.length' = '8')");
        st.executeSql("CREATE TEMPORARY TABLE source_order (order_key BIGINT NOT NULL, cust_key INT NOT NULL,"
                + " price_cents BIGINT, day_offset INT, order_priority STRING, clerk STRING) WITH ("
                + "'connector' = 'datagen', 'rows-per-second' = '1000', 'fields.order_key.kind' = 'sequence',"
                + "'fields.order_key.start' = '1', 'fields.order_key.end' = '" + ORDERS + "',"
                + "'fields.cust_key.min' = '1', 'fields.cust_key.max' = '" + CUSTOMERS + "',"
                + "'fields.price_cents.min' = '100', 'fields.price_cents.max' = '50000000',"
                + "'fields.day_offset.min' = '0', 'fields.day_offset.max' = '3650',"
                + "'fields.order_priority.length' = '8', 'fields.clerk.length' = '10')");

        // --- the quickstart's Fluss tables ---
        st.executeSql("USE CATALOG fluss_catalog");
        st.executeSql("CREATE TABLE fluss_order (`order_key` BIGINT, `cust_key` INT NOT NULL,"
                + " `total_price` DECIMAL(15, 2), `order_date` DATE, `order_priority` STRING, `clerk` STRING,"
                + " `ptime` AS PROCTIME(), PRIMARY KEY (`order_key`) NOT ENFORCED)");
        st.executeSql("CREATE TABLE fluss_customer (`cust_key` INT NOT NULL, `name` STRING, `phone` STRING,"
                + " `nation_key` INT NOT NULL, `acctbal` DECIMAL(15, 2), `mktsegment` STRING,"
                + " PRIMARY KEY (`cust_key`) NOT ENFORCED)");
        st.executeSql("CREATE TABLE fluss_nation (`nation_key` INT NOT NULL, `name` STRING,"
                + " PRIMARY KEY (`nation_key`) NOT ENFORCED)");
        st.executeSql("CREATE TABLE datalake_enriched_orders (`order_key` BIGINT, `cust_key` INT NOT NULL,"
                + " `total_price` DECIMAL(15, 2), `order_date` DATE, `order_priority` STRING, `clerk` STRING,"
                + " `cust_name` STRING, `cust_phone` STRING, `cust_acctbal` DECIMAL(15, 2),"
                + " `cust_mktsegment` STRING, `nation_name` STRING, PRIMARY KEY (`order_key`) NOT ENFORCED)"
                + " WITH ('table.datalake.enabled' = 'true', 'table.datalake.freshness' = '2s')");

        // dimension tables first, so every lookup join finds its customer and nation
        st.executeSql("INSERT INTO fluss_nation SELECT nation_key, name"
                + " FROM `default_catalog`.`default_database`.source_nation").await(120, TimeUnit.SECONDS);
        st.executeSql("INSERT INTO fluss_customer SELECT cust_key, name, phone, nation_key,"
                + " CAST(CAST(acct_cents AS DECIMAL(17, 0)) / 100 AS DECIMAL(15, 2)), mktsegment"
                + " FROM `default_catalog`.`default_database`.source_customer").await(120, TimeUnit.SECONDS);
        System.out.println("dimension tables loaded after " + (System.currentTimeMillis() - t0) + " ms");

        // the quickstart's streaming INSERT with two lookup joins (runs until cancelled)
        TableResult enrich = st.executeSql("INSERT INTO datalake_enriched_orders"
                + " SELECT o.order_key, o.cust_key, o.total_price, o.order_date, o.order_priority, o.clerk,"
                + " c.name, c.phone, c.acctbal, c.mktsegment, n.name"
                + " FROM fluss_order o"
                + " LEFT JOIN fluss_customer FOR SYSTEM_TIME AS OF `o`.`ptime` AS `c` ON o.cust_key = c.cust_key"
                + " LEFT JOIN fluss_nation FOR SYSTEM_TIME AS OF `o`.`ptime` AS `n` ON c.nation_key = n.nation_key");
        TableResult orders = st.executeSql("INSERT INTO fluss_order SELECT order_key, cust_key,"
                + " CAST(CAST(price_cents AS DECIMAL(17, 0)) / 100 AS DECIMAL(15, 2)),"
                + " CAST(TIMESTAMPADD(DAY, day_offset, TIMESTAMP '2015-01-01 00:00:00') AS DATE),"
                + " order_priority, clerk FROM `default_catalog`.`default_database`.source_order");

        TableEnvironment bt = tableEnv(false);
        bt.executeSql("USE CATALOG fluss_catalog");

        // $lake$snapshots: non-empty once the freshness interval has passed (poll up to 30 s)
        List<Row> snaps = List.of();
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            Thread.sleep(2_000);
            snaps = collect(bt, "SELECT snapshot_id, total_record_count FROM `datalake_enriched_orders$lake$snapshots`");
            if (!snaps.isEmpty()) break;
        }
        System.out.println("$lake$snapshots after " + (System.currentTimeMillis() - t0) + " ms: " + snaps);
        assertFalse(snaps.isEmpty(), "datalake_enriched_orders$lake$snapshots stayed empty");

        orders.await(120, TimeUnit.SECONDS);
        System.out.println("orders written after " + (System.currentTimeMillis() - t0) + " ms");

        // the writing job has written every order once its sink table holds all keys
        Map<Long, InternalRow> sourceState = lookupAll("fluss_order");
        assertEquals(ORDERS, sourceState.size(), "fluss_order rows");
        Map<Long, InternalRow> enriched = Map.of();
        deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            enriched = lookupAll("datalake_enriched_orders");
            if (enriched.size() == ORDERS) break;
            Thread.sleep(500);
        }
        assertEquals(ORDERS, enriched.size(), "datalake_enriched_orders rows (lookup)");
        enrich.getJobClient().orElseThrow().cancel().get(60, TimeUnit.SECONDS);
        System.out.println("enrichment job done after " + (System.currentTimeMillis() - t0) + " ms");

        // expected sum from the source table's state, and the enriched rows carry those prices
        BigDecimal expected = BigDecimal.ZERO.setScale(2);
        for (Map.Entry<Long, InternalRow> e : sourceState.entrySet()) {
            BigDecimal p = e.getValue().getDecimal(2, 15, 2).toBigDecimal();
            expected = expected.add(p);
            InternalRow er = enriched.get(e.getKey());
            assertEquals(p, er.getDecimal(2, 15, 2).toBigDecimal(), "price of order " + e.getKey());
            assertFalse(er.isNullAt(6), "order " + e.getKey() + " found no customer in the lookup join");
            assertFalse(er.isNullAt(10), "order " + e.getKey() + " found no nation in the lookup join");
        }

        // wait until the log is fully tiered: lake snapshot offsets == log end offsets
        TablePath tp = TablePath.of("fluss", "datalake_enriched_orders");
        Map<TableBucket, Long> end = logEndOffsets(tp);
        LakeSnapshot lake = null;
        deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            lake = get(admin.getLatestLakeSnapshot(tp));
            if (lake.getTableBucketsOffset().equals(end)) break;
            Thread.sleep(500);
        }
        assertNotNull(lake);
        assertEquals(end, lake.getTableBucketsOffset(), "lake snapshot offsets vs log end offsets");
        System.out.println("fully tiered after " + (System.currentTimeMillis() - t0) + " ms: snapshot "
                + lake.getSnapshotId() + " " + end);

        // SELECT sum(total_price) FROM datalake_enriched_orders$lake == Paimon Java reader's sum
        List<Row> lakeSum = collect(bt, "SELECT sum(total_price) AS sum_price FROM `datalake_enriched_orders$lake`");
        BigDecimal paimonSum = paimonJavaSum("datalake_enriched_orders");
        System.out.println("$lake sum " + lakeSum + ", Paimon Java sum " + paimonSum + ", expected " + expected);
        assertEquals(1, lakeSum.size());
        assertEquals(paimonSum, lakeSum.get(0).getField(0), "$lake sum vs Paimon Java reader");
        assertEquals(expected, paimonSum, "Paimon sum vs every row written (fully tiered)");

        // the quickstart's union read: Fluss + Paimon
        List<Row> unionSum = collect(bt, "SELECT sum(total_price) AS sum_price FROM datalake_enriched_orders");
        System.out.println("union read sum " + unionSum);
        assertEquals(1, unionSum.size());
        assertEquals(expected, unionSum.get(0).getField(0), "union-read sum vs every row written");

        // union read rows == the Lookuper's state of the primary-key table
        Map<Long, String> union = new TreeMap<>();
        for (Row r : collect(bt, "SELECT * FROM datalake_enriched_orders")) {
            String prev = union.put((Long) r.getField(0), canonFlink(r));
            assertEquals(null, prev, "union read returned order " + r.getField(0) + " twice");
        }
        Map<Long, String> state = new TreeMap<>();
        for (Map.Entry<Long, InternalRow> e : enriched.entrySet()) state.put(e.getKey(), canonFluss(e.getValue()));
        assertEquals(state, union, "union read vs Lookuper state");

        // beyond the quickstart: change the table under the lake (updates, deletes, new keys)
        // and union-read at once, while the newest changes are still only in Fluss
        int extra = 50;
        try (Table t = conn.getTable(tp)) {
            org.apache.fluss.types.RowType rt = t.getTableInfo().getRowType();
            InternalRow.FieldGetter[] getters = InternalRow.createFieldGetters(rt);
            org.apache.fluss.client.table.writer.UpsertWriter w = t.newUpsert().createWriter();
            for (long k = 1; k <= 100; k++) {  // new price for orders 1..100
                InternalRow old = enriched.get(k);
                GenericRow row = new GenericRow(getters.length);
                for (int i = 0; i < getters.length; i++) row.setField(i, getters[i].getFieldOrNull(old));
                row.setField(2, org.apache.fluss.row.Decimal.fromBigDecimal(
                        BigDecimal.valueOf(k * 1000 + 7, 2), 15, 2));
                w.upsert(row);
            }
            for (long k = 101; k <= 150; k++) w.delete(enriched.get(k));  // delete orders 101..150
            for (long k = ORDERS + 1; k <= ORDERS + extra; k++) {          // new orders
                GenericRow row = new GenericRow(getters.length);
                for (int i = 0; i < getters.length; i++) row.setField(i, getters[i].getFieldOrNull(enriched.get(1L)));
                row.setField(0, k);
                row.setField(2, org.apache.fluss.row.Decimal.fromBigDecimal(BigDecimal.valueOf(k, 2), 15, 2));
                w.upsert(row);
            }
            w.flush();
        }
        Map<Long, InternalRow> after = lookupAll("datalake_enriched_orders", ORDERS + extra);
        assertEquals(ORDERS - 50 + extra, after.size(), "rows after the changes (lookup)");
        BigDecimal expected2 = BigDecimal.ZERO.setScale(2);
        Map<Long, String> state2 = new TreeMap<>();
        for (Map.Entry<Long, InternalRow> e : after.entrySet()) {
            expected2 = expected2.add(e.getValue().getDecimal(2, 15, 2).toBigDecimal());
            state2.put(e.getKey(), canonFluss(e.getValue()));
        }
        Map<TableBucket, Long> lakeNow = get(admin.getLatestLakeSnapshot(tp)).getTableBucketsOffset();
        System.out.println("changes written: lake at " + lakeNow + ", log end " + logEndOffsets(tp));
        List<Row> unionSum2 = collect(bt, "SELECT sum(total_price) AS sum_price FROM datalake_enriched_orders");
        System.out.println("union read sum after changes " + unionSum2 + ", expected " + expected2);
        assertEquals(expected2, unionSum2.get(0).getField(0), "union-read sum after changes");
        Map<Long, String> union2 = new TreeMap<>();
        for (Row r : collect(bt, "SELECT * FROM datalake_enriched_orders")) {
            String prev = union2.put((Long) r.getField(0), canonFlink(r));
            assertEquals(null, prev, "union read returned order " + r.getField(0) + " twice");
        }
        assertEquals(state2, union2, "union read after changes vs Lookuper state");
        assertTrue(server.isAlive());
        passed = true;
        System.out.println("quickstart passed in " + (System.currentTimeMillis() - t0) + " ms");
    }
}
