package dev.flserver.interop;

import dev.flserver.testing.FlServer;

import static dev.flserver.interop.Fixtures.connect;
import static dev.flserver.interop.Fixtures.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.fluss.client.Connection;
import org.apache.fluss.client.admin.Admin;
import org.apache.fluss.client.admin.OffsetSpec;
import org.apache.fluss.client.lookup.Lookuper;
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
import org.apache.fluss.row.InternalRow;
import org.apache.fluss.types.DataTypes;
import org.apache.hadoop.conf.Configuration;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.hadoop.HadoopTables;
import org.apache.iceberg.io.CloseableIterable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** datalake.format = iceberg: the server's tiering thread writes Iceberg tables that the Iceberg
 *  1.10.1 Java library (HadoopTables + IcebergGenerics, deletes applied) reads back. */
class LakeIcebergTest {
    static FlServer server;
    static Connection conn;
    static Admin admin;

    @BeforeAll
    static void start() throws Exception {
        server = FlServer.local().set("datalake.format", "iceberg").start();
        conn = connect(server);
        admin = conn.getAdmin();
    }

    @AfterAll
    static void stop() throws Exception {
        admin.close();
        conn.close();
        server.close();
    }

    static Path tableDir(String table) {
        return server.dataDir().resolve("lake/iceberg/fluss").resolve(table); // no ".db" suffix
    }

    static org.apache.iceberg.Table loadIceberg(String table) {
        return new HadoopTables(new Configuration()).load(tableDir(table).toString());
    }

    /** Every live row of the Iceberg table's current snapshot, deletes applied. */
    static List<Record> readIceberg(String table) throws Exception {
        org.apache.iceberg.Table t = loadIceberg(table);
        List<Record> out = new ArrayList<>();
        try (CloseableIterable<Record> it = IcebergGenerics.read(t).build()) {
            for (Record r : it) out.add(r.copy());
        }
        return out;
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
        throw new AssertionError("lake did not catch up; last " + last + "\n" + server.log());
    }

    @Test
    void logTableIsTieredAndReadableByIceberg() throws Exception {
        TablePath tp = TablePath.of("fluss", "ice_log");
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
        assertEquals("iceberg", props.get("table.datalake.format"));
        assertTrue(props.get("table.datalake.iceberg.warehouse").endsWith("lake/iceberg"),
                props.get("table.datalake.iceberg.warehouse"));
        assertEquals("hadoop", props.get("table.datalake.iceberg.type"));
        int n = 20_000;
        try (Table table = conn.getTable(tp)) {
            AppendWriter w = table.newAppend().createWriter();
            for (long i = 0; i < n; i++)
                w.append(GenericRow.of(i, BinaryString.fromString("n" + i),
                        org.apache.fluss.row.Decimal.fromUnscaledLong(i, 12, 2)));
            w.flush();
        }
        LakeSnapshot snap = waitForLake(tp, n);
        assertTrue(Files.isRegularFile(tableDir("ice_log").resolve("metadata/version-hint.text")));
        org.apache.iceberg.Table it = loadIceberg("ice_log");
        Snapshot cur = it.currentSnapshot();
        assertNotNull(cur);
        // the coordinator recorded exactly the Iceberg table's current snapshot
        assertEquals(cur.snapshotId(), snap.getSnapshotId());
        assertEquals("__fluss_lake_tiering", cur.summary().get("commit-user"));
        assertTrue(Files.isRegularFile(Path.of(cur.summary().get("fluss-offsets"))));

        List<Record> rows = readIceberg("ice_log");
        assertEquals(n, rows.size());
        boolean[] seen = new boolean[n];
        Map<Integer, Long> maxOffsetPerBucket = new HashMap<>();
        Map<Integer, Integer> rowsPerBucket = new HashMap<>();
        for (Record r : rows) {
            long id = (Long) r.getField("id");
            assertTrue(!seen[(int) id], "duplicate " + id);
            seen[(int) id] = true;
            assertEquals("n" + id, r.getField("name").toString());
            assertEquals(BigDecimal.valueOf(id, 2), r.getField("amount"));
            int bucket = (Integer) r.getField("__bucket");
            long offset = (Long) r.getField("__offset");
            assertTrue(bucket >= 0 && bucket < 3);
            assertTrue(((OffsetDateTime) r.getField("__timestamp")).toInstant().toEpochMilli() > 0);
            maxOffsetPerBucket.merge(bucket, offset, Math::max);
            rowsPerBucket.merge(bucket, 1, Integer::sum);
        }
        // the lake snapshot's offsets are exactly the end of what the lake holds per bucket, and
        // a log table has one row per offset: offsets 0..end-1 of every bucket are there
        long total = 0;
        for (Map.Entry<TableBucket, Long> e : snap.getTableBucketsOffset().entrySet()) {
            int b = e.getKey().getBucket();
            assertEquals(e.getValue() - 1, maxOffsetPerBucket.get(b), "bucket " + b);
            assertEquals(e.getValue().intValue(), rowsPerBucket.get(b), "bucket " + b);
            total += e.getValue();
        }
        assertEquals(n, total);
        // pyiceberg reads the same rows, and lists the same snapshots
        List<String> py = readPy("pyiceberg", "ice_log", "id", "name", "amount", "__bucket", "__offset");
        if (py == null) return;
        List<String> jrows = new ArrayList<>();
        for (Record r : rows)
            jrows.add(jsonRow(r.getField("id"), r.getField("name"), ((BigDecimal) r.getField("amount")).toPlainString(),
                    r.getField("__bucket"), r.getField("__offset")));
        java.util.Collections.sort(jrows);
        assertEquals(jrows, py);
        checkPySnapshots("ice_log");
    }

