package dev.flserver.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.fluss.client.Connection;
import org.apache.fluss.client.ConnectionFactory;
import org.apache.fluss.client.admin.Admin;
import org.apache.fluss.client.admin.OffsetSpec;
import org.apache.fluss.client.metadata.LakeSnapshot;
import org.apache.fluss.client.table.Table;
import org.apache.fluss.client.table.writer.AppendWriter;
import org.apache.fluss.client.table.writer.UpsertWriter;
import org.apache.fluss.config.Configuration;
import org.apache.fluss.flink.tiering.LakeTieringJobBuilder;
import org.apache.fluss.metadata.Schema;
import org.apache.fluss.metadata.TableBucket;
import org.apache.fluss.metadata.TableDescriptor;
import org.apache.fluss.metadata.TablePath;
import org.apache.fluss.row.BinaryString;
import org.apache.fluss.row.GenericRow;
import org.apache.fluss.types.DataTypes;
import org.apache.paimon.Snapshot;
import org.apache.paimon.catalog.Catalog;
import org.apache.paimon.catalog.CatalogContext;
import org.apache.paimon.catalog.CatalogFactory;
import org.apache.paimon.catalog.Identifier;
import org.apache.paimon.options.Options;
import org.apache.paimon.reader.RecordReader;
import org.apache.paimon.table.FileStoreTable;
import org.apache.paimon.table.source.ReadBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Fluss 0.9.1's own lake tiering service (the Flink job that LakeTieringJobBuilder builds, as
 * FlussLakeTieringEntrypoint does, with fluss-lake-paimon) run in a Flink 1.20.3 MiniCluster
 * against fl-server: it heartbeats (LakeTieringHeartbeat), is handed the lake-enabled tables,
 * reads their logs, writes Paimon with Paimon's own Java writer and commits through
 * PrepareLakeTableSnapshot and CommitLakeTableSnapshot. fl-server runs with its default
 * in-process tiering thread, which stands aside while the external service heartbeats (the
 * rule in coordinator/fl_tiermgr.h): the test starts the job first, waits for the server to
 * see it, then creates a log table and a primary-key table, writes rows, waits until
 * Admin.getLatestLakeSnapshot covers every log end offset, and checks with the Paimon Java
 * reader that the lake holds exactly the rows (the primary-key table merged: updates and
 * deletes applied), in two rounds. Also checked: every lake snapshot names one of the
 * server's prepared offsets files in "fluss-offsets" (so the external job, not the
 * in-process thread, wrote it), and the server's log shows the hand-outs and the commits.
 */
class ExternalTieringPaimonTest {
    static final int LOG_ROWS = 1200;
    static final int PK_ROWS = 400;

