package dev.flserver.interop;

import dev.flserver.testing.FlServer;

import static dev.flserver.interop.Fixtures.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.apache.fluss.client.Connection;
import org.apache.fluss.client.ConnectionFactory;
import org.apache.fluss.client.admin.Admin;
import org.apache.fluss.client.admin.OffsetSpec;
import org.apache.fluss.client.lookup.LookupResult;
import org.apache.fluss.client.lookup.Lookuper;
import org.apache.fluss.client.table.Table;
import org.apache.fluss.client.table.scanner.ScanRecord;
import org.apache.fluss.client.table.scanner.log.LogScanner;
import org.apache.fluss.client.table.scanner.log.ScanRecords;
import org.apache.fluss.client.table.writer.UpsertWriter;
import org.apache.fluss.config.Configuration;
import org.apache.fluss.metadata.Schema;
import org.apache.fluss.metadata.TableBucket;
import org.apache.fluss.metadata.TableDescriptor;
import org.apache.fluss.metadata.TablePath;
import org.apache.fluss.record.ChangeType;
import org.apache.fluss.row.BinaryString;
import org.apache.fluss.row.GenericRow;
import org.apache.fluss.row.InternalRow;
import org.apache.fluss.types.DataTypes;
import org.junit.jupiter.api.Test;

/**
 * Issue 5 acceptance, durability: with acks=all and an fsync per batch, kill -9 the server at
 * 20 random moments during an upsert/delete stream over a few thousand keys. After the last
 * restart:
 *
 * <ul>
 *   <li>every key's Lookup is the state its last acknowledged operation left, or the state of
 *       one of the operations issued after it that were never acknowledged (those may or may
 *       not have been applied), in issue order;
 *   <li>the changelog of every bucket, read from offset 0, covers [0, latest) without a gap or
 *       a repeated offset, is self-consistent (+I only for an absent key, -U / -D carry the
 *       current row) and replays to exactly what Lookup returns;
 *   <li>no operation appears twice in the changelog and every acknowledged one appears once.
 * </ul>
 *
 * Every upsert writes a value unique to the operation ("op-&lt;n&gt;"). A delete is issued only
 * for a key whose last operation is an acknowledged upsert, so every KV batch changes something
 * and no changelog batch is empty: then every log offset holds one changelog row, which makes
 * "no gap" checkable from the Java client (an empty batch takes an offset but has no row).
 */
class PrimaryKeyDurabilityTest {
    static final int KEYS = 3000;
    static final int BUCKETS = 3;
    static final int MAX_OPS = 1 << 20;
    static final int MAX_IN_FLIGHT = 1000; // so that most keys' last operation is acknowledged
                                            // when the key comes round again (deletes need that)
    static final byte UPSERT = 1, DELETE = 2;
    static final int PENDING = 0, ACKED = 1, FAILED = 2;

    /** One changelog row. */
    record Change(long offset, ChangeType type, int key, String value) {}

