package dev.flserver.interop;

import static dev.flserver.interop.Fixtures.get;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.fluss.client.Connection;
import org.apache.fluss.client.admin.Admin;
import org.apache.fluss.client.table.Table;
import org.apache.fluss.client.table.writer.AppendWriter;
import org.apache.fluss.exception.LakeTableSnapshotNotExistException;
import org.apache.fluss.metadata.Schema;
import org.apache.fluss.metadata.TableDescriptor;
import org.apache.fluss.metadata.TablePath;
import org.apache.fluss.row.GenericRow;
import org.apache.fluss.types.DataTypes;

/** The freshness check both lake formats run (LakePaimonTest, LakeIcebergTest). */
final class LakeFreshness {
    private LakeFreshness() {}

    /**
     * Creates tp (one BIGINT column, 2 buckets, lake enabled, table.datalake.freshness 5s) and
     * appends 100 rows every 50 ms while checking three times that every row acknowledged before
     * a check reaches the lake within 15 s (three intervals) and that the lake moved since the
     * previous check. @returns the number of rows written (all flushed) once the stream stopped.
     */
    static long streamAndCheck(Admin admin, Connection conn, TablePath tp, String label) throws Exception {
        get(admin.createTable(tp, TableDescriptor.builder()
                .schema(Schema.newBuilder().column("id", DataTypes.BIGINT()).build())
                .distributedBy(2)
                .property("table.datalake.enabled", "true")
                .property("table.datalake.freshness", "5s")
                .build(), false));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong written = new AtomicLong();
        try (Table table = conn.getTable(tp)) {
            AppendWriter w = table.newAppend().createWriter();
            Thread writer = new Thread(() -> {
                try {
                    while (!stop.get()) {
                        for (int i = 0; i < 100; i++) w.append(GenericRow.of(written.getAndIncrement()));
                        w.flush();
                        Thread.sleep(50);
                    }
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            writer.start();
            try {
                long lastTiered = -1;
                for (int round = 0; round < 3; round++) {
                    long target = written.get(); // rows acknowledged before this point
                    long t0 = System.currentTimeMillis();
                    long tiered = -1;
                    while (System.currentTimeMillis() - t0 < 15_000) {
                        try {
                            tiered = get(admin.getLatestLakeSnapshot(tp)).getTableBucketsOffset().values()
                                    .stream().mapToLong(Long::longValue).sum();
                        } catch (Exception e) {
                            if (!(e.getCause() instanceof LakeTableSnapshotNotExistException)) throw e;
                        }
                        if (tiered >= target && tiered > lastTiered) break;
                        Thread.sleep(200);
                    }
                    assertTrue(tiered >= target && tiered > lastTiered,
                            "round " + round + ": lake at " + tiered + ", rows written " + target + " three intervals ago");
                    System.out.println(label + " round " + round + ": " + tiered + " rows tiered after "
                            + (System.currentTimeMillis() - t0) + " ms");
                    lastTiered = tiered;
                }
            } finally {
                stop.set(true);
                writer.join();
            }
            w.flush();
        }
        return written.get();
    }
}
