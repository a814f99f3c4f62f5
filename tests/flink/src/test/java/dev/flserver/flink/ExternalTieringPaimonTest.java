package dev.flserver.flink;

import dev.flserver.testing.FlServer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.fluss.client.table.Table;
import org.apache.fluss.client.table.writer.UpsertWriter;
import org.apache.fluss.metadata.Schema;
import org.apache.fluss.metadata.TableDescriptor;
import org.apache.fluss.metadata.TablePath;
import org.apache.fluss.row.BinaryString;
import org.apache.fluss.row.GenericRow;
import org.apache.fluss.types.DataTypes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Fluss 0.9.1's own lake tiering service (the Flink job that LakeTieringJobBuilder builds, as
 * FlussLakeTieringEntrypoint does, with fluss-lake-paimon) run in a Flink 1.20.3 MiniCluster
 * against fl-server in the local role: it heartbeats (LakeTieringHeartbeat), is handed the
 * lake-enabled tables, reads their logs, writes Paimon with Paimon's own Java writer and
 * commits through PrepareLakeTableSnapshot and CommitLakeTableSnapshot. fl-server runs with its
 * default in-process tiering thread, which stands aside while the external service heartbeats
 * (the rule in coordinator/fl_tiermgr.h): the test starts the job first, waits for the server
 * to see it, then creates a log table and a primary-key table (CreateTable makes their Paimon
 * tables at once), writes rows in two rounds and checks the lake after each
 * (TieringHarness#twoRounds). Also checked: every lake snapshot names one of the server's
 * prepared offsets files in "fluss-offsets" (so the external job, not the in-process thread,
 * wrote it), and the server's log shows the hand-outs and the commits. A third table uses
 * Paimon deletion vectors, a layout the in-process writer refuses: CreateTable still makes its
 * Paimon table, the in-process thread declares it ready (rule 4) without tiering it, and
 * Fluss's job tiers it (upserts and deletes read back with Paimon's reader).
 */
class ExternalTieringPaimonTest {
    static FlServer server;
    static TieringHarness h;
    static boolean passed;

    @BeforeAll
    static void start() throws Exception {
        server = FlServer.local();
        TieringHarness.configureLake(server, "paimon", server.dataDir().resolve("lake/paimon").toString());
        server.start();
        System.out.println("fl-server data dir: " + server.dataDir());
        h = new TieringHarness(server.bootstrap(), "paimon", server.dataDir().resolve("lake/paimon").toString(),
                server.dataDir());
    }

    @AfterAll
    static void stop() throws Exception {
        if (h != null) h.close();
        if (!passed && server != null) TieringHarness.dumpLog("server", server);
        if (server != null) server.close();
    }

    @Test
    void flussTieringJobTiersIntoThePaimonLake() throws Exception {
        long t0 = System.currentTimeMillis();
        h.startTieringJob(server.bootstrap());
        // the server sees the service (its first heartbeat comes when the enumerator starts)
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline && !server.log().contains("an external lake tiering service is present"))
            Thread.sleep(200);
        assertTrue(server.log().contains("an external lake tiering service is present"),
                "the tiering job never heartbeated");
        System.out.println("tiering service registered after " + (System.currentTimeMillis() - t0) + " ms");

        h.createTables("ext_log", "ext_pk");
        // deletion vectors: the in-process writer refuses the layout, Fluss's tiering job takes it
        TablePath dvTp = TablePath.of(TieringHarness.DB, "ext_dv");
        TieringHarness.get(h.admin.createTable(dvTp, TableDescriptor.builder()
                .schema(Schema.newBuilder()
                        .column("k", DataTypes.BIGINT())
                        .column("s", DataTypes.STRING())
                        .primaryKey("k")
                        .build())
                .distributedBy(2, "k")
                .property("table.datalake.enabled", "true")
                .property("table.datalake.freshness", "3s")
                .customProperty("paimon.deletion-vectors.enabled", "true")
                .build(), false));
        assertEquals(0, h.lakeSnapshots("ext_dv"), "ext_dv: the Paimon table right after CreateTable");
        Map<Long, String> expectDv = new TreeMap<>();
        try (Table t = h.conn.getTable(dvTp)) {
            UpsertWriter w = t.newUpsert().createWriter();
            for (long k = 1; k <= 100; k++) {
                w.upsert(GenericRow.of(k, BinaryString.fromString("dv-" + k)));
                expectDv.put(k, k + "|dv-" + k);
            }
            for (long k = 1; k <= 10; k++) {
                w.delete(GenericRow.of(k, BinaryString.fromString("dv-" + k)));
                expectDv.remove(k);
            }
            w.flush();
        }
        assertEquals(0, h.lakeSnapshots("ext_log"), "ext_log: the Paimon table right after CreateTable");
        assertEquals(0, h.lakeSnapshots("ext_pk"), "ext_pk: the Paimon table right after CreateTable");
        TieringHarness.Rounds r = h.twoRounds("ext_log", "ext_pk", t0);
        assertTrue(r.log2.getSnapshotId() > r.log1.getSnapshotId(), "a new log table snapshot");
        assertTrue(r.pk2.getSnapshotId() > r.pk1.getSnapshotId(), "a new pk table snapshot");

        h.waitTiered(dvTp, Duration.ofSeconds(120));
        // deletion-vector reads skip level-0 files until a compaction; merge them as without
        List<String> dvRows = h.lakeRows("ext_dv", 2, Map.of("deletion-vectors.enabled", "false"));
        assertEquals(expectDv.size(), dvRows.size(), "deletion-vector table row count in Paimon");
        assertEquals(new TreeSet<>(expectDv.values()), new TreeSet<>(dvRows), "deletion-vector table rows in Paimon");
        assertTrue(h.checkSnapshotsFromExternalJob("ext_dv") >= 1);

        String log = server.log();
        assertTrue(log.contains("fluss.ext_log (table ") && log.contains("handed to the external tiering service"));
        assertTrue(log.contains("fluss.ext_pk: lake snapshot " + r.pk2.getSnapshotId() + " committed by an external tiering service"));
        assertFalse(log.matches("(?s).*fluss\\.ext_(log|pk): lake snapshot \\d+: \\d+ rows.*"),
                "the in-process tiering thread tiered rows while the external service was present");
        assertTrue(server.isAlive());
        passed = true;
        System.out.println("external tiering passed in " + (System.currentTimeMillis() - t0) + " ms");
    }
}