    @Test
    void killNineTwentyTimesDuringUpserts() throws Exception {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        System.out.println("PrimaryKeyDurabilityTest seed " + seed);
        int[] opKey = new int[MAX_OPS];
        byte[] opType = new byte[MAX_OPS];
        AtomicIntegerArray opStatus = new AtomicIntegerArray(MAX_OPS);
        try (FlServer server = FlServer.local().set("log.flush.interval-messages", "1").start()) {
            Configuration conf = new Configuration();
            conf.setString("bootstrap.servers", server.bootstrap());
            conf.setString("client.writer.acks", "all");
            conf.setString("client.writer.batch-timeout", "5ms");
            TablePath tp = TablePath.of("fluss", "durable_pk");
            try (Connection conn = ConnectionFactory.createConnection(conf);
                    Admin admin = conn.getAdmin()) {
                get(admin.createTable(
                        tp,
                        TableDescriptor.builder()
                                .schema(Schema.newBuilder()
                                        .column("k", DataTypes.INT())
                                        .column("v", DataTypes.STRING())
                                        .primaryKey("k")
                                        .build())
                                .distributedBy(BUCKETS)
                                .build(),
                        false));
            }

            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger completed = new AtomicInteger();
            int[] issued = new int[1];
            try (Connection conn = ConnectionFactory.createConnection(conf);
                    Table table = conn.getTable(tp)) {
                UpsertWriter w = table.newUpsert().createWriter();
                Random wrnd = new Random(seed + 1);
                Thread writer =
                        new Thread(() -> {
                            int[] lastOp = new int[KEYS];
                            java.util.Arrays.fill(lastOp, -1);
                            int i = 0;
                            while (!stop.get() && i < MAX_OPS) {
                                while (i - completed.get() >= MAX_IN_FLIGHT && !stop.get()) {
                                    try {
                                        Thread.sleep(1);
                                    } catch (InterruptedException e) {
                                        return;
                                    }
                                }
                                final int op = i++;
                                int k = wrnd.nextInt(KEYS);
                                int j = lastOp[k];
                                boolean del = j >= 0 && opType[j] == UPSERT
                                        && opStatus.get(j) == ACKED && wrnd.nextInt(4) == 0;
                                opKey[op] = k;
                                opType[op] = del ? DELETE : UPSERT;
                                lastOp[k] = op;
                                CompletableFuture<?> f = del
                                        ? w.delete(GenericRow.of(k, BinaryString.fromString("del")))
                                        : w.upsert(GenericRow.of(k, BinaryString.fromString("op-" + op)));
                                f.whenComplete((r, t) -> {
                                    opStatus.set(op, t == null ? ACKED : FAILED);
                                    completed.incrementAndGet();
                                });
                                issued[0] = i;
                                if (op % 100 == 99) {
                                    try {
                                        Thread.sleep(5);
                                    } catch (InterruptedException e) {
                                        return;
                                    }
                                }
                            }
                        });
                writer.start();
                for (int kill = 0; kill < 20; kill++) {
                    Thread.sleep(150 + rnd.nextInt(400));
                    server.kill9();
                    Thread.sleep(rnd.nextInt(100));
                    server.start();
                }
                Thread.sleep(1000);
                stop.set(true);
                writer.join();
                w.flush();
                int n = issued[0];
                long deadline = System.currentTimeMillis() + 30_000;
                for (int i = 0; i < n; i++) {
                    while (opStatus.get(i) == PENDING) {
                        if (System.currentTimeMillis() > deadline) fail("operation " + i + " never completed");
                        Thread.sleep(10);
                    }
                }
                int acked = 0, failed = 0;
                for (int i = 0; i < n; i++) {
                    if (opStatus.get(i) == ACKED) acked++;
                    else failed++;
                }
                System.out.println("issued " + n + ", acknowledged " + acked + ", failed " + failed);
                assertTrue(acked > 1000, "the stream made progress");
                int deletes = 0;
                for (int i = 0; i < n; i++) if (opType[i] == DELETE) deletes++;
                assertTrue(deletes > 100, "the stream deleted keys: " + deletes);

                // what each key may hold: the state of its last acknowledged operation, or of any
                // later (unacknowledged) one; null = absent
                List<List<Integer>> perKey = new ArrayList<>();
                for (int k = 0; k < KEYS; k++) perKey.add(new ArrayList<>());
                for (int i = 0; i < n; i++) perKey.get(opKey[i]).add(i);
                List<Set<String>> allowed = new ArrayList<>();
                for (int k = 0; k < KEYS; k++) {
                    List<Integer> ops = perKey.get(k);
                    int lastAcked = -1;
                    for (int x = 0; x < ops.size(); x++) if (opStatus.get(ops.get(x)) == ACKED) lastAcked = x;
                    Set<String> s = new HashSet<>();
                    if (lastAcked < 0) s.add(null);
                    for (int x = Math.max(lastAcked, 0); x < ops.size(); x++) s.add(stateAfter(ops.get(x), opType));
                    allowed.add(s);
                }

                // Lookup of every key
                Lookuper l = table.newLookup().createLookuper();
                List<CompletableFuture<LookupResult>> fs = new ArrayList<>();
                for (int k = 0; k < KEYS; k++) fs.add(l.lookup(GenericRow.of(k)));
                String[] looked = new String[KEYS];
                int present = 0;
                for (int k = 0; k < KEYS; k++) {
                    InternalRow row = get(fs.get(k)).getSingletonRow();
                    looked[k] = row == null ? null : row.getString(1).toString();
                    if (row != null) {
                        assertEquals(k, row.getInt(0));
                        present++;
                    }
                    if (!allowed.get(k).contains(looked[k])) {
                        fail("key " + k + ": lookup " + looked[k] + ", allowed " + allowed.get(k)
                                + "; operations " + describe(perKey.get(k), opType, opStatus));
                    }
                }

                // the changelog of every bucket from offset 0
                Map<Integer, Long> latest;
                try (Admin admin = conn.getAdmin()) {
                    List<Integer> bs = new ArrayList<>();
                    for (int b = 0; b < BUCKETS; b++) bs.add(b);
                    latest = get(admin.listOffsets(tp, bs, new OffsetSpec.LatestSpec()).all());
                }
                List<List<Change>> changelog = readChangelog(table, latest);
                Map<Integer, String> replayed = new HashMap<>();
                Map<String, Integer> afterImages = new HashMap<>();
                Map<String, Integer> deletedImages = new HashMap<>();
                int rows = 0;
                for (int b = 0; b < BUCKETS; b++) {
                    List<Change> cl = changelog.get(b);
                    assertEquals((long) latest.get(b), cl.size(), "bucket " + b + ": one row per offset");
                    for (int x = 0; x < cl.size(); x++) {
                        Change c = cl.get(x);
                        assertEquals(x, c.offset(), "bucket " + b + ": gap or repeated offset at row " + x);
                        String cur = replayed.get(c.key());
                        switch (c.type()) {
                            case INSERT -> {
                                if (cur != null) fail("bucket " + b + " offset " + c.offset() + ": +I of present key " + c);
                                replayed.put(c.key(), c.value());
                                afterImages.merge(c.value(), 1, Integer::sum);
                            }
                            case UPDATE_BEFORE -> {
                                assertEquals(cur, c.value(), "bucket " + b + " offset " + c.offset() + ": -U image");
                                assertTrue(x + 1 < cl.size() && cl.get(x + 1).type() == ChangeType.UPDATE_AFTER
                                        && cl.get(x + 1).key() == c.key(), "-U not followed by its +U at " + c);
                            }
                            case UPDATE_AFTER -> {
                                assertNotNull(cur, "+U of an absent key at " + c);
                                replayed.put(c.key(), c.value());
                                afterImages.merge(c.value(), 1, Integer::sum);
                            }
                            case DELETE -> {
                                assertEquals(cur, c.value(), "bucket " + b + " offset " + c.offset() + ": -D image");
                                replayed.remove(c.key());
                                deletedImages.merge(c.value(), 1, Integer::sum);
                            }
                            default -> fail("unexpected change type " + c);
                        }
                        rows++;
                    }
                }
                for (int k = 0; k < KEYS; k++) {
                    if (!Objects.equals(replayed.get(k), looked[k]))
                        fail("key " + k + ": changelog replays to " + replayed.get(k) + ", lookup says " + looked[k]);
                }
                // each operation at most once; every acknowledged one exactly once
                for (Map.Entry<String, Integer> e : afterImages.entrySet())
                    assertEquals(1, (int) e.getValue(), "upsert " + e.getKey() + " in the changelog more than once");
                for (Map.Entry<String, Integer> e : deletedImages.entrySet())
                    assertEquals(1, (int) e.getValue(), "value " + e.getKey() + " deleted more than once");
                int ackedDeletes = 0;
                for (int k = 0; k < KEYS; k++) {
                    List<Integer> ops = perKey.get(k);
                    for (int x = 0; x < ops.size(); x++) {
                        int op = ops.get(x);
                        if (opStatus.get(op) != ACKED) continue;
                        if (opType[op] == UPSERT) {
                            assertEquals(1, afterImages.getOrDefault("op-" + op, 0),
                                    "acknowledged upsert op-" + op + " of key " + k + " in the changelog");
                        } else {
                            // a delete is only issued after an acknowledged upsert of the key
                            String gone = "op-" + ops.get(x - 1);
                            assertEquals(1, deletedImages.getOrDefault(gone, 0),
                                    "acknowledged delete " + op + " of key " + k + " (-D " + gone + ")");
                            ackedDeletes++;
                        }
                    }
                }
                System.out.println("keys present " + present + ", changelog rows " + rows
                        + " (latest offsets " + latest + "), acknowledged deletes " + ackedDeletes);
            }
        }
    }

