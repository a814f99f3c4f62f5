package dev.flserver.flink;

import dev.flserver.testing.FlServer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.fluss.client.admin.OffsetSpec;
import org.apache.fluss.metadata.TablePath;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.types.Types;
import org.apache.paimon.catalog.Catalog;
import org.apache.paimon.catalog.Identifier;
import org.apache.paimon.table.FileStoreTable;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The deployment of the "Building a Streaming Lakehouse" page: a coordinator-server process and
 * a tablet-server process (no in-process tiering anywhere), both configured with
 * datalake.format and its warehouse as a shared server.yaml would.
 *
 * The coordinator makes the lake table when a lake-enabled table is created (checked right
 * after CreateTable) and when a table is altered to table.datalake.enabled = true, with the
 * layout Fluss's lake catalogs give (read back with the Paimon / Iceberg Java catalogs): user
 * columns, then __bucket, __offset, __timestamp; the primary key; the bucket count.
 *
 * Then Fluss 0.9.1's tiering job (as the fluss-flink-tiering jar starts it with
 * --datalake.format paimon | iceberg) tiers a log table, a primary-key table and the altered
 * table, and the Java readers find exactly the rows (TieringHarness#twoRounds). That part needs
 * a tablet-server process that serves the tables' data; it is skipped (with the reason) while
 * the tablet server cannot list a bucket's offsets.
 */
class ExternalTieringSplitTest {

    static List<String> paimonFields(TieringHarness h, String table, List<String> pk, int buckets) throws Exception {
        try (Catalog c = h.paimonCatalog()) {
            FileStoreTable t = (FileStoreTable) c.getTable(Identifier.create(TieringHarness.DB, table));
            assertEquals(pk, t.primaryKeys(), table + ": Paimon primary key");
            assertEquals(String.valueOf(buckets), t.options().get("bucket"), table + ": Paimon bucket option");
            assertTrue(t.snapshotManager().latestSnapshot() == null, table + ": a new Paimon table is empty");
            return t.rowType().getFieldNames();
        }
    }

    static List<String> icebergFields(TieringHarness h, String table, List<String> pk) {
        try (var c = h.icebergCatalog()) {
            org.apache.iceberg.Table t = c.loadTable(TableIdentifier.of(TieringHarness.DB, table));
            assertEquals(new TreeSet<>(pk), new TreeSet<>(t.schema().identifierFieldNames()), table + ": Iceberg identifier fields");
            assertTrue(t.currentSnapshot() == null, table + ": a new Iceberg table is empty");
            List<String> names = new ArrayList<>();
            for (Types.NestedField f : t.schema().columns()) names.add(f.name());
            return names;
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    /** Whether the tablet-server process answers ListOffsets for a bucket of the table. */
    static String dataPlaneProblem(TieringHarness h, TablePath tp) {
        try {
            var res = h.admin.listOffsets(tp, List.of(0), new OffsetSpec.LatestSpec());
            res.bucketResult(0).get(15, TimeUnit.SECONDS);
            return null;
        } catch (Exception e) {
            return String.valueOf(e.getCause() != null ? e.getCause() : e);
        }
    }

    /** tier = false: the lake tables only; true: the tiering job's two rounds as well. */
    void run(String format, boolean tier) throws Exception {
        long t0 = System.currentTimeMillis();
        Path lakeRoot = Files.createTempDirectory("fl-flink-lake-");
        String warehouse = lakeRoot.resolve(format).toString();
        FlServer cs = new FlServer("coordinatorServer");
        TieringHarness.configureLake(cs, format, warehouse);
        FlServer ts = new FlServer("tabletServer");
        TieringHarness.configureLake(ts, format, warehouse);
        ts.set("tablet-server.id", "1");
        boolean passed = false;
        TieringHarness h = null;
        try {
            cs.start();
            ts.set("server.coordinator-address", cs.bootstrap()).start();
            System.out.println(format + ": coordinator " + cs.dataDir() + ", tablet server " + ts.dataDir());
            h = new TieringHarness(cs.bootstrap(), format, warehouse, cs.dataDir());
            // the tablet server has registered once the metadata names it
            long deadline = System.currentTimeMillis() + 30_000;
            while (System.currentTimeMillis() < deadline
                    && TieringHarness.get(h.admin.getServerNodes()).size() < 2)
                Thread.sleep(100);

            String logName = format + "_split_log", pkName = format + "_split_pk";
            String altered = format + "_split_altered";
            h.createTables(logName, pkName);
            List<String> sys = List.of("__bucket", "__offset", "__timestamp");
            List<String> logCols = new ArrayList<>(List.of("k", "s"));
            logCols.addAll(sys);
            List<String> pkCols = new ArrayList<>(List.of("k", "s", "v"));
            pkCols.addAll(sys);
            if (format.equals("paimon")) {
                assertEquals(logCols, paimonFields(h, logName, List.of(), 3), logName + ": Paimon fields");
                assertEquals(pkCols, paimonFields(h, pkName, List.of("k"), 2), pkName + ": Paimon fields");
            } else {
                assertEquals(logCols, icebergFields(h, logName, List.of()), logName + ": Iceberg columns");
                assertEquals(pkCols, icebergFields(h, pkName, List.of("k")), pkName + ": Iceberg columns");
            }
            h.createThenEnable(altered);
            String log = cs.log();
            assertTrue(log.contains(logName + ": " + format + " lake table ready"), "coordinator log: lake table made");
            assertTrue(log.contains(altered + ": " + format + " lake table ready"), "coordinator log: lake table made");
            System.out.println(format + ": the coordinator made the lake tables");
            passed = true;
            if (!tier) return;

            String problem = dataPlaneProblem(h, TablePath.of(TieringHarness.DB, logName));
            Assumptions.assumeTrue(problem == null,
                    "tiering through a separate tablet-server process needs it to serve the table's data: " + problem);
            passed = false;
            h.startTieringJob(cs.bootstrap());
            List<String> expectAltered = new ArrayList<>();
            h.appendLog(altered, 1, 100, expectAltered);
            h.twoRounds(logName, pkName, t0);
            h.waitTiered(TablePath.of(TieringHarness.DB, altered), Duration.ofSeconds(120));
            List<String> alteredRows = h.lakeRows(altered, 2);
            assertEquals(expectAltered.size(), alteredRows.size(), altered + " row count in the lake");
            assertEquals(new TreeSet<>(expectAltered), new TreeSet<>(alteredRows), altered + " rows in the lake");
            assertTrue(cs.log().contains("handed to the external tiering service"), "coordinator log: hand-outs");
            assertTrue(cs.isAlive() && ts.isAlive());
            passed = true;
            System.out.println(format + " split-role tiering passed in " + (System.currentTimeMillis() - t0) + " ms");
        } finally {
            if (h != null) h.close();
            if (!passed) {
                TieringHarness.dumpLog("coordinator", cs);
                TieringHarness.dumpLog("tablet server", ts);
            }
            ts.close();
            cs.close();
        }
    }

    @Test
    void paimonLakeTablesMadeByTheCoordinator() throws Exception {
        run("paimon", false);
    }

    @Test
    void icebergLakeTablesMadeByTheCoordinator() throws Exception {
        run("iceberg", false);
    }

    @Test
    void paimonTieringWithSeparateCoordinatorAndTabletServer() throws Exception {
        run("paimon", true);
    }

    @Test
    void icebergTieringWithSeparateCoordinatorAndTabletServer() throws Exception {
        run("iceberg", true);
    }
}
