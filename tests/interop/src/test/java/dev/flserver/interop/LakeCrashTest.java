package dev.flserver.interop;

import dev.flserver.testing.FlServer;

import static dev.flserver.interop.Fixtures.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.fluss.client.Connection;
import org.apache.fluss.client.ConnectionFactory;
import org.apache.fluss.client.admin.Admin;
import org.apache.fluss.client.admin.OffsetSpec;
import org.apache.fluss.client.metadata.LakeSnapshot;
import org.apache.fluss.client.table.Table;
import org.apache.fluss.client.table.writer.AppendWriter;
import org.apache.fluss.client.table.writer.UpsertWriter;
import org.apache.fluss.config.Configuration;
import org.apache.fluss.exception.LakeTableSnapshotNotExistException;
import org.apache.fluss.metadata.PartitionInfo;
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
import org.apache.paimon.data.serializer.InternalRowSerializer;
import org.apache.paimon.options.Options;
import org.apache.paimon.reader.RecordReader;
import org.apache.paimon.table.source.ReadBuilder;
import org.junit.jupiter.api.Test;

/** Issue 6: crash safety of tiering, partitioned lake tables, empty batches, t$snapshots. */
class LakeCrashTest {

    static List<InternalRow> read(FlServer server, String table) throws Exception {
        Options o = new Options();
        o.set("warehouse", server.dataDir().resolve("lake/paimon").toString());
        try (Catalog c = CatalogFactory.createCatalog(CatalogContext.create(o))) {
            org.apache.paimon.table.Table t = c.getTable(Identifier.create("fluss", table));
            ReadBuilder rb = t.newReadBuilder();
            InternalRowSerializer ser = new InternalRowSerializer(t.rowType());
            List<InternalRow> out = new ArrayList<>();
            try (RecordReader<InternalRow> r = rb.newRead().createReader(rb.newScan().plan())) {
                r.forEachRemaining(row -> out.add(ser.copy(row)));
            }
            return out;
        }
    }

    static Map<TableBucket, Long> latestOffsets(Admin admin, TablePath tp, String partition, int buckets) throws Exception {
        Map<TableBucket, Long> m = new HashMap<>();
        List<Integer> bs = new ArrayList<>();
        for (int b = 0; b < buckets; b++) bs.add(b);
        for (int b = 0; b < buckets; b++) {
            long off = partition == null
                    ? get(admin.listOffsets(tp, bs, new OffsetSpec.LatestSpec()).bucketResult(b))
                    : get(admin.listOffsets(tp, partition, bs, new OffsetSpec.LatestSpec()).bucketResult(b));
            m.put(new TableBucket(0, b), off);
        }
        return m;
    }