    static String stateAfter(int op, byte[] opType) {
        return opType[op] == UPSERT ? "op-" + op : null;
    }

    static String describe(List<Integer> ops, byte[] opType, AtomicIntegerArray status) {
        StringBuilder sb = new StringBuilder();
        for (int op : ops) {
            sb.append(opType[op] == UPSERT ? "U" : "D").append(op)
                    .append(status.get(op) == ACKED ? "(ack) " : "(failed) ");
        }
        return sb.toString();
    }

    /** All changelog rows of every bucket, in offset order, up to the given latest offsets. */
    static List<List<Change>> readChangelog(Table table, Map<Integer, Long> latest) throws Exception {
        List<List<Change>> out = new ArrayList<>();
        for (int b = 0; b < BUCKETS; b++) out.add(new ArrayList<>());
        try (LogScanner s = table.newScan().createLogScanner()) {
            for (int b = 0; b < BUCKETS; b++) s.subscribeFromBeginning(b);
            long deadline = System.currentTimeMillis() + 60_000;
            while (System.currentTimeMillis() < deadline) {
                boolean done = true;
                for (int b = 0; b < BUCKETS; b++) {
                    List<Change> cl = out.get(b);
                    long next = cl.isEmpty() ? 0 : cl.get(cl.size() - 1).offset() + 1;
                    if (next < latest.get(b)) done = false;
                }
                if (done) break;
                ScanRecords recs = s.poll(Duration.ofSeconds(1));
                for (TableBucket tb : recs.buckets()) {
                    for (ScanRecord r : recs.records(tb)) {
                        InternalRow row = r.getRow();
                        out.get(tb.getBucket()).add(new Change(r.logOffset(), r.getChangeType(),
                                row.getInt(0), row.getString(1).toString()));
                    }
                }
            }
            assertTrue(s.poll(Duration.ofMillis(500)).isEmpty(), "changelog beyond the latest offset");
        }
        return out;
    }
}
