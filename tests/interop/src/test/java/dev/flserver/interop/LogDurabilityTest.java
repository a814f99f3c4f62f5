package dev.flserver.interop;

import dev.flserver.testing.FlServer;

import static dev.flserver.interop.Fixtures.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.BitSet;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.fluss.client.Connection;
import org.apache.fluss.client.ConnectionFactory;
import org.apache.fluss.client.admin.Admin;
import org.apache.fluss.client.table.Table;
import org.apache.fluss.client.table.scanner.ScanRecord;
import org.apache.fluss.client.table.scanner.log.LogScanner;
import org.apache.fluss.client.table.scanner.log.ScanRecords;
import org.apache.fluss.client.table.writer.AppendWriter;
import org.apache.fluss.config.Configuration;
import org.apache.fluss.metadata.Schema;
import org.apache.fluss.metadata.TableBucket;
import org.apache.fluss.metadata.TableDescriptor;
import org.apache.fluss.metadata.TablePath;
import org.apache.fluss.row.BinaryString;
import org.apache.fluss.row.GenericRow;
import org.apache.fluss.types.DataTypes;
import org.junit.jupiter.api.Test;

/**
 * Issue 4: with acks=all and the fsync-per-batch policy, kill -9 the server at 20 random
 * moments during a write stream. After every restart the client keeps writing (its retries
 * reach the new process); at the end every acknowledged row is present exactly once, and no
 * row is present twice (the server recognises the client's retried batches after a restart).
 */
class LogDurabilityTest {

    @Test
    void killNineTwentyTimesDuringAppends() throws Exception {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        System.out.println("LogDurabilityTest seed " + seed);
        try (FlServer server = FlServer.local().set("log.flush.interval-messages", "1").start()) {
            Configuration conf = new Configuration();
            conf.setString("bootstrap.servers", server.bootstrap());
            conf.setString("client.writer.acks", "all");
            conf.setString("client.writer.batch-timeout", "5ms");
            TablePath tp = TablePath.of("fluss", "durable_log");
            try (Connection conn = ConnectionFactory.createConnection(conf);
                    Admin admin = conn.getAdmin()) {
                get(admin.createTable(
                        tp,
                        TableDescriptor.builder()
                                .schema(Schema.newBuilder()
                                        .column("id", DataTypes.BIGINT())
                                        .column("payload", DataTypes.STRING())
                                        .build())
                                .distributedBy(3)
                                .build(),
                        false));
            }
            ConcurrentLinkedQueue<Long> acked = new ConcurrentLinkedQueue<>();
            AtomicLong failed = new AtomicLong();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong written = new AtomicLong();
            try (Connection conn = ConnectionFactory.createConnection(conf);
                    Table table = conn.getTable(tp)) {
                AppendWriter w = table.newAppend().createWriter();
                Thread writer =
                        new Thread(
                                () -> {
                                    long i = 0;
                                    while (!stop.get()) {
                                        final long id = i++;
                                        w.append(GenericRow.of(id, BinaryString.fromString("row-" + id)))
                                                .whenComplete((r, t) -> {
                                                    if (t == null) acked.add(id);
                                                    else failed.incrementAndGet();
                                                });
                                        written.set(i);
                                        if (id % 100 == 99) {
                                            try {
                                                Thread.sleep(5);
                                            } catch (InterruptedException e) {
                                                return;
                                            }
                                        }
                                    }
                                });
                writer.start();
                for (int k = 0; k < 20; k++) {
                    Thread.sleep(150 + rnd.nextInt(400));
                    server.kill9();
                    Thread.sleep(rnd.nextInt(100));
                    server.start();
                }
                Thread.sleep(1000);
                stop.set(true);
                writer.join();
                w.flush();
                System.out.println("written " + written.get() + ", acknowledged " + acked.size()
                        + ", failed " + failed.get());
                assertTrue(acked.size() > 1000, "the stream made progress");

                BitSet seen = new BitSet();
                long total = 0, dups = 0;
                try (LogScanner scanner = table.newScan().createLogScanner()) {
                    for (int b = 0; b < 3; b++) scanner.subscribeFromBeginning(b);
                    int idle = 0;
                    while (idle < 5) {
                        ScanRecords recs = scanner.poll(Duration.ofSeconds(1));
                        if (recs.isEmpty()) {
                            idle++;
                            continue;
                        }
                        idle = 0;
                        for (TableBucket tb : recs.buckets()) {
                            for (ScanRecord r : recs.records(tb)) {
                                long id = r.getRow().getLong(0);
                                assertEquals("row-" + id, r.getRow().getString(1).toString());
                                if (seen.get((int) id)) dups++;
                                seen.set((int) id);
                                total++;
                            }
                        }
                    }
                }
                long missing = 0;
                for (long id : acked) if (!seen.get((int) id)) missing++;
                System.out.println("scanned " + total + " rows, " + dups + " duplicates, "
                        + missing + " acknowledged rows missing");
                assertEquals(0, missing, "acknowledged rows lost");
                assertEquals(0, dups, "rows appended twice");
            }
        }
    }
}
