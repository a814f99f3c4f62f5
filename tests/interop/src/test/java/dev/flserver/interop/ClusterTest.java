package dev.flserver.interop;

import dev.flserver.testing.FlServer;

import static dev.flserver.interop.Fixtures.connect;
import static dev.flserver.interop.Fixtures.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.fluss.client.Connection;
import org.apache.fluss.client.FlussConnection;
import org.apache.fluss.client.admin.Admin;
import org.apache.fluss.client.lookup.LookupResult;
import org.apache.fluss.client.lookup.Lookuper;
import org.apache.fluss.client.table.Table;
import org.apache.fluss.client.table.scanner.ScanRecord;
import org.apache.fluss.client.table.scanner.log.LogScanner;
import org.apache.fluss.client.table.scanner.log.ScanRecords;
import org.apache.fluss.client.table.writer.AppendWriter;
import org.apache.fluss.client.table.writer.UpsertWriter;
import org.apache.fluss.cluster.ServerNode;
import org.apache.fluss.cluster.ServerType;
import org.apache.fluss.metadata.Schema;
import org.apache.fluss.metadata.TableBucket;
import org.apache.fluss.metadata.TableDescriptor;
import org.apache.fluss.metadata.TablePath;
import org.apache.fluss.row.BinaryString;
import org.apache.fluss.row.GenericRow;
import org.apache.fluss.row.InternalRow;
import org.apache.fluss.types.DataTypes;
import org.junit.jupiter.api.Test;

/** Issue 3: one coordinator and three tablet-server processes, seen by the real client. */
class ClusterTest {

    @Test
    void leadersSpreadAndDeadServerIsDropped() throws Exception {
        List<FlServer> tablets = new ArrayList<>();
        try (FlServer cs = new FlServer("coordinator").set("server.heartbeat-timeout", "2 s").start()) {
            for (int id = 1; id <= 3; id++) {
                tablets.add(
                        new FlServer("tablet")
                                .set("tablet-server.id", String.valueOf(id))
                                .set("server.coordinator-address", cs.bootstrap())
                                .set("server.heartbeat-interval", "200 ms")
                                .start());
            }
            try (Connection conn = connect(cs);
                    Admin admin = conn.getAdmin()) {
                List<ServerNode> nodes = waitForNodes(admin, 4);
                assertEquals(ServerType.COORDINATOR, nodes.get(0).serverType());
                for (int i = 1; i <= 3; i++) {
                    assertEquals(ServerType.TABLET_SERVER, nodes.get(i).serverType());
                    assertEquals(tablets.get(nodes.get(i).id() - 1).port(), nodes.get(i).port());
                }

                TablePath tp = TablePath.of("fluss", "twelve");
                get(admin.createTable(
                        tp,
                        TableDescriptor.builder()
                                .schema(Schema.newBuilder().column("a", DataTypes.INT()).build())
                                .distributedBy(12)
                                .build(),
                        false));
                long tableId = get(admin.getTableInfo(tp)).getTableId();
                conn.getTable(tp).close(); // loads the table's bucket metadata
                Map<Integer, Integer> perLeader = new HashMap<>();
                for (int b = 0; b < 12; b++) {
                    int leader =
                            ((FlussConnection) conn)
                                    .getMetadataUpdater()
                                    .leaderFor(tp, new TableBucket(tableId, b));
                    perLeader.merge(leader, 1, Integer::sum);
                }
                assertEquals(Map.of(1, 4, 2, 4, 3, 4), perLeader);

                tablets.get(1).kill9(); // tablet server 2
                long t0 = System.nanoTime();
                List<ServerNode> after = waitForNodes(admin, 3);
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(after.stream().noneMatch(n -> n.id() == 2 && n.serverType() == ServerType.TABLET_SERVER));
                System.out.println("tablet server 2 dropped from metadata after " + ms + " ms");
            }
        } finally {
            for (FlServer t : tablets) {
                if (t.isAlive()) t.close();
            }
        }
    }

