package dev.flserver.flink;

import dev.flserver.testing.FlServer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
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
import org.apache.fluss.metadata.TableChange;
import org.apache.fluss.metadata.TableDescriptor;
import org.apache.fluss.metadata.TablePath;
import org.apache.fluss.row.BinaryString;
import org.apache.fluss.row.GenericRow;
import org.apache.fluss.types.DataTypes;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.hadoop.HadoopCatalog;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.paimon.Snapshot;
import org.apache.paimon.catalog.Catalog;
import org.apache.paimon.catalog.CatalogContext;
import org.apache.paimon.catalog.CatalogFactory;
import org.apache.paimon.catalog.Identifier;
import org.apache.paimon.options.Options;
import org.apache.paimon.reader.RecordReader;
import org.apache.paimon.table.FileStoreTable;
import org.apache.paimon.table.source.ReadBuilder;

/**
 * What the ExternalTiering* tests share: Fluss 0.9.1's own lake tiering service (the Flink job
 * LakeTieringJobBuilder builds, as FlussLakeTieringEntrypoint does, with fluss-lake-paimon or
 * fluss-lake-iceberg) in a Flink 1.20 MiniCluster against fl-server, the Fluss Java client
 * writing a log table and a primary-key table in two rounds, and the Paimon / Iceberg Java
 * readers checking that the lake holds exactly the rows (primary-key table: latest state,
 * deletes applied) once Admin.getLatestLakeSnapshot covers every log end offset.
 */
final class TieringHarness implements AutoCloseable {
    static final int LOG_ROWS = 1200;
    static final int PK_ROWS = 400;
    static final String DB = "fluss";

    final String format;      // "paimon" or "iceberg"
    final String warehouse;
    final Path coordinatorDataDir; // where the server writes prepared offsets files
    final Connection conn;
    final Admin admin;
    JobClient tiering;

    TieringHarness(String bootstrap, String format, String warehouse, Path coordinatorDataDir) {
        this.format = format;
        this.warehouse = warehouse;
        this.coordinatorDataDir = coordinatorDataDir;
        Configuration conf = new Configuration();
        conf.setString("bootstrap.servers", bootstrap);
        this.conn = ConnectionFactory.createConnection(conf);
        this.admin = conn.getAdmin();
    }

    @Override
    public void close() throws Exception {
        if (tiering != null) {
            try {
                tiering.cancel().get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                System.out.println("cancelling the tiering job: " + e);
            }
        }
        admin.close();
        conn.close();
    }

    static <T> T get(CompletableFuture<T> f) throws Exception {
        return f.get(60, TimeUnit.SECONDS);
    }

    /** The fl-server keys of a lake: datalake.format and its warehouse (as in server.yaml). */
    static void configureLake(FlServer s, String format, String warehouse) {
        s.set("datalake.format", format).set("datalake." + format + ".warehouse", warehouse);
        if (format.equals("paimon")) s.set("datalake.paimon.metastore", "filesystem");
        else s.set("datalake.iceberg.type", "hadoop");
        String level = System.getProperty("server.log-level");
        if (level != null && !level.isEmpty()) s.set("server.log-level", level);
    }

    static void dumpLog(String name, FlServer s) {
        try {
            String[] lines = s.log().split("\n");
            System.out.println("---- last lines of the " + name + " log ----");
            for (int i = Math.max(0, lines.length - 120); i < lines.length; i++) System.out.println(lines[i]);
        } catch (Exception e) {
            System.out.println("reading the " + name + " log: " + e);
        }
    }

    /** Fluss's tiering job, as FlussLakeTieringEntrypoint builds it for --datalake.format. */
    JobClient startTieringJob(String bootstrap) throws Exception {
        org.apache.flink.configuration.Configuration flink = new org.apache.flink.configuration.Configuration();
        flink.setString("jobmanager.execution.failover-strategy", "full");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
        env.setParallelism(2);
        Configuration flussConf = new Configuration();
        flussConf.setString("bootstrap.servers", bootstrap);
        flussConf.setString("tiering.poll.table.interval", "500ms");
        Configuration lakeConf = new Configuration(); // datalake.<format>.* without the prefix
        if (format.equals("paimon")) lakeConf.setString("metastore", "filesystem");
        else lakeConf.setString("type", "hadoop");
        lakeConf.setString("warehouse", warehouse);
        tiering = LakeTieringJobBuilder.newBuilder(env, flussConf, lakeConf, new Configuration(), format).build();
        return tiering;
    }

