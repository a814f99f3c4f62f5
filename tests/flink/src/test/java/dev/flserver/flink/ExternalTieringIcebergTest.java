package dev.flserver.flink;

import dev.flserver.testing.FlServer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ExternalTieringPaimonTest for Iceberg: Fluss 0.9.1's tiering job with fluss-lake-iceberg
 * (Iceberg 1.10.1, Hadoop catalog) against fl-server in the local role with
 * datalake.format = iceberg. CreateTable makes the Iceberg tables; the job writes them with
 * Iceberg's Java writer (the primary-key table merge-on-read: equality and position deletes),
 * and Iceberg's generic Java reader (IcebergGenerics, deletes applied) checks the rows.
 */
class ExternalTieringIcebergTest {
    static FlServer server;
    static TieringHarness h;
    static boolean passed;

    @BeforeAll
    static void start() throws Exception {
        server = FlServer.local();
        TieringHarness.configureLake(server, "iceberg", server.dataDir().resolve("lake/iceberg").toString());
        server.start();
        System.out.println("fl-server data dir: " + server.dataDir());
        h = new TieringHarness(server.bootstrap(), "iceberg", server.dataDir().resolve("lake/iceberg").toString(),
                server.dataDir());
    }

    @AfterAll
    static void stop() throws Exception {
        if (h != null) h.close();
        if (!passed && server != null) TieringHarness.dumpLog("server", server);
        if (server != null) server.close();
    }

    @Test
    void flussTieringJobTiersIntoTheIcebergLake() throws Exception {
        long t0 = System.currentTimeMillis();
        h.startTieringJob(server.bootstrap());
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline && !server.log().contains("an external lake tiering service is present"))
            Thread.sleep(200);
        assertTrue(server.log().contains("an external lake tiering service is present"),
                "the tiering job never heartbeated");

        h.createTables("ice_log", "ice_pk");
        assertEquals(0, h.lakeSnapshots("ice_log"), "ice_log: the Iceberg table right after CreateTable");
        assertEquals(0, h.lakeSnapshots("ice_pk"), "ice_pk: the Iceberg table right after CreateTable");
        TieringHarness.Rounds r = h.twoRounds("ice_log", "ice_pk", t0);

        String log = server.log();
        assertTrue(log.contains("fluss.ice_pk: lake snapshot " + r.pk2.getSnapshotId() + " committed by an external tiering service"));
        assertFalse(log.matches("(?s).*fluss\\.ice_(log|pk): lake snapshot -?\\d+: \\d+ rows.*"),
                "the in-process tiering thread tiered rows while the external service was present");
        assertTrue(server.isAlive());
        passed = true;
        System.out.println("external iceberg tiering passed in " + (System.currentTimeMillis() - t0) + " ms");
    }
}