    @Test
    void primaryKeyTableLakeEqualsLookupState() throws Exception {
        TablePath tp = TablePath.of("fluss", "ice_pk");
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
        Map<Integer, String> looked = new HashMap<>();
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
                    if (round == 1 && k % 7 == 0) { // same key twice in one round
                        String v = "again" + k;
                        w.upsert(GenericRow.of(k, BinaryString.fromString(v)));
                        state.put(k, v);
                    }
                }
                w.flush();
                Thread.sleep(1500); // several lake rounds: equality deletes across snapshots
            }
            long end = 0;
            for (int b = 0; b < 2; b++)
                end += get(admin.listOffsets(tp, List.of(b), new OffsetSpec.LatestSpec()).bucketResult(b));
            waitForLake(tp, end);
            Lookuper l = table.newLookup().createLookuper();
            List<java.util.concurrent.CompletableFuture<org.apache.fluss.client.lookup.LookupResult>> fs =
                    new ArrayList<>();
            for (int k = 0; k < 1000; k++) fs.add(l.lookup(GenericRow.of(k))); // batched
            for (int k = 0; k < 1000; k++) {
                InternalRow got = fs.get(k).get().getSingletonRow();
                if (got != null) looked.put(k, got.getString(1).toString());
            }
        }
        assertEquals(state, looked); // the server's own state, as the real client reads it
        Map<Integer, String> lake = new HashMap<>();
        List<Record> rows = readIceberg("ice_pk");
        for (Record r : rows) {
            Integer k = (Integer) r.getField("k");
            assertNull(lake.put(k, r.getField("v").toString()), "key " + k + " twice in the lake");
            // the Fluss client hashes k with Iceberg's bucket function for iceberg tables; the
            // partition value bucket[2](k) is the Fluss bucket, so they must agree
            int icebergBucket = (org.apache.iceberg.util.BucketUtil.hash(k) & Integer.MAX_VALUE) % 2;
            assertEquals(icebergBucket, (int) (Integer) r.getField("__bucket"), "key " + k);
        }
        assertEquals(looked, lake);
        // DuckDB (iceberg_scan, equality deletes applied) reads the Lookuper's state too
        List<String> duck = readPy("duckdb", "ice_pk", "k", "v");
        if (duck == null) return;
        List<String> want = new ArrayList<>();
        for (Map.Entry<Integer, String> e : looked.entrySet()) want.add(jsonRow(e.getKey(), e.getValue()));
        java.util.Collections.sort(want);
        assertEquals(want, duck);
        checkPySnapshots("ice_pk");
    }

    /** The named columns of every row as READER (pyiceberg, duckdb, pyiceberg-snapshots) reads
     *  them through tests/interop/py/iceberg_dump.py, sorted; null when fl.python is not set. */
    static List<String> readPy(String reader, String table, String... cols) throws Exception {
        String python = System.getProperty("fl.python");
        if (python == null || python.isEmpty()) return null;
        List<String> argv = new ArrayList<>(List.of(python, "py/iceberg_dump.py", reader, tableDir(table).toString()));
        argv.addAll(List.of(cols));
        Process p = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        List<String> out = new ArrayList<>();
        try (java.io.BufferedReader r = new java.io.BufferedReader(
                new java.io.InputStreamReader(p.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) out.add(line);
        }
        assertEquals(0, p.waitFor(), "iceberg_dump.py " + reader + " " + table + " failed");
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

    /** pyiceberg's inspect.snapshots() lists exactly the snapshots the Java library sees, each
     *  with an operation. */
    static void checkPySnapshots(String table) throws Exception {
        List<String> py = readPy("pyiceberg-snapshots", table);
        if (py == null) return;
        List<String> want = new ArrayList<>();
        for (Snapshot s : loadIceberg(table).snapshots()) {
            assertNotNull(s.operation(), "snapshot " + s.snapshotId() + " has no operation");
            want.add(jsonRow(s.snapshotId(), s.operation()));
        }
        java.util.Collections.sort(want);
        assertTrue(py.size() >= 1, table + ": no snapshots");
        assertEquals(want, py, table + " snapshots");
        for (String l : py) assertTrue(!l.endsWith("null]"), table + ": snapshot without operation " + l);
    }

    /** Freshness: with table.datalake.freshness = 5s under a steady write stream, new rows keep
     *  reaching the Iceberg lake (each check allows three intervals), and the lake catches up. */
    @Test
    void freshRowsKeepReachingTheLake() throws Exception {
        TablePath tp = TablePath.of("fluss", "ice_fresh");
        long written = LakeFreshness.streamAndCheck(admin, conn, tp, "iceberg freshness");
        waitForLake(tp, written);
        assertEquals(written, readIceberg("ice_fresh").size());
    }

    /** datalake.format switched from paimon to iceberg across a restart of the same data dir.
     *  Fluss 0.9.1 stores table.datalake.format in the table's properties at creation
     *  (CoordinatorService.applySystemDefaults fills it from the cluster only when absent) and
     *  never rewrites it; the cluster format only applies to tables created afterwards. So the
     *  existing table still reports paimon (with the cluster's iceberg.* options merged in, as
     *  MetadataManager.getTable does), its Paimon data stays
     *  readable, nothing of it appears in the Iceberg warehouse, a new lake table gets iceberg and
     *  is tiered there, and the server keeps serving both tables. */
    @Test
    void datalakeFormatSwitchKeepsExistingTablesFormat() throws Exception {
        try (FlServer srv = FlServer.local().set("datalake.format", "paimon").start()) {
            org.apache.fluss.config.Configuration conf = new org.apache.fluss.config.Configuration();
            conf.setString("bootstrap.servers", srv.bootstrap());
            TablePath oldTp = TablePath.of("fluss", "sw_old");
            TablePath newTp = TablePath.of("fluss", "sw_new");
            try (Connection c = org.apache.fluss.client.ConnectionFactory.createConnection(conf);
                    Admin a = c.getAdmin();
                    Table table = waitCreate(a, c, oldTp)) {
                assertEquals("paimon", get(a.getTableInfo(oldTp)).getProperties().toMap().get("table.datalake.format"));
                AppendWriter w = table.newAppend().createWriter();
                for (long i = 0; i < 1000; i++) w.append(GenericRow.of(i));
                w.flush();
                waitSum(a, oldTp, 1000);
            }
            srv.stop();
            srv.set("datalake.format", "iceberg").start();
            long oldTieredAfter;
            try (Connection c = org.apache.fluss.client.ConnectionFactory.createConnection(conf);
                    Admin a = c.getAdmin()) {
                Map<String, String> props = get(a.getTableInfo(oldTp)).getProperties().toMap();
                assertEquals("paimon", props.get("table.datalake.format"), props.toString());
                assertEquals("true", props.get("table.datalake.enabled"));
                System.out.println("format switch: old table's properties after the restart: " + props);
                // Fluss 0.9.1 MetadataManager.getTable/TableRegistration.toTableInfo: the stored
                // properties plus the CURRENT cluster's datalake.<format>.* options (as table.*)
                // for every lake-enabled table, whatever format the table itself records
                assertTrue(props.get("table.datalake.iceberg.warehouse").endsWith("lake/iceberg"), props.toString());
                assertEquals("hadoop", props.get("table.datalake.iceberg.type"), props.toString());
                assertTrue(!props.containsKey("table.datalake.paimon.warehouse"), props.toString());
                try (Table newTable = waitCreate(a, c, newTp); Table oldTable = c.getTable(oldTp)) {
                    Map<String, String> np = get(a.getTableInfo(newTp)).getProperties().toMap();
                    assertEquals("iceberg", np.get("table.datalake.format"), np.toString());
                    assertTrue(np.get("table.datalake.iceberg.warehouse").endsWith("lake/iceberg"), np.toString());
                    AppendWriter ow = oldTable.newAppend().createWriter();
                    AppendWriter nw = newTable.newAppend().createWriter();
                    for (long i = 0; i < 1000; i++) {
                        ow.append(GenericRow.of(1000 + i));
                        nw.append(GenericRow.of(i));
                    }
                    ow.flush();
                    nw.flush();
                }
                LakeSnapshot ns = waitSum(a, newTp, 1000);
                org.apache.iceberg.Table it = new HadoopTables(new Configuration())
                        .load(srv.dataDir().resolve("lake/iceberg/fluss/sw_new").toString());
                assertEquals(it.currentSnapshot().snapshotId(), ns.getSnapshotId());
                Thread.sleep(2000); // several tiering intervals for the old table
                oldTieredAfter = get(a.getLatestLakeSnapshot(oldTp)).getTableBucketsOffset().values()
                        .stream().mapToLong(Long::longValue).sum();
                // the old table writes and reads on in Fluss
                assertEquals(2000L, get(a.listOffsets(oldTp, List.of(0), new OffsetSpec.LatestSpec()).bucketResult(0))
                        + get(a.listOffsets(oldTp, List.of(1), new OffsetSpec.LatestSpec()).bucketResult(1)));
            }
            assertTrue(!Files.exists(srv.dataDir().resolve("lake/iceberg/fluss/sw_old")),
                    "the paimon table was tiered into the Iceberg warehouse");
            // its Paimon data is still there and readable
            org.apache.paimon.options.Options o = new org.apache.paimon.options.Options();
            o.set("warehouse", srv.dataDir().resolve("lake/paimon").toString());
            o.set("metastore", "filesystem");
            long paimonRows = 0;
            try (org.apache.paimon.catalog.Catalog cat = org.apache.paimon.catalog.CatalogFactory.createCatalog(
                    org.apache.paimon.catalog.CatalogContext.create(o))) {
                org.apache.paimon.table.Table pt = cat.getTable(org.apache.paimon.catalog.Identifier.create("fluss", "sw_old"));
                org.apache.paimon.table.source.ReadBuilder rb = pt.newReadBuilder();
                try (org.apache.paimon.reader.RecordReader<org.apache.paimon.data.InternalRow> r =
                        rb.newRead().createReader(rb.newScan().plan())) {
                    org.apache.paimon.reader.RecordReader.RecordIterator<org.apache.paimon.data.InternalRow> b;
                    while ((b = r.readBatch()) != null) {
                        while (b.next() != null) paimonRows++;
                        b.releaseBatch();
                    }
                }
            }
            System.out.println("format switch: old paimon table lake offsets " + oldTieredAfter
                    + " after the restart, " + paimonRows + " rows in its Paimon table");
            // the table is tiered neither into Iceberg (checked above) nor further into Paimon:
            // in Fluss 0.9.1 the coordinator still offers it, but a tiering job configured for the
            // cluster's new format (iceberg) finds no such lake table, so its lake snapshot stays
            assertEquals(1000, paimonRows);
            assertEquals(1000, oldTieredAfter);
            assertTrue(srv.isAlive(), srv.log());
        }
    }

    /** kill -9 while tiering: after restarts (the first round asks Iceberg for a tiering
     *  snapshot the coordinator did not record and adopts its offsets), the lake holds every
     *  offset [0, tiered end) of each bucket exactly once. */
    @Test
    void killNineWhileTieringKeepsTheLakeAPrefixOfTheLog() throws Exception {
        java.util.Random rnd = new java.util.Random(System.nanoTime());
        try (FlServer srv = FlServer.local().set("datalake.format", "iceberg").start()) {
            org.apache.fluss.config.Configuration conf = new org.apache.fluss.config.Configuration();
            conf.setString("bootstrap.servers", srv.bootstrap());
            TablePath tp = TablePath.of("fluss", "ice_crashy");
            try (Connection c = org.apache.fluss.client.ConnectionFactory.createConnection(conf);
                    Admin a = c.getAdmin()) {
                get(a.createTable(tp, TableDescriptor.builder()
                        .schema(Schema.newBuilder().column("id", DataTypes.BIGINT()).column("s", DataTypes.STRING()).build())
                        .distributedBy(2)
                        .property("table.datalake.enabled", "true")
                        .property("table.datalake.freshness", "300ms")
                        .build(), false));
            }
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            try (Connection c = org.apache.fluss.client.ConnectionFactory.createConnection(conf);
                    Table table = c.getTable(tp)) {
                AppendWriter w = table.newAppend().createWriter();
                Thread writer = new Thread(() -> {
                    long i = 0;
                    while (!stop.get()) {
                        w.append(GenericRow.of(i, BinaryString.fromString("s" + i)));
                        i++;
                        if (i % 200 == 0) {
                            try {
                                Thread.sleep(10);
                            } catch (InterruptedException e) {
                                return;
                            }
                        }
                    }
                });
                writer.start();
                for (int k = 0; k < 20; k++) {
                    Thread.sleep(300 + rnd.nextInt(500));
                    srv.kill9();
                    srv.start();
                }
                stop.set(true);
                writer.join();
                w.flush();
            }
            try (Connection c = org.apache.fluss.client.ConnectionFactory.createConnection(conf);
                    Admin a = c.getAdmin()) {
                long sum = 0;
                for (int b = 0; b < 2; b++)
                    sum += get(a.listOffsets(tp, List.of(b), new OffsetSpec.LatestSpec()).bucketResult(b));
                long deadline = System.currentTimeMillis() + 60_000;
                LakeSnapshot snap = null;
                while (System.currentTimeMillis() < deadline) {
                    try {
                        snap = get(a.getLatestLakeSnapshot(tp));
                        if (snap.getTableBucketsOffset().values().stream().mapToLong(Long::longValue).sum() >= sum)
                            break;
                    } catch (Exception e) {
                        if (!(e.getCause() instanceof LakeTableSnapshotNotExistException)) throw e;
                    }
                    Thread.sleep(250);
                }
                assertNotNull(snap);
                org.apache.iceberg.Table it = new HadoopTables(new Configuration())
                        .load(srv.dataDir().resolve("lake/iceberg/fluss/ice_crashy").toString());
                assertEquals(it.currentSnapshot().snapshotId(), snap.getSnapshotId());
                Map<Integer, java.util.TreeSet<Long>> offsets = new HashMap<>();
                try (CloseableIterable<Record> rows = IcebergGenerics.read(it).build()) {
                    for (Record r : rows) {
                        int b = (Integer) r.getField("__bucket");
                        long off = (Long) r.getField("__offset");
                        assertTrue(offsets.computeIfAbsent(b, x -> new java.util.TreeSet<>()).add(off),
                                "offset tiered twice: bucket " + b + " offset " + off);
                    }
                }
                for (Map.Entry<TableBucket, Long> e : snap.getTableBucketsOffset().entrySet()) {
                    java.util.TreeSet<Long> s = offsets.getOrDefault(e.getKey().getBucket(), new java.util.TreeSet<>());
                    assertEquals(e.getValue().longValue(), s.size(), "rows of bucket " + e.getKey().getBucket());
                    if (!s.isEmpty()) {
                        assertEquals(0L, s.first().longValue());
                        assertEquals(e.getValue() - 1, s.last().longValue());
                    }
                }
                int snaps = 0;
                for (Snapshot x : it.snapshots()) snaps++;
                String log = srv.log();
                int adopted = log.split("adopting its offsets", -1).length - 1;
                System.out.println("iceberg lake after 20 crashes: " + snaps + " snapshots, " + adopted
                        + " adopted after a restart (in the last run's log), " + snap);
                assertTrue(snaps >= 4, "lake snapshots committed while crashing: " + snaps);
            }
        }
    }

    /** The resume path, forced: the coordinator's metadata is rolled back to before the last
     *  lake commit (as a crash between the Iceberg commit and the record would leave it). The
     *  first round after the restart must adopt the Iceberg snapshot's offsets: no row twice. */
    @Test
    void restartAdoptsAnIcebergSnapshotTheCoordinatorDidNotRecord() throws Exception {
        try (FlServer srv = FlServer.local().set("datalake.format", "iceberg").start()) {
            org.apache.fluss.config.Configuration conf = new org.apache.fluss.config.Configuration();
            conf.setString("bootstrap.servers", srv.bootstrap());
            TablePath tp = TablePath.of("fluss", "ice_resume");
            Path meta = srv.dataDir().resolve("coordinator/meta");
            Path saved = srv.dataDir().resolveSibling(srv.dataDir().getFileName() + "-meta-saved");
            long first;
            try (Connection c = org.apache.fluss.client.ConnectionFactory.createConnection(conf);
                    Admin a = c.getAdmin();
                    Table table = waitCreate(a, c, tp)) {
                AppendWriter w = table.newAppend().createWriter();
                for (long i = 0; i < 1000; i++) w.append(GenericRow.of(i));
                w.flush();
                first = waitSum(a, tp, 1000).getSnapshotId();
            }
            srv.stop();
            copyTree(meta, saved);
            srv.start();
            try (Connection c = org.apache.fluss.client.ConnectionFactory.createConnection(conf);
                    Admin a = c.getAdmin();
                    Table table = c.getTable(tp)) {
                AppendWriter w = table.newAppend().createWriter();
                for (long i = 1000; i < 3000; i++) w.append(GenericRow.of(i));
                w.flush();
                waitSum(a, tp, 3000);
            }
            srv.stop();
            deleteTree(meta);
            copyTree(saved, meta); // the coordinator now remembers only the first snapshot
            deleteTree(saved);
            srv.start();
            try (Connection c = org.apache.fluss.client.ConnectionFactory.createConnection(conf);
                    Admin a = c.getAdmin()) {
                LakeSnapshot snap = waitSum(a, tp, 3000);
                org.apache.iceberg.Table it = new HadoopTables(new Configuration())
                        .load(srv.dataDir().resolve("lake/iceberg/fluss/ice_resume").toString());
                assertEquals(it.currentSnapshot().snapshotId(), snap.getSnapshotId());
                assertTrue(first != snap.getSnapshotId());
                assertTrue(srv.log().contains("adopting its offsets"), "no resume in the log");
                List<Long> ids = new ArrayList<>();
                try (CloseableIterable<Record> rows = IcebergGenerics.read(it).build()) {
                    for (Record r : rows) ids.add((Long) r.getField("id"));
                }
                java.util.Collections.sort(ids);
                assertEquals(3000, ids.size());
                for (int i = 0; i < 3000; i++) assertEquals(i, ids.get(i).longValue());
            }
        }
    }

    static Table waitCreate(Admin a, Connection c, TablePath tp) throws Exception {
        get(a.createTable(tp, TableDescriptor.builder()
                .schema(Schema.newBuilder().column("id", DataTypes.BIGINT()).build())
                .distributedBy(2)
                .property("table.datalake.enabled", "true")
                .property("table.datalake.freshness", "500ms")
                .build(), false));
        return c.getTable(tp);
    }

    static LakeSnapshot waitSum(Admin a, TablePath tp, long want) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        LakeSnapshot last = null;
        while (System.currentTimeMillis() < deadline) {
            try {
                last = get(a.getLatestLakeSnapshot(tp));
                if (last.getTableBucketsOffset().values().stream().mapToLong(Long::longValue).sum() >= want)
                    return last;
            } catch (Exception e) {
                if (!(e.getCause() instanceof LakeTableSnapshotNotExistException)) throw e;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("lake did not reach " + want + "; last " + last);
    }

    static void copyTree(Path from, Path to) throws java.io.IOException {
        try (java.util.stream.Stream<Path> s = Files.walk(from)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path d = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(d);
                else Files.copy(p, d, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    static void deleteTree(Path p) throws java.io.IOException {
        try (java.util.stream.Stream<Path> s = Files.walk(p)) {
            for (Path x : (Iterable<Path>) s.sorted(java.util.Comparator.reverseOrder())::iterator) Files.delete(x);
        }
    }
}
