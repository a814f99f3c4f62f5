package dev.flserver.interop;

import dev.flserver.testing.FlServer;

import static dev.flserver.interop.Fixtures.connect;
import static dev.flserver.interop.Fixtures.get;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.fluss.client.Connection;
import org.apache.fluss.client.admin.Admin;
import org.apache.fluss.client.table.Table;
import org.apache.fluss.client.table.scanner.batch.BatchScanner;
import org.apache.fluss.client.table.writer.AppendWriter;
import org.apache.fluss.client.table.writer.UpsertWriter;
import org.apache.fluss.metadata.Schema;
import org.apache.fluss.metadata.TableBucket;
import org.apache.fluss.metadata.TableDescriptor;
import org.apache.fluss.metadata.TablePath;
import org.apache.fluss.row.BinaryString;
import org.apache.fluss.row.GenericRow;
import org.apache.fluss.row.InternalRow;
import org.apache.fluss.types.DataTypes;
import org.apache.fluss.utils.CloseableIterator;
import org.junit.jupiter.api.Test;

/** Issue 5: LimitScan (Scan.limit(n).createBatchScanner(bucket)) on log and primary-key tables. */
class LimitScanTest {

    static List<InternalRow> scan(Table t, TableBucket tb, int limit, int fields) throws Exception {
        List<InternalRow> out = new ArrayList<>();
        try (BatchScanner s = t.newScan().limit(limit).createBatchScanner(tb)) {
            CloseableIterator<InternalRow> it;
            while ((it = s.pollBatch(Duration.ofSeconds(10))) != null) {
                while (it.hasNext()) {
                    InternalRow r = it.next();
                    // copy: the iterator may reuse rows
                    out.add(fields == 2 ? GenericRow.of(r.getLong(0), BinaryString.fromString(r.getString(1).toString()))
                            : GenericRow.of(r.getInt(0), BinaryString.fromString(r.getString(1).toString())));
                }
                it.close();
            }
        }
        return out;
    }

    @Test
    void logTableGivesTheLastRowsOfEachBucket() throws Exception {
        try (FlServer server = FlServer.local().start();
                Connection conn = connect(server);
                Admin admin = conn.getAdmin()) {
            TablePath tp = TablePath.of("fluss", "limit_log");
            get(admin.createTable(tp, TableDescriptor.builder()
                    .schema(Schema.newBuilder().column("id", DataTypes.BIGINT()).column("s", DataTypes.STRING()).build())
                    .distributedBy(1).build(), false));
            long tid = get(admin.getTableInfo(tp)).getTableId();
            try (Table t = conn.getTable(tp)) {
                AppendWriter w = t.newAppend().createWriter();
                for (long i = 0; i < 1000; i++) {
                    w.append(GenericRow.of(i, BinaryString.fromString("s" + i)));
                    if (i % 97 == 0) w.flush(); // many batches
                }
                w.flush();
                List<InternalRow> rows = scan(t, new TableBucket(tid, 0), 10, 2);
                assertEquals(10, rows.size());
                for (int i = 0; i < 10; i++) {
                    assertEquals(990 + i, rows.get(i).getLong(0));
                    assertEquals("s" + (990 + i), rows.get(i).getString(1).toString());
                }
                assertEquals(1000, scan(t, new TableBucket(tid, 0), 5000, 2).size());
            }
        }
    }

    @Test
    void primaryKeyTableGivesLiveRows() throws Exception {
        try (FlServer server = FlServer.local().start();
                Connection conn = connect(server);
                Admin admin = conn.getAdmin()) {
            TablePath tp = TablePath.of("fluss", "limit_pk");
            get(admin.createTable(tp, TableDescriptor.builder()
                    .schema(Schema.newBuilder().column("k", DataTypes.INT()).column("v", DataTypes.STRING()).primaryKey("k").build())
                    .distributedBy(1).build(), false));
            long tid = get(admin.getTableInfo(tp)).getTableId();
            Map<Integer, String> state = new HashMap<>();
            try (Table t = conn.getTable(tp)) {
                UpsertWriter w = t.newUpsert().createWriter();
                for (int k = 0; k < 300; k++) {
                    w.upsert(GenericRow.of(k, BinaryString.fromString("a" + k)));
                    state.put(k, "a" + k);
                }
                for (int k = 0; k < 300; k += 3) {
                    w.delete(GenericRow.of(k, null));
                    state.remove(k);
                }
                for (int k = 1; k < 300; k += 3) {
                    w.upsert(GenericRow.of(k, BinaryString.fromString("b" + k)));
                    state.put(k, "b" + k);
                }
                w.flush();
                Map<Integer, String> all = new HashMap<>();
                for (InternalRow r : scan(t, new TableBucket(tid, 0), 1000, 1))
                    assertEquals(null, all.put(r.getInt(0), r.getString(1).toString()));
                assertEquals(state, all);
                List<InternalRow> some = scan(t, new TableBucket(tid, 0), 7, 1);
                assertEquals(7, some.size());
                for (InternalRow r : some) assertEquals(state.get(r.getInt(0)), r.getString(1).toString());
            }
        }
    }
}