    static FlServer server;
    static Connection conn;
    static Admin admin;
    static JobClient tiering;
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
        if (tiering != null) {
            try {
                tiering.cancel().get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                System.out.println("cancelling the tiering job: " + e);
            }
        }
        if (!passed && server != null) {
            String[] lines = server.log().split("\n");
            System.out.println("---- last lines of the server log ----");
            for (int i = Math.max(0, lines.length - 120); i < lines.length; i++) System.out.println(lines[i]);
        }
        if (admin != null) admin.close();
        if (conn != null) conn.close();
        if (server != null) server.close();
    }

    static <T> T get(CompletableFuture<T> f) throws Exception {
        return f.get(60, TimeUnit.SECONDS);
    }

    static String warehouse() {
        return server.dataDir().resolve("lake/paimon").toString();
    }

    /** Fluss's tiering job, as FlussLakeTieringEntrypoint builds it for datalake.format=paimon. */
    static JobClient startTieringJob() throws Exception {
        org.apache.flink.configuration.Configuration flink = new org.apache.flink.configuration.Configuration();
        flink.setString("jobmanager.execution.failover-strategy", "full");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
        env.setParallelism(2);
        Configuration flussConf = new Configuration();
        flussConf.setString("bootstrap.servers", server.bootstrap());
        flussConf.setString("tiering.poll.table.interval", "500ms");
        Configuration lakeConf = new Configuration(); // datalake.paimon.* without the prefix
        lakeConf.setString("metastore", "filesystem");
        lakeConf.setString("warehouse", warehouse());
        return LakeTieringJobBuilder.newBuilder(env, flussConf, lakeConf, new Configuration(), "paimon")
                .build();
    }

    static Map<TableBucket, Long> logEndOffsets(TablePath tp) throws Exception {
        var info = get(admin.getTableInfo(tp));
        List<Integer> ids = new ArrayList<>();
        for (int b = 0; b < info.getNumBuckets(); b++) ids.add(b);
        var res = admin.listOffsets(tp, ids, new OffsetSpec.LatestSpec());
        Map<TableBucket, Long> out = new HashMap<>();
        for (int b : ids) {
            long end = get(res.bucketResult(b));
            if (end > 0) out.put(new TableBucket(info.getTableId(), b), end);
        }
        return out;
    }

    /** Waits until the latest lake snapshot covers every bucket's log end offset. */
    static LakeSnapshot waitTiered(TablePath tp, Duration timeout) throws Exception {
        Map<TableBucket, Long> end = logEndOffsets(tp);
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        LakeSnapshot lake = null;
        while (System.currentTimeMillis() < deadline) {
            assertEquals(JobStatus.RUNNING, tiering.getJobStatus().get(10, TimeUnit.SECONDS), "tiering job");
            try {
                lake = get(admin.getLatestLakeSnapshot(tp));
                if (lake.getTableBucketsOffset().equals(end)) return lake;
            } catch (Exception e) {
                if (!String.valueOf(e.getCause()).contains("LakeTableSnapshotNotExist")) throw e;
            }
            Thread.sleep(500);
        }
        assertNotNull(lake, tp + ": no lake snapshot within " + timeout);
        assertEquals(end, lake.getTableBucketsOffset(), tp + ": lake snapshot offsets vs log end offsets");
        return lake;
    }

    /** The user columns of every row the Paimon Java reader returns, as "c0|c1|...". */
    static List<String> paimonRows(String table, int userCols) throws Exception {
        Options o = new Options();
        o.set("warehouse", warehouse());
        o.set("metastore", "filesystem");
        try (Catalog c = CatalogFactory.createCatalog(CatalogContext.create(o))) {
            org.apache.paimon.table.Table t = c.getTable(Identifier.create("fluss", table));
            ReadBuilder rb = t.newReadBuilder();
            List<String> out = new ArrayList<>();
            try (RecordReader<org.apache.paimon.data.InternalRow> r =
                    rb.newRead().createReader(rb.newScan().plan())) {
                r.forEachRemaining(row -> {
                    StringBuilder b = new StringBuilder();
                    b.append(row.getLong(0)).append('|');
                    b.append(row.isNullAt(1) ? "null" : row.getString(1).toString());
                    if (userCols > 2) b.append('|').append(row.isNullAt(2) ? "null" : row.getInt(2));
                    out.add(b.toString());
                });
            }
            return out;
        }
    }

    /** Every tiering snapshot of the Paimon table names a prepared offsets file of fl-server. */
    static int checkSnapshotsFromExternalJob(String table) throws Exception {
        Options o = new Options();
        o.set("warehouse", warehouse());
        o.set("metastore", "filesystem");
        String prepared = server.dataDir().resolve("remote/lake/fluss/" + table + "-").toString();
        int n = 0;
        try (Catalog c = CatalogFactory.createCatalog(CatalogContext.create(o))) {
            FileStoreTable t = (FileStoreTable) c.getTable(Identifier.create("fluss", table));
            for (var it = t.snapshotManager().snapshots(); it.hasNext(); ) {
                Snapshot s = it.next();
                assertEquals("__fluss_lake_tiering", s.commitUser(), table + " snapshot " + s.id());
                String path = s.properties() == null ? null : s.properties().get("fluss-offsets");
                assertNotNull(path, table + " snapshot " + s.id() + " has no fluss-offsets");
                assertTrue(path.startsWith(prepared) && path.endsWith(".offsets"),
                        table + " snapshot " + s.id() + ": fluss-offsets " + path + " is not a prepared file under " + prepared);
                n++;
            }
        }
        return n;
    }

    static GenericRow logRow(long k) {
        return GenericRow.of(k, BinaryString.fromString("row-" + k));
    }

    @Test
    void flussTieringJobTiersIntoThePaimonLake() throws Exception {
        long t0 = System.currentTimeMillis();
        tiering = startTieringJob();
        // the server sees the service (its first heartbeat comes when the enumerator starts)
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline && !server.log().contains("an external lake tiering service is present"))
            Thread.sleep(200);
        assertTrue(server.log().contains("an external lake tiering service is present"),
                "the tiering job never heartbeated");
        System.out.println("tiering service registered after " + (System.currentTimeMillis() - t0) + " ms");

        TablePath logTp = TablePath.of("fluss", "ext_log");
        TablePath pkTp = TablePath.of("fluss", "ext_pk");
        get(admin.createTable(logTp, TableDescriptor.builder()
                .schema(Schema.newBuilder()
                        .column("k", DataTypes.BIGINT())
                        .column("s", DataTypes.STRING())
                        .build())
                .distributedBy(3, "k")
                .property("table.datalake.enabled", "true")
                .property("table.datalake.freshness", "3s")
                .build(), false));
        get(admin.createTable(pkTp, TableDescriptor.builder()
                .schema(Schema.newBuilder()
                        .column("k", DataTypes.BIGINT())
                        .column("s", DataTypes.STRING())
                        .column("v", DataTypes.INT())
                        .primaryKey("k")
                        .build())
                .distributedBy(2, "k")
                .property("table.datalake.enabled", "true")
                .property("table.datalake.freshness", "3s")
                .build(), false));

        // round 1: appends and upserts
        List<String> expectLog = new ArrayList<>();
        try (Table t = conn.getTable(logTp)) {
            AppendWriter w = t.newAppend().createWriter();
            for (long k = 1; k <= LOG_ROWS; k++) {
                w.append(logRow(k));
                expectLog.add(k + "|row-" + k);
            }
            w.flush();
        }
        Map<Long, String> expectPk = new TreeMap<>();
        try (Table t = conn.getTable(pkTp)) {
            UpsertWriter w = t.newUpsert().createWriter();
            for (long k = 1; k <= PK_ROWS; k++) {
                w.upsert(GenericRow.of(k, BinaryString.fromString("v1-" + k), (int) k));
                expectPk.put(k, k + "|v1-" + k + "|" + k);
            }
            w.flush();
        }
        LakeSnapshot l1 = waitTiered(logTp, Duration.ofSeconds(120));
        LakeSnapshot p1 = waitTiered(pkTp, Duration.ofSeconds(120));
        System.out.println("round 1 tiered after " + (System.currentTimeMillis() - t0) + " ms: log snapshot "
                + l1.getSnapshotId() + " " + l1.getTableBucketsOffset() + ", pk snapshot " + p1.getSnapshotId());
        assertEquals(new TreeSet<>(expectLog), new TreeSet<>(paimonRows("ext_log", 2)), "log table rows in Paimon");
        assertEquals(LOG_ROWS, paimonRows("ext_log", 2).size(), "log table row count in Paimon");
        assertEquals(new TreeSet<>(expectPk.values()), new TreeSet<>(paimonRows("ext_pk", 3)), "pk table rows in Paimon");

        // round 2: more appends; updates, deletes and new keys on the primary-key table
        try (Table t = conn.getTable(logTp)) {
            AppendWriter w = t.newAppend().createWriter();
            for (long k = LOG_ROWS + 1; k <= LOG_ROWS + 300; k++) {
                w.append(logRow(k));
                expectLog.add(k + "|row-" + k);
            }
            w.flush();
        }
        try (Table t = conn.getTable(pkTp)) {
            UpsertWriter w = t.newUpsert().createWriter();
            for (long k = 1; k <= 50; k++) {
                w.upsert(GenericRow.of(k, BinaryString.fromString("v2-" + k), (int) (k * 10)));
                expectPk.put(k, k + "|v2-" + k + "|" + (k * 10));
            }
            for (long k = 51; k <= 80; k++) {
                w.delete(GenericRow.of(k, BinaryString.fromString("v1-" + k), (int) k));
                expectPk.remove(k);
            }
            for (long k = PK_ROWS + 1; k <= PK_ROWS + 20; k++) {
                w.upsert(GenericRow.of(k, null, null));
                expectPk.put(k, k + "|null|null");
            }
            w.flush();
        }
        LakeSnapshot l2 = waitTiered(logTp, Duration.ofSeconds(120));
        LakeSnapshot p2 = waitTiered(pkTp, Duration.ofSeconds(120));
        System.out.println("round 2 tiered after " + (System.currentTimeMillis() - t0) + " ms: log snapshot "
                + l2.getSnapshotId() + ", pk snapshot " + p2.getSnapshotId());
        assertTrue(l2.getSnapshotId() > l1.getSnapshotId(), "a new log table snapshot");
        assertTrue(p2.getSnapshotId() > p1.getSnapshotId(), "a new pk table snapshot");
        List<String> logRows = paimonRows("ext_log", 2);
        assertEquals(expectLog.size(), logRows.size(), "log table row count in Paimon after round 2");
        assertEquals(new TreeSet<>(expectLog), new TreeSet<>(logRows), "log table rows in Paimon after round 2");
        List<String> pkRows = paimonRows("ext_pk", 3);
        assertEquals(expectPk.size(), pkRows.size(), "pk table row count in Paimon after round 2");
        assertEquals(new TreeSet<>(expectPk.values()), new TreeSet<>(pkRows), "pk table rows in Paimon after round 2");

        // the external job did it: its snapshots, its offsets files, the server's log
        assertTrue(checkSnapshotsFromExternalJob("ext_log") >= 2);
        assertTrue(checkSnapshotsFromExternalJob("ext_pk") >= 2);
        String log = server.log();
        assertTrue(log.contains("fluss.ext_log (table ") && log.contains("handed to the external tiering service"));
        assertTrue(log.contains("fluss.ext_pk: lake snapshot " + p2.getSnapshotId() + " committed by an external tiering service"));
        assertFalse(log.matches("(?s).*fluss\\.ext_(log|pk): lake snapshot \\d+: \\d+ rows.*"),
                "the in-process tiering thread tiered rows while the external service was present");
        assertTrue(server.isAlive());
        passed = true;
        System.out.println("external tiering passed in " + (System.currentTimeMillis() - t0) + " ms");
    }
}
