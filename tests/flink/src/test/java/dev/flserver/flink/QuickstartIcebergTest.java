package dev.flserver.flink;

import dev.flserver.testing.FlServer;

import static dev.flserver.flink.QuickstartPaimonTest.collect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.types.Row;
import org.apache.fluss.client.Connection;
import org.apache.fluss.client.ConnectionFactory;
import org.apache.fluss.client.admin.Admin;
import org.apache.fluss.client.admin.OffsetSpec;
import org.apache.fluss.client.metadata.LakeSnapshot;
import org.apache.fluss.config.Configuration;
import org.apache.fluss.metadata.TableBucket;
import org.apache.fluss.metadata.TablePath;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Iceberg tab of the "Building a Streaming Lakehouse" quickstart: datalake_enriched_orders
 * is a log table fed straight from a (bounded) order source with two lookup joins, tiered by
 * fl-server started with datalake.format=iceberg. Prices are a function of the order key, so
 * the expected sum is known without reading anything back.
 */
class QuickstartIcebergTest {
    static final int NATIONS = 25;
    static final int CUSTOMERS = 100;
    static final int ORDERS = 3000;

    static FlServer server;
    static Connection conn;
    static Admin admin;
    static boolean passed;

    @BeforeAll
    static void start() throws Exception {
        server = FlServer.local().set("datalake.format", "iceberg");
        String level = System.getProperty("server.log-level");
        if (level != null && !level.isEmpty()) server.set("server.log-level", level);
        server.start();
        System.out.println("fl-server (iceberg) data dir: " + server.dataDir());
        Configuration conf = new Configuration();
        conf.setString("bootstrap.servers", server.bootstrap());
        conn = ConnectionFactory.createConnection(conf);
        admin = conn.getAdmin();
    }

