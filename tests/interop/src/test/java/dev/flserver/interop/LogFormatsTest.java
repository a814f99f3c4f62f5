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
import org.apache.fluss.client.table.Table;
import org.apache.fluss.client.table.scanner.ScanRecord;
import org.apache.fluss.client.table.scanner.log.LogScanner;
import org.apache.fluss.client.table.scanner.log.ScanRecords;
import org.apache.fluss.client.table.writer.AppendWriter;
import org.apache.fluss.metadata.PartitionInfo;
import org.apache.fluss.metadata.Schema;
import org.apache.fluss.metadata.TableBucket;
import org.apache.fluss.metadata.TableDescriptor;
import org.apache.fluss.metadata.TablePath;
import org.apache.fluss.row.BinaryString;
import org.apache.fluss.row.GenericRow;
import org.apache.fluss.types.DataTypes;
import org.apache.fluss.types.RowType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Issue 4: every log format round-trips; partitioned log tables round-trip. */
class LogFormatsTest {
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

    @ParameterizedTest
    @CsvSource({"ARROW,ZSTD", "ARROW,LZ4_FRAME", "ARROW,NONE", "INDEXED,NONE", "COMPACTED,NONE"})
    void formatRoundTrips(String format, String compression) throws Exception {
        TablePath tp = TablePath.of("fluss", "fmt_" + format.toLowerCase() + "_" + compression.toLowerCase());
        get(admin.createTable(
                tp,
                TableDescriptor.builder()
                        .schema(allTypes(false))
                        .distributedBy(2)
                        .property("table.log.format", format)
                        .property("table.log.arrow.compression.type", compression)
                        .build(),
                false));
        RowType rt = allTypes(false).getRowType();
        int n = 3000;
        try (Table table = conn.getTable(tp)) {
            AppendWriter w = table.newAppend().createWriter();
            for (long i = 0; i < n; i++) w.append(Rows.allTypesRow(i));
            w.flush();
            Map<Long, List<Object>> got = new HashMap<>();
            try (LogScanner s = table.newScan().createLogScanner()) {
                s.subscribeFromBeginning(0);
                s.subscribeFromBeginning(1);
                long deadline = System.currentTimeMillis() + 60_000;
                while (got.size() < n && System.currentTimeMillis() < deadline) {
                    ScanRecords recs = s.poll(Duration.ofSeconds(1));
                    for (ScanRecord r : recs) {
                        long id = r.getRow().getLong(0);
                        assertTrue(got.put(id, Rows.toJava(r.getRow(), rt)) == null, "duplicate " + id);
                    }
                }
            }
            assertEquals(n, got.size());
            for (long i = 0; i < n; i++) assertEquals(Rows.toJava(Rows.allTypesRow(i), rt), got.get(i), "row " + i);
        }
    }

    @Test
    void partitionedLogTableRoundTrips() throws Exception {
        TablePath tp = TablePath.of("fluss", "events_by_region");
        Schema schema =
                Schema.newBuilder()
                        .column("id", DataTypes.BIGINT())
                        .column("region", DataTypes.STRING())
                        .column("msg", DataTypes.STRING())
                        .build();
        get(admin.createTable(
                tp, TableDescriptor.builder().schema(schema).partitionedBy("region").distributedBy(2).build(), false));
        String[] regions = {"eu", "us", "apac"};
        int n = 6000;
        try (Table table = conn.getTable(tp)) {
            AppendWriter w = table.newAppend().createWriter();
            // partitions do not exist yet: the writer creates them (dynamic partition creation)
            for (long i = 0; i < n; i++) {
                String region = regions[(int) (i % 3)];
                w.append(GenericRow.of(i, BinaryString.fromString(region), BinaryString.fromString("m" + i)));
            }
            w.flush();
            List<PartitionInfo> parts = get(admin.listPartitionInfos(tp));
            assertEquals(3, parts.size());
            for (PartitionInfo p : parts) {
                List<Long> ids = new ArrayList<>();
                try (LogScanner s = table.newScan().createLogScanner()) {
                    s.subscribeFromBeginning(p.getPartitionId(), 0);
                    s.subscribeFromBeginning(p.getPartitionId(), 1);
                    long deadline = System.currentTimeMillis() + 60_000;
                    while (ids.size() < n / 3 && System.currentTimeMillis() < deadline) {
                        for (ScanRecord r : s.poll(Duration.ofSeconds(1))) {
                            assertEquals(p.getPartitionName(), r.getRow().getString(1).toString());
                            ids.add(r.getRow().getLong(0));
                        }
                    }
                }
                assertEquals(n / 3, ids.size(), "partition " + p.getPartitionName());
                assertEquals(n / 3, ids.stream().distinct().count());
            }
        }
    }
}