    Map<TableBucket, Long> logEndOffsets(TablePath tp) throws Exception {
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
    LakeSnapshot waitTiered(TablePath tp, Duration timeout) throws Exception {
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

    Catalog paimonCatalog() throws Exception {
        Options o = new Options();
        o.set("warehouse", warehouse);
        o.set("metastore", "filesystem");
        return CatalogFactory.createCatalog(CatalogContext.create(o));
    }

    HadoopCatalog icebergCatalog() {
        return new HadoopCatalog(new org.apache.hadoop.conf.Configuration(), warehouse);
    }

    /** Whether the lake table exists, and how many snapshots it has (-1: no table). */
    int lakeSnapshots(String table) throws Exception {
        if (format.equals("paimon")) {
            try (Catalog c = paimonCatalog()) {
                FileStoreTable t;
                try {
                    t = (FileStoreTable) c.getTable(Identifier.create(DB, table));
                } catch (Catalog.TableNotExistException e) {
                    return -1;
                }
                int n = 0;
                for (var it = t.snapshotManager().snapshots(); it.hasNext(); it.next()) n++;
                return n;
            }
        }
        try (HadoopCatalog c = icebergCatalog()) {
            TableIdentifier id = TableIdentifier.of(DB, table);
            if (!c.tableExists(id)) return -1;
            int n = 0;
            for (var s : c.loadTable(id).snapshots()) n++;
            return n;
        }
    }

    /** The user columns of every row the lake's Java reader returns, as "c0|c1|...". */
    List<String> lakeRows(String table, int userCols) throws Exception {
        return lakeRows(table, userCols, Map.of());
    }

    /** paimonOptions: dynamic options of the Paimon read (ignored for Iceberg). */
    List<String> lakeRows(String table, int userCols, Map<String, String> paimonOptions) throws Exception {
        List<String> out = new ArrayList<>();
        if (format.equals("paimon")) {
            try (Catalog c = paimonCatalog()) {
                org.apache.paimon.table.Table t = c.getTable(Identifier.create(DB, table));
                if (!paimonOptions.isEmpty()) t = t.copy(paimonOptions);
                ReadBuilder rb = t.newReadBuilder();
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
            }
            return out;
        }
        try (HadoopCatalog c = icebergCatalog();
                CloseableIterable<Record> it =
                        IcebergGenerics.read(c.loadTable(TableIdentifier.of(DB, table))).build()) {
            for (Record r : it) {
                StringBuilder b = new StringBuilder();
                b.append(r.getField("k")).append('|');
                Object s = r.getField("s");
                b.append(s == null ? "null" : s.toString());
                if (userCols > 2) b.append('|').append(r.getField("v"));
                out.add(b.toString());
            }
        }
        return out;
    }

    /** Every tiering snapshot of the lake table names a prepared offsets file of fl-server. */
    int checkSnapshotsFromExternalJob(String table) throws Exception {
        String prepared = coordinatorDataDir.resolve("remote/lake/" + DB + "/" + table + "-").toString();
        List<String> paths = new ArrayList<>();
        if (format.equals("paimon")) {
            try (Catalog c = paimonCatalog()) {
                FileStoreTable t = (FileStoreTable) c.getTable(Identifier.create(DB, table));
                for (var it = t.snapshotManager().snapshots(); it.hasNext(); ) {
                    Snapshot s = it.next();
                    assertEquals("__fluss_lake_tiering", s.commitUser(), table + " snapshot " + s.id());
                    paths.add(s.properties() == null ? null : s.properties().get("fluss-offsets"));
                }
            }
        } else {
            try (HadoopCatalog c = icebergCatalog()) {
                for (var s : c.loadTable(TableIdentifier.of(DB, table)).snapshots())
                    paths.add(s.summary().get("fluss-offsets"));
            }
        }
        for (String path : paths) {
            assertNotNull(path, table + ": a snapshot without fluss-offsets");
            assertTrue(path.startsWith(prepared) && path.endsWith(".offsets"),
                    table + ": fluss-offsets " + path + " is not a prepared file under " + prepared);
        }
        return paths.size();
    }

    static GenericRow logRow(long k) {
        return GenericRow.of(k, BinaryString.fromString("row-" + k));
    }

    TableDescriptor logTable(boolean lake) {
        return TableDescriptor.builder()
                .schema(Schema.newBuilder()
                        .column("k", DataTypes.BIGINT())
                        .column("s", DataTypes.STRING())
                        .build())
                .distributedBy(3, "k")
                .property("table.datalake.enabled", String.valueOf(lake))
                .property("table.datalake.freshness", "3s")
                .build();
    }

    TableDescriptor pkTable() {
        return TableDescriptor.builder()
                .schema(Schema.newBuilder()
                        .column("k", DataTypes.BIGINT())
                        .column("s", DataTypes.STRING())
                        .column("v", DataTypes.INT())
                        .primaryKey("k")
                        .build())
                .distributedBy(2, "k")
                .property("table.datalake.enabled", "true")
                .property("table.datalake.freshness", "3s")
                .build();
    }

    void createTables(String logName, String pkName) throws Exception {
        get(admin.createTable(TablePath.of(DB, logName), logTable(true), false));
        get(admin.createTable(TablePath.of(DB, pkName), pkTable(), false));
    }

    /** A log table created without the lake, then altered to table.datalake.enabled = true. */
    void createThenEnable(String name) throws Exception {
        TablePath tp = TablePath.of(DB, name);
        get(admin.createTable(tp, logTable(false), false));
        assertEquals(-1, lakeSnapshots(name), name + ": a lake table before the lake was enabled");
        get(admin.alterTable(tp, List.of(TableChange.set("table.datalake.enabled", "true")), false));
        assertEquals(0, lakeSnapshots(name), name + ": the lake table after AlterTable (empty)");
    }

    void appendLog(String name, long from, long to, List<String> expect) throws Exception {
        try (Table t = conn.getTable(TablePath.of(DB, name))) {
            AppendWriter w = t.newAppend().createWriter();
            for (long k = from; k <= to; k++) {
                w.append(logRow(k));
                expect.add(k + "|row-" + k);
            }
            w.flush();
        }
    }

    /** The snapshots the two rounds ended with. */
    static final class Rounds {
        LakeSnapshot log1, pk1, log2, pk2;
    }

    /**
     * Round 1: appends and upserts; round 2: more appends, and updates, deletes and new keys
     * (some with null columns) on the primary-key table. After each, the lake holds exactly the
     * rows. Finally every lake snapshot names one of the server's prepared offsets files.
     */
    Rounds twoRounds(String logName, String pkName, long t0) throws Exception {
        TablePath logTp = TablePath.of(DB, logName);
        TablePath pkTp = TablePath.of(DB, pkName);
        Rounds r = new Rounds();
        List<String> expectLog = new ArrayList<>();
        appendLog(logName, 1, LOG_ROWS, expectLog);
        Map<Long, String> expectPk = new TreeMap<>();
        try (Table t = conn.getTable(pkTp)) {
            UpsertWriter w = t.newUpsert().createWriter();
            for (long k = 1; k <= PK_ROWS; k++) {
                w.upsert(GenericRow.of(k, BinaryString.fromString("v1-" + k), (int) k));
                expectPk.put(k, k + "|v1-" + k + "|" + k);
            }
            w.flush();
        }
        r.log1 = waitTiered(logTp, Duration.ofSeconds(120));
        r.pk1 = waitTiered(pkTp, Duration.ofSeconds(120));
        System.out.println(format + " round 1 tiered after " + (System.currentTimeMillis() - t0)
                + " ms: log snapshot " + r.log1.getSnapshotId() + " " + r.log1.getTableBucketsOffset()
                + ", pk snapshot " + r.pk1.getSnapshotId());
        List<String> logRows = lakeRows(logName, 2);
        assertEquals(LOG_ROWS, logRows.size(), "log table row count in the lake");
        assertEquals(new TreeSet<>(expectLog), new TreeSet<>(logRows), "log table rows in the lake");
        assertEquals(new TreeSet<>(expectPk.values()), new TreeSet<>(lakeRows(pkName, 3)), "pk table rows in the lake");

        appendLog(logName, LOG_ROWS + 1, LOG_ROWS + 300, expectLog);
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
        r.log2 = waitTiered(logTp, Duration.ofSeconds(120));
        r.pk2 = waitTiered(pkTp, Duration.ofSeconds(120));
        System.out.println(format + " round 2 tiered after " + (System.currentTimeMillis() - t0)
                + " ms: log snapshot " + r.log2.getSnapshotId() + ", pk snapshot " + r.pk2.getSnapshotId());
        assertFalse(r.log2.getSnapshotId() == r.log1.getSnapshotId(), "a new log table snapshot");
        assertFalse(r.pk2.getSnapshotId() == r.pk1.getSnapshotId(), "a new pk table snapshot");
        logRows = lakeRows(logName, 2);
        assertEquals(expectLog.size(), logRows.size(), "log table row count in the lake after round 2");
        assertEquals(new TreeSet<>(expectLog), new TreeSet<>(logRows), "log table rows in the lake after round 2");
        List<String> pkRows = lakeRows(pkName, 3);
        assertEquals(expectPk.size(), pkRows.size(), "pk table row count in the lake after round 2");
        assertEquals(new TreeSet<>(expectPk.values()), new TreeSet<>(pkRows), "pk table rows in the lake after round 2");

        assertTrue(checkSnapshotsFromExternalJob(logName) >= 2);
        assertTrue(checkSnapshotsFromExternalJob(pkName) >= 2);
        return r;
    }
}