    @AfterAll
    static void stop() throws Exception {
        if (!passed && server != null) {
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
        TableEnvironment t = TableEnvironment.create(
                streaming ? EnvironmentSettings.inStreamingMode() : EnvironmentSettings.inBatchMode());
        t.getConfig().set("parallelism.default", "2");
        t.executeSql("CREATE CATALOG fluss_catalog WITH ('type' = 'fluss', 'bootstrap.servers' = '"
                + server.bootstrap() + "')");
        return t;
    }

    /** total_price of order k, as the SQL below computes it. */
    static BigDecimal price(long k) {
        return BigDecimal.valueOf((k * 7919) % 1000000 + 100, 2);
    }

    @Test
    void streamingLakehouseQuickstartIceberg() throws Exception {
        long t0 = System.currentTimeMillis();
        TableEnvironment st = tableEnv(true);
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
        // the Iceberg tab's source_order, with total_price a function of order_key
        st.executeSql("CREATE TEMPORARY TABLE source_order_gen (order_key BIGINT NOT NULL, cust_key INT NOT NULL,"
                + " day_offset INT, order_priority STRING, clerk STRING) WITH ("
                + "'connector' = 'datagen', 'rows-per-second' = '1000', 'fields.order_key.kind' = 'sequence',"
                + "'fields.order_key.start' = '1', 'fields.order_key.end' = '" + ORDERS + "',"
                + "'fields.cust_key.min' = '1', 'fields.cust_key.max' = '" + CUSTOMERS + "',"
                + "'fields.day_offset.min' = '0', 'fields.day_offset.max' = '3650',"
                + "'fields.order_priority.length' = '8', 'fields.clerk.length' = '10')");
        st.executeSql("CREATE TEMPORARY VIEW source_order AS SELECT order_key, cust_key,"
                + " CAST(CAST(MOD(order_key * 7919, 1000000) + 100 AS DECIMAL(17, 0)) / 100 AS DECIMAL(15, 2)) AS total_price,"
                + " CAST(TIMESTAMPADD(DAY, day_offset, TIMESTAMP '2015-01-01 00:00:00') AS DATE) AS order_date,"
                + " order_priority, clerk FROM source_order_gen");

        st.executeSql("USE CATALOG fluss_catalog");
        st.executeSql("CREATE TABLE fluss_customer (`cust_key` INT NOT NULL, `name` STRING, `phone` STRING,"
                + " `nation_key` INT NOT NULL, `acctbal` DECIMAL(15, 2), `mktsegment` STRING,"
                + " PRIMARY KEY (`cust_key`) NOT ENFORCED)");
        st.executeSql("CREATE TABLE fluss_nation (`nation_key` INT NOT NULL, `name` STRING,"
                + " PRIMARY KEY (`nation_key`) NOT ENFORCED)");
        st.executeSql("CREATE TABLE datalake_enriched_orders (`order_key` BIGINT, `cust_key` INT NOT NULL,"
                + " `total_price` DECIMAL(15, 2), `order_date` DATE, `order_priority` STRING, `clerk` STRING,"
                + " `cust_name` STRING, `cust_phone` STRING, `cust_acctbal` DECIMAL(15, 2),"
                + " `cust_mktsegment` STRING, `nation_name` STRING)"
                + " WITH ('table.datalake.enabled' = 'true', 'table.datalake.freshness' = '2s')");
        st.executeSql("INSERT INTO fluss_nation SELECT nation_key, name"
                + " FROM `default_catalog`.`default_database`.source_nation").await(120, TimeUnit.SECONDS);
        st.executeSql("INSERT INTO fluss_customer SELECT cust_key, name, phone, nation_key,"
                + " CAST(CAST(acct_cents AS DECIMAL(17, 0)) / 100 AS DECIMAL(15, 2)), mktsegment"
                + " FROM `default_catalog`.`default_database`.source_customer").await(120, TimeUnit.SECONDS);

        // the Iceberg tab's INSERT; bounded source, so the job finishes by itself
        st.executeSql("INSERT INTO datalake_enriched_orders"
                + " SELECT o.order_key, o.cust_key, o.total_price, o.order_date, o.order_priority, o.clerk,"
                + " c.name, c.phone, c.acctbal, c.mktsegment, n.name"
                + " FROM (SELECT *, PROCTIME() as ptime FROM `default_catalog`.`default_database`.source_order) o"
                + " LEFT JOIN fluss_customer FOR SYSTEM_TIME AS OF o.ptime AS c ON o.cust_key = c.cust_key"
                + " LEFT JOIN fluss_nation FOR SYSTEM_TIME AS OF o.ptime AS n ON c.nation_key = n.nation_key")
                .await(300, TimeUnit.SECONDS);
        System.out.println("enrichment job finished after " + (System.currentTimeMillis() - t0) + " ms");

        TableEnvironment bt = tableEnv(false);
        bt.executeSql("USE CATALOG fluss_catalog");
        List<Row> snaps = List.of();
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            snaps = collect(bt, "SELECT snapshot_id, operation FROM `datalake_enriched_orders$lake$snapshots`");
            if (!snaps.isEmpty()) break;
            Thread.sleep(2_000);
        }
        System.out.println("$lake$snapshots: " + snaps);
        assertFalse(snaps.isEmpty(), "datalake_enriched_orders$lake$snapshots stayed empty");

        TablePath tp = TablePath.of("fluss", "datalake_enriched_orders");
        var info = get(admin.getTableInfo(tp));
        List<Integer> ids = new ArrayList<>();
        for (int b = 0; b < info.getNumBuckets(); b++) ids.add(b);
        var res = admin.listOffsets(tp, ids, new OffsetSpec.LatestSpec());
        Map<TableBucket, Long> end = new HashMap<>();
        for (int b : ids) end.put(new TableBucket(info.getTableId(), b), get(res.bucketResult(b)));
        assertEquals((long) ORDERS, end.values().stream().mapToLong(Long::longValue).sum(), "log end offsets");
        LakeSnapshot lake = null;
        deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            try {
                lake = get(admin.getLatestLakeSnapshot(tp));
                if (lake.getTableBucketsOffset().equals(end)) break;
            } catch (Exception e) {
                // no lake snapshot yet
            }
            Thread.sleep(500);
        }
        assertTrue(lake != null && lake.getTableBucketsOffset().equals(end),
                "lake snapshot " + (lake == null ? null : lake.getTableBucketsOffset()) + " vs log end " + end);

        BigDecimal expected = BigDecimal.ZERO.setScale(2);
        for (long k = 1; k <= ORDERS; k++) expected = expected.add(price(k));
        List<Row> lakeSum = collect(bt, "SELECT sum(total_price), count(*), count(DISTINCT order_key), count(nation_name)"
                + " FROM `datalake_enriched_orders$lake`");
        System.out.println("$lake " + lakeSum + ", expected sum " + expected);
        assertEquals(expected, lakeSum.get(0).getField(0), "$lake sum");
        assertEquals((long) ORDERS, lakeSum.get(0).getField(1), "$lake rows");
        assertEquals((long) ORDERS, lakeSum.get(0).getField(2), "$lake distinct orders");
        assertEquals((long) ORDERS, lakeSum.get(0).getField(3), "$lake rows with a nation (lookup joins)");
        List<Row> unionSum = collect(bt, "SELECT sum(total_price), count(*) FROM datalake_enriched_orders");
        System.out.println("union read " + unionSum);
        assertEquals(expected, unionSum.get(0).getField(0), "union-read sum");
        assertEquals((long) ORDERS, unionSum.get(0).getField(1), "union-read rows");
        assertTrue(server.isAlive());
        passed = true;
        System.out.println("iceberg quickstart passed in " + (System.currentTimeMillis() - t0) + " ms");
    }
}
