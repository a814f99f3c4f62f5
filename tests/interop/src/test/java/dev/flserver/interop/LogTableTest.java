package dev.flserver.interop;

import dev.flserver.testing.FlServer;

import static dev.flserver.interop.Fixtures.allTypes;
import static dev.flserver.interop.Fixtures.connect;
import static dev.flserver.interop.Fixtures.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.fluss.client.Connection;
import org.apache.fluss.client.admin.Admin;
import org.apache.fluss.client.admin.OffsetSpec;
import org.apache.fluss.client.table.Table;
import org.apache.fluss.client.table.scanner.ScanRecord;
import org.apache.fluss.client.table.scanner.log.LogScanner;
import org.apache.fluss.client.table.scanner.log.ScanRecords;
import org.apache.fluss.client.table.writer.AppendWriter;
import org.apache.fluss.metadata.TableBucket;
import org.apache.fluss.metadata.TableDescriptor;
import org.apache.fluss.metadata.TablePath;
import org.apache.fluss.row.InternalRow;
import org.apache.fluss.types.RowType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Issue 4: append and scan log tables with the real Java client. */
class LogTableTest {
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

    /** Scans every bucket from the beginning until `count` records arrived. */
    static Map<Integer, List<ScanRecord>> scanAll(Table table, int buckets, long count, int[] projection)
            throws Exception {
        Map<Integer, List<ScanRecord>> out = new HashMap<>();
        var scan = table.newScan();
        if (projection != null) scan = scan.project(projection);
        try (LogScanner scanner = scan.createLogScanner()) {
            for (int b = 0; b < buckets; b++) scanner.subscribeFromBeginning(b);
            long got = 0;
            long deadline = System.currentTimeMillis() + 300_000;
            while (got < count && System.currentTimeMillis() < deadline) {
                ScanRecords recs = scanner.poll(Duration.ofSeconds(1));
                for (TableBucket tb : recs.buckets()) {
                    for (ScanRecord r : recs.records(tb)) {
                        out.computeIfAbsent(tb.getBucket(), k -> new ArrayList<>()).add(r);
                        got++;
                    }
                }
            }
            assertEquals(count, got, "records scanned");
            // nothing beyond what was written
            assertTrue(scanner.poll(Duration.ofMillis(500)).isEmpty());
        }
        return out;
    }

    @Test
    void millionRowsEveryTypeFourBuckets() throws Exception {
        TablePath tp = TablePath.of("fluss", "log_million");
        get(admin.createTable(tp, TableDescriptor.builder().schema(allTypes(false)).distributedBy(4).build(), false));
        final int n = 1_000_000;
        RowType rt = allTypes(false).getRowType();
        try (Table table = conn.getTable(tp)) {
            AppendWriter w = table.newAppend().createWriter();
            for (long i = 0; i < n; i++) w.append(Rows.allTypesRow(i));
            w.flush();
            Map<Integer, List<ScanRecord>> byBucket = scanAll(table, 4, n, null);
            boolean[] seen = new boolean[n];
            for (Map.Entry<Integer, List<ScanRecord>> e : byBucket.entrySet()) {
                long prevId = -1, prevOffset = -1;
                for (ScanRecord r : e.getValue()) {
                    InternalRow row = r.getRow();
                    long id = row.getLong(0);
                    assertTrue(id > prevId, "bucket " + e.getKey() + " out of order at id " + id);
                    assertTrue(r.logOffset() == prevOffset + 1, "offsets contiguous");
                    prevId = id;
                    prevOffset = r.logOffset();
                    assertTrue(!seen[(int) id], "duplicate id " + id);
                    seen[(int) id] = true;
                    if (id % 997 == 0 || id < 50) {
                        assertEquals(Rows.toJava(Rows.allTypesRow(id), rt), Rows.toJava(row, rt), "row " + id);
                    }
                }
            }
            for (int i = 0; i < n; i++) assertTrue(seen[i], "missing id " + i);
        }
    }

    @Test
    void projectionReturnsOnlyProjectedColumns() throws Exception {
        TablePath tp = TablePath.of("fluss", "log_projection");
        get(admin.createTable(tp, TableDescriptor.builder().schema(allTypes(false)).distributedBy(2).build(), false));
        RowType rt = allTypes(false).getRowType();
        try (Table table = conn.getTable(tp)) {
            AppendWriter w = table.newAppend().createWriter();
            for (long i = 0; i < 5000; i++) w.append(Rows.allTypesRow(i));
            w.flush();
            int[] proj = {4, 10};
            Map<Integer, List<ScanRecord>> byBucket = scanAll(table, 2, 5000, proj);
            int checked = 0;
            for (List<ScanRecord> recs : byBucket.values()) {
                for (ScanRecord r : recs) {
                    InternalRow row = r.getRow();
                    assertEquals(2, row.getFieldCount());
                    // identify the row by its string column
                    String s = row.isNullAt(1) ? null : row.getString(1).toString();
                    if (s == null) continue;
                    long id = Long.parseLong(s.split("-")[1]);
                    List<Object> full = Rows.toJava(Rows.allTypesRow(id), rt);
                    assertEquals(full.get(4), row.getInt(0));
                    checked++;
                }
            }
            assertTrue(checked > 4000);
        }
    }

    @Test
    void listOffsetsEarliestLatestAndByTimestamp() throws Exception {
        TablePath tp = TablePath.of("fluss", "log_offsets");
        get(admin.createTable(tp, TableDescriptor.builder().schema(allTypes(false)).distributedBy(1).build(), false));
        try (Table table = conn.getTable(tp)) {
            AppendWriter w = table.newAppend().createWriter();
            for (long i = 0; i < 100; i++) w.append(Rows.allTypesRow(i));
            w.flush();
            Thread.sleep(50);
            long between = System.currentTimeMillis();
            Thread.sleep(50);
            for (long i = 100; i < 150; i++) w.append(Rows.allTypesRow(i));
            w.flush();
            assertEquals(0L, get(admin.listOffsets(tp, List.of(0), new OffsetSpec.EarliestSpec()).bucketResult(0)));
            assertEquals(150L, get(admin.listOffsets(tp, List.of(0), new OffsetSpec.LatestSpec()).bucketResult(0)));
            assertEquals(100L, get(admin.listOffsets(tp, List.of(0), new OffsetSpec.TimestampSpec(between)).bucketResult(0)));
            assertEquals(150L, get(admin.listOffsets(tp, List.of(0),
                    new OffsetSpec.TimestampSpec(System.currentTimeMillis() + 60_000)).bucketResult(0)));
        }
    }
}