    static LakeSnapshot waitLake(Admin admin, TablePath tp, long sum) throws Exception {
        long deadline = System.currentTimeMillis() + 90_000;
        while (System.currentTimeMillis() < deadline) {
            try {
                LakeSnapshot s = get(admin.getLatestLakeSnapshot(tp));
                if (s.getTableBucketsOffset().values().stream().mapToLong(Long::longValue).sum() >= sum) return s;
            } catch (Exception e) {
                if (!(e.getCause() instanceof LakeTableSnapshotNotExistException)) throw e;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("lake did not reach " + sum);
    }

    @Test
    void killNineWhileTieringKeepsTheLakeAPrefixOfTheLog() throws Exception {
        Random rnd = new Random(System.nanoTime());
        try (FlServer server = FlServer.local().set("datalake.format", "paimon").start()) {
            Configuration conf = new Configuration();
            conf.setString("bootstrap.servers", server.bootstrap());
            TablePath tp = TablePath.of("fluss", "crashy");
            try (Connection conn = ConnectionFactory.createConnection(conf);
                    Admin admin = conn.getAdmin()) {
                get(admin.createTable(tp, TableDescriptor.builder()
                        .schema(Schema.newBuilder().column("id", DataTypes.BIGINT()).column("s", DataTypes.STRING()).build())
                        .distributedBy(2)
                        .property("table.datalake.enabled", "true")
                        .property("table.datalake.freshness", "300ms")
                        .build(), false));
            }
            AtomicBoolean stop = new AtomicBoolean();
            try (Connection conn = ConnectionFactory.createConnection(conf);
                    Table table = conn.getTable(tp)) {
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
                    Thread.sleep(200 + rnd.nextInt(500));
                    server.kill9();
                    server.start();
                }
                stop.set(true);
                writer.join();
                w.flush();
            }
            try (Connection conn = ConnectionFactory.createConnection(conf);
                    Admin admin = conn.getAdmin()) {
                Map<TableBucket, Long> end = latestOffsets(admin, tp, null, 2);
                long sum = end.values().stream().mapToLong(Long::longValue).sum();
                LakeSnapshot snap = waitLake(admin, tp, sum);
                // the lake holds, per bucket, exactly the offsets [0, tiered end): no gap, no duplicate
                Map<Integer, TreeSet<Long>> offsets = new HashMap<>();
                for (InternalRow r : read(server, "crashy")) {
                    assertTrue(offsets.computeIfAbsent(r.getInt(2), x -> new TreeSet<>()).add(r.getLong(3)),
                            "offset tiered twice: bucket " + r.getInt(2) + " offset " + r.getLong(3));
                }
                for (Map.Entry<TableBucket, Long> e : snap.getTableBucketsOffset().entrySet()) {
                    TreeSet<Long> s = offsets.getOrDefault(e.getKey().getBucket(), new TreeSet<>());
                    assertEquals(e.getValue().longValue(), s.size(), "rows of bucket " + e.getKey().getBucket());
                    if (!s.isEmpty()) {
                        assertEquals(0L, s.first().longValue());
                        assertEquals(e.getValue() - 1, s.last().longValue());
                    }
                }
                System.out.println("lake after 20 crashes: " + snap);
                // tiering rounds committed between the kills, not only after the last restart
                assertTrue(snap.getSnapshotId() >= 5, "lake snapshots committed while crashing: " + snap.getSnapshotId());
            }
        }
    }

    @Test
    void partitionedTableEmptyBatchesAndSnapshotsTable() throws Exception {
        try (FlServer server = FlServer.local().set("datalake.format", "paimon").start();
                Connection conn = Fixtures.connect(server);
                Admin admin = conn.getAdmin()) {
            // partitioned log table
            TablePath pt = TablePath.of("fluss", "lake_parts");
            get(admin.createTable(pt, TableDescriptor.builder()
                    .schema(Schema.newBuilder().column("id", DataTypes.BIGINT()).column("region", DataTypes.STRING()).build())
                    .partitionedBy("region").distributedBy(2)
                    .property("table.datalake.enabled", "true")
                    .property("table.datalake.freshness", "500ms").build(), false));
            try (Table t = conn.getTable(pt)) {
                AppendWriter w = t.newAppend().createWriter();
                for (long i = 0; i < 3000; i++)
                    w.append(GenericRow.of(i, BinaryString.fromString(i % 2 == 0 ? "eu" : "us")));
                w.flush();
            }
            long sum = 0;
            for (PartitionInfo p : get(admin.listPartitionInfos(pt)))
                sum += latestOffsets(admin, pt, p.getPartitionName(), 2).values().stream().mapToLong(Long::longValue).sum();
            waitLake(admin, pt, sum);
            Map<String, Integer> perRegion = new HashMap<>();
            for (InternalRow r : read(server, "lake_parts")) {
                assertEquals(r.getLong(0) % 2 == 0 ? "eu" : "us", r.getString(1).toString());
                perRegion.merge(r.getString(1).toString(), 1, Integer::sum);
            }
            assertEquals(Map.of("eu", 1500, "us", 1500), perRegion);

            // a primary-key table whose later changelog batches are all header-only (deletes of
            // keys that do not exist): its tiered offsets still reach the log end
            TablePath kt = TablePath.of("fluss", "lake_empty_batches");
            get(admin.createTable(kt, TableDescriptor.builder()
                    .schema(Schema.newBuilder().column("k", DataTypes.INT()).column("v", DataTypes.STRING()).primaryKey("k").build())
                    .distributedBy(1)
                    .property("table.datalake.enabled", "true")
                    .property("table.datalake.freshness", "300ms").build(), false));
            try (Table t = conn.getTable(kt)) {
                UpsertWriter w = t.newUpsert().createWriter();
                w.upsert(GenericRow.of(1, BinaryString.fromString("one"))).get();
                waitLake(admin, kt, 1);
                for (int i = 100; i < 150; i++) w.delete(GenericRow.of(i, null)).get(); // 50 header-only batches
            }
            long end = latestOffsets(admin, kt, null, 1).values().iterator().next();
            assertTrue(end >= 51, "header-only batches take offsets: " + end);
            LakeSnapshot s = waitLake(admin, kt, end);
            assertEquals(end, s.getTableBucketsOffset().values().iterator().next().longValue());

            // Paimon's own t$snapshots lists the tiering snapshots
            Options o = new Options();
            o.set("warehouse", server.dataDir().resolve("lake/paimon").toString());
            try (Catalog c = CatalogFactory.createCatalog(CatalogContext.create(o))) {
                org.apache.paimon.table.Table snaps = c.getTable(Identifier.create("fluss", "lake_parts$snapshots"));
                ReadBuilder rb = snaps.newReadBuilder();
                int n = 0;
                try (RecordReader<InternalRow> r = rb.newRead().createReader(rb.newScan().plan())) {
                    RecordReader.RecordIterator<InternalRow> it;
                    while ((it = r.readBatch()) != null) {
                        InternalRow row;
                        while ((row = it.next()) != null) {
                            assertEquals("__fluss_lake_tiering", row.getString(2).toString()); // commit_user
                            n++;
                        }
                        it.releaseBatch();
                    }
                }
                assertTrue(n >= 1, "snapshots listed: " + n);
            }
        }
    }
}