    /** Data on tablet-server processes: the coordinator tells them about their tables. */
    @Test
    void appendScanUpsertLookupOnSplitCluster() throws Exception {
        List<FlServer> tablets = new ArrayList<>();
        try (FlServer cs = new FlServer("coordinator").start()) {
            for (int id = 1; id <= 3; id++) {
                tablets.add(
                        new FlServer("tablet")
                                .set("tablet-server.id", String.valueOf(id))
                                .set("server.coordinator-address", cs.bootstrap())
                                .set("server.heartbeat-interval", "200 ms")
                                .start());
            }
            try (Connection conn = connect(cs);
                    Admin admin = conn.getAdmin()) {
                waitForNodes(admin, 4);
                TablePath lp = TablePath.of("fluss", "split_log");
                get(admin.createTable(
                        lp,
                        TableDescriptor.builder()
                                .schema(Schema.newBuilder()
                                        .column("id", DataTypes.BIGINT())
                                        .column("s", DataTypes.STRING())
                                        .build())
                                .distributedBy(6, "id")
                                .build(),
                        false));
                long tableId = get(admin.getTableInfo(lp)).getTableId();
                final int n = 6000;
                try (Table table = conn.getTable(lp)) {
                    Map<Integer, Integer> perLeader = new HashMap<>();
                    for (int b = 0; b < 6; b++) {
                        int leader =
                                ((FlussConnection) conn)
                                        .getMetadataUpdater()
                                        .leaderFor(lp, new TableBucket(tableId, b));
                        perLeader.merge(leader, 1, Integer::sum);
                    }
                    assertEquals(Map.of(1, 2, 2, 2, 3, 2), perLeader);
                    AppendWriter w = table.newAppend().createWriter();
                    for (long i = 0; i < n; i++)
                        w.append(GenericRow.of(i, BinaryString.fromString("row " + i)));
                    w.flush();
                    boolean[] seen = new boolean[n];
                    Map<Integer, Integer> perBucket = new HashMap<>();
                    try (LogScanner scanner = table.newScan().createLogScanner()) {
                        for (int b = 0; b < 6; b++) scanner.subscribeFromBeginning(b);
                        int got = 0;
                        long deadline = System.currentTimeMillis() + 120_000;
                        while (got < n && System.currentTimeMillis() < deadline) {
                            ScanRecords recs = scanner.poll(Duration.ofSeconds(1));
                            for (TableBucket tb : recs.buckets()) {
                                for (ScanRecord r : recs.records(tb)) {
                                    InternalRow row = r.getRow();
                                    long id = row.getLong(0);
                                    assertEquals("row " + id, row.getString(1).toString());
                                    assertTrue(!seen[(int) id], "duplicate id " + id);
                                    seen[(int) id] = true;
                                    perBucket.merge(tb.getBucket(), 1, Integer::sum);
                                    got++;
                                }
                            }
                        }
                        assertEquals(n, got, "records scanned");
                        assertTrue(scanner.poll(Duration.ofMillis(500)).isEmpty());
                    }
                    assertEquals(6, perBucket.size(), "rows in every bucket: " + perBucket);
                }

                TablePath kp = TablePath.of("fluss", "split_kv");
                get(admin.createTable(
                        kp,
                        TableDescriptor.builder()
                                .schema(Schema.newBuilder()
                                        .column("k", DataTypes.INT())
                                        .column("v", DataTypes.STRING())
                                        .primaryKey("k")
                                        .build())
                                .distributedBy(3, "k")
                                .build(),
                        false));
                try (Table table = conn.getTable(kp)) {
                    UpsertWriter w = table.newUpsert().createWriter();
                    for (int i = 0; i < 300; i++) w.upsert(GenericRow.of(i, BinaryString.fromString("v" + i)));
                    for (int i = 0; i < 300; i += 3) w.upsert(GenericRow.of(i, BinaryString.fromString("w" + i)));
                    w.flush();
                    Lookuper l = table.newLookup().createLookuper();
                    List<CompletableFuture<LookupResult>> fs = new ArrayList<>();
                    for (int i = 0; i < 300; i++) fs.add(l.lookup(GenericRow.of(i)));
                    for (int i = 0; i < 300; i++) {
                        InternalRow row = get(fs.get(i)).getSingletonRow();
                        assertEquals((i % 3 == 0 ? "w" : "v") + i, row.getString(1).toString());
                    }
                    assertEquals(null, l.lookup(GenericRow.of(1000)).get().getSingletonRow());
                }
            }
        } finally {
            for (FlServer t : tablets) {
                if (t.isAlive()) t.close();
            }
        }
    }

    static List<ServerNode> waitForNodes(Admin admin, int count) throws Exception {
        List<ServerNode> nodes = null;
        for (int i = 0; i < 100; i++) {
            try {
                nodes = get(admin.getServerNodes());
                if (nodes.size() == count) return nodes;
            } catch (java.util.concurrent.ExecutionException e) {
                // the client asks a random tablet server; right after a kill it may pick the
                // dead one (NetworkException) before its metadata drops it. Retry, as users do.
            }
            Thread.sleep(100);
        }
        throw new AssertionError("expected " + count + " nodes, got " + nodes);
    }
}
