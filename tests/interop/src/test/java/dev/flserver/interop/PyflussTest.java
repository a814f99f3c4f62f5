package dev.flserver.interop;

import dev.flserver.testing.FlServer;

import static dev.flserver.interop.Fixtures.allTypes;
import static dev.flserver.interop.Fixtures.connect;
import static dev.flserver.interop.Fixtures.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.fluss.client.Connection;
import org.apache.fluss.client.admin.Admin;
import org.apache.fluss.client.admin.OffsetSpec;
import org.apache.fluss.client.table.Table;
import org.apache.fluss.client.table.scanner.ScanRecord;
import org.apache.fluss.client.table.writer.AppendWriter;
import org.apache.fluss.cluster.ServerNode;
import org.apache.fluss.cluster.ServerType;
import org.apache.fluss.metadata.TableDescriptor;
import org.apache.fluss.metadata.TableInfo;
import org.apache.fluss.metadata.TablePath;
import org.apache.fluss.record.ChangeType;
import org.apache.fluss.row.BinaryString;
import org.apache.fluss.row.Decimal;
import org.apache.fluss.row.GenericRow;
import org.apache.fluss.row.InternalArray;
import org.apache.fluss.row.InternalMap;
import org.apache.fluss.row.InternalRow;
import org.apache.fluss.row.TimestampLtz;
import org.apache.fluss.row.TimestampNtz;
import org.apache.fluss.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.fluss.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.fluss.types.ArrayType;
import org.apache.fluss.types.DataField;
import org.apache.fluss.types.DataType;
import org.apache.fluss.types.DataTypes;
import org.apache.fluss.types.MapType;
import org.apache.fluss.types.RowType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The second real client: pyfluss (PyPI, the Apache Fluss Python client on the Rust client)
 * appends to log tables that the Java client scans, and scans what the Java client wrote; its
 * admin view agrees with the Java client's. The Python side is tests/interop/py/pyfluss_peer.py,
 * run with the interpreter named by the system property fl.python; it writes and expects the
 * rows of {@link Rows#allTypesRow} and prints rows in the canonical JSON form that
 * {@link #canon} and {@link #fromJson} build here.
 */
class PyflussTest {
    static final Duration PY_TIMEOUT = Duration.ofSeconds(180);
    static final ObjectMapper JSON = new ObjectMapper();
    static final RowType ALL = allTypes(false).getRowType();
    static final int LTZ9 = 18; // c_ltz9: the one column Python's datetime cannot hold exactly

    static String python;
    static Path script;
    static FlServer server;
    static Connection conn;
    static Admin admin;

    @BeforeAll
    static void start() throws Exception {
        python = System.getProperty("fl.python");
        if (python == null || python.isEmpty()) return; // every test reports itself skipped
        assertTrue(new File(python).canExecute(), "fl.python does not name an executable: " + python);
        script = Paths.get("py", "pyfluss_peer.py").toAbsolutePath();
        assertTrue(Files.isRegularFile(script), "missing " + script);
        server = FlServer.local().start();
        conn = connect(server);
        admin = conn.getAdmin();
    }

    @BeforeEach
    void needPython() {
        assumeTrue(python != null && !python.isEmpty(), "fl.python not set: pyfluss tests skipped");
    }

    @AfterAll
    static void stop() throws Exception {
        if (admin != null) admin.close();
        if (conn != null) conn.close();
        if (server != null) server.close();
    }

    // ---- (1) pyfluss appends, Java scans -------------------------------------------------------

    @Test
    void pyflussAppendsJavaScansEveryValue() throws Exception {
        TablePath tp = TablePath.of("fluss", "py_append");
        createAllTypes(tp, 3);
        // Arrow record batches (exact for every type), then row-by-row appends (Python datetime:
        // c_ltz9 keeps microseconds only).
        py("append", "--table", "fluss.py_append", "--from-id", "0", "--count", "4000",
                "--mode", "arrow", "--batch-rows", "700");
        py("append", "--table", "fluss.py_append", "--from-id", "4000", "--count", "500",
                "--mode", "rows");
        final int n = 4500;
        try (Table table = conn.getTable(tp)) {
            Map<Integer, List<ScanRecord>> byBucket = LogTableTest.scanAll(table, 3, n, null);
            boolean[] seen = new boolean[n];
            for (Map.Entry<Integer, List<ScanRecord>> e : byBucket.entrySet()) {
                long prevOffset = -1;
                for (ScanRecord r : e.getValue()) {
                    assertEquals(prevOffset + 1, r.logOffset(), "bucket " + e.getKey() + " offsets contiguous");
                    prevOffset = r.logOffset();
                    assertEquals(ChangeType.APPEND_ONLY, r.getChangeType());
                    InternalRow row = r.getRow();
                    long id = row.getLong(0);
                    assertTrue(id >= 0 && id < n, "id " + id);
                    assertTrue(!seen[(int) id], "duplicate id " + id);
                    seen[(int) id] = true;
                    GenericRow want = expected(id, id >= 4000);
                    assertEquals(Rows.toJava(want, ALL), Rows.toJava(row, ALL), "row " + id);
                }
            }
            for (int i = 0; i < n; i++) assertTrue(seen[i], "missing id " + i);
        }
    }

    // ---- (2) Java appends, pyfluss scans -------------------------------------------------------

    @Test
    void javaAppendsPyflussScansEveryValue() throws Exception {
        TablePath tp = TablePath.of("fluss", "java_append");
        createAllTypes(tp, 3);
        final int n = 3000;
        Map<String, Long> javaIdAt = new HashMap<>(); // "bucket/offset" -> id, as Java sees it
        try (Table table = conn.getTable(tp)) {
            AppendWriter w = table.newAppend().createWriter();
            for (long i = 0; i < n; i++) w.append(Rows.allTypesRow(i));
            w.flush();
            for (Map.Entry<Integer, List<ScanRecord>> e : LogTableTest.scanAll(table, 3, n, null).entrySet()) {
                for (ScanRecord r : e.getValue()) {
                    javaIdAt.put(e.getKey() + "/" + r.logOffset(), r.getRow().getLong(0));
                }
            }
        }
        checkPyScan("fluss.java_append", ALL, n, "batches", javaIdAt);
        checkPyScan("fluss.java_append", ALL, n, "records", javaIdAt);
    }

    // ---- (3) admin views agree; a table pyfluss creates is the table Java sees ----------------

    @Test
    void pyflussAdminAgreesWithJava() throws Exception {
        TablePath tp = TablePath.of("fluss", "admin_view");
        get(admin.createTable(tp, TableDescriptor.builder().schema(allTypes(false))
                .distributedBy(2).comment("seen by both").build(), false));
        try (Table table = conn.getTable(tp)) {
            AppendWriter w = table.newAppend().createWriter();
            for (long i = 0; i < 77; i++) w.append(Rows.allTypesRow(i));
            w.flush();
        }
        JsonNode v = JSON.readTree(py("admin", "--table", "fluss.admin_view"));

        assertEquals(new TreeSet<>(get(admin.listDatabases())), strings(v.get("databases")));
        assertEquals(new TreeSet<>(get(admin.listTables("fluss"))), strings(v.get("tables")));
        assertTrue(v.get("table_exists").booleanValue());
        assertTrue(v.get("database_exists").booleanValue());

        TreeSet<String> javaNodes = new TreeSet<>();
        for (ServerNode sn : get(admin.getServerNodes())) {
            String type = sn.serverType() == ServerType.COORDINATOR ? "CoordinatorServer" : "TabletServer";
            javaNodes.add(type + "/" + sn.id() + "/" + sn.host() + ":" + sn.port());
        }
        TreeSet<String> pyNodes = new TreeSet<>();
        for (JsonNode nd : v.get("nodes")) {
            pyNodes.add(nd.get("type").textValue() + "/" + nd.get("id").intValue() + "/"
                    + nd.get("host").textValue() + ":" + nd.get("port").intValue());
        }
        assertEquals(javaNodes, pyNodes);

        TableInfo ti = get(admin.getTableInfo(tp));
        JsonNode t = v.get("table");
        assertEquals(ti.getTableId(), t.get("table_id").longValue());
        assertEquals(ti.getSchemaId(), t.get("schema_id").intValue());
        assertEquals(ti.getNumBuckets(), t.get("num_buckets").intValue());
        assertEquals(ti.getComment().orElse(null), t.get("comment").textValue());
        assertEquals(ti.getRowType().getFieldNames(), list(t.get("columns")));
        assertEquals(ti.getPrimaryKeys(), list(t.get("primary_keys")));
        assertEquals(ti.getBucketKeys(), list(t.get("bucket_keys")));
        assertEquals(ti.getPartitionKeys(), list(t.get("partition_keys")));
        assertEquals(ti.isPartitioned(), t.get("partitioned").booleanValue());
        assertEquals(ti.getProperties().toMap(), map(t.get("properties")));
        // the Rust client's type names for the Java client's types, after spelling differences
        List<String> pyTypes = new ArrayList<>();
        for (String s : list(t.get("types"))) pyTypes.add(normType(s));
        List<String> javaTypes = new ArrayList<>();
        for (DataType dt : ti.getRowType().getChildren()) javaTypes.add(normType(dt.asSummaryString()));
        assertEquals(javaTypes, pyTypes);

        long total = 0;
        for (String spec : List.of("earliest", "latest")) {
            OffsetSpec os = spec.equals("earliest") ? new OffsetSpec.EarliestSpec() : new OffsetSpec.LatestSpec();
            var res = admin.listOffsets(tp, List.of(0, 1), os);
            Map<String, Long> want = new TreeMap<>();
            for (int b = 0; b < 2; b++) want.put(String.valueOf(b), get(res.bucketResult(b)));
            Map<String, Long> got = new TreeMap<>();
            v.get(spec).fields().forEachRemaining(e -> got.put(e.getKey(), e.getValue().longValue()));
            assertEquals(want, got, spec + " offsets");
            if (spec.equals("latest")) total = got.values().stream().mapToLong(Long::longValue).sum();
        }
        assertEquals(77L, total, "rows over both buckets");
    }

    @Test
    void tableCreatedByPyflussIsTheTableJavaSees() throws Exception {
        py("create", "--table", "fluss.py_created", "--buckets", "2");
        TablePath tp = TablePath.of("fluss", "py_created");
        TableInfo ti = get(admin.getTableInfo(tp));
        // Arrow has no CHAR(n): pyfluss declares c_char as STRING; everything else as Fixtures.
        List<DataField> fields = new ArrayList<>();
        for (DataField f : ALL.getFields()) {
            DataType dt = f.getName().equals("c_char") ? DataTypes.STRING() : f.getType();
            fields.add(new DataField(f.getName(), dt));
        }
        RowType want = new RowType(fields);
        assertEquals(want, ti.getRowType());
        assertEquals(2, ti.getNumBuckets());
        assertEquals("made by pyfluss", ti.getComment().orElse(null));
        assertTrue(!ti.hasPrimaryKey() && !ti.isPartitioned());

        final int n = 600;
        try (Table table = conn.getTable(tp)) {
            AppendWriter w = table.newAppend().createWriter();
            for (long i = 0; i < n; i++) w.append(Rows.allTypesRow(i));
            w.flush();
        }
        checkPyScan("fluss.py_created", want, n, "batches", null);
        py("append", "--table", "fluss.py_created", "--from-id", String.valueOf(n), "--count", "50");
        try (Table table = conn.getTable(tp)) {
            int seen = 0;
            for (List<ScanRecord> recs : LogTableTest.scanAll(table, 2, n + 50, null).values()) {
                for (ScanRecord r : recs) {
                    long id = r.getRow().getLong(0);
                    assertEquals(canon(expected(id, false), want), canon(r.getRow(), want), "row " + id);
                    seen++;
                }
            }
            assertEquals(n + 50, seen);
        }
    }

    // ---- helpers --------------------------------------------------------------------------------

    static void createAllTypes(TablePath tp, int buckets) throws Exception {
        get(admin.createTable(tp, TableDescriptor.builder().schema(allTypes(false)).distributedBy(buckets).build(), false));
    }

    /** Rows.allTypesRow(id); with microsOnly, c_ltz9 cut to whole microseconds. */
    static GenericRow expected(long id, boolean microsOnly) {
        GenericRow r = Rows.allTypesRow(id);
        if (microsOnly && !r.isNullAt(LTZ9)) {
            TimestampLtz t = (TimestampLtz) r.getField(LTZ9);
            r.setField(LTZ9, TimestampLtz.fromEpochMillis(t.getEpochMillisecond(), t.getNanoOfMillisecond() / 1000 * 1000));
        }
        return r;
    }

    /**
     * Runs pyfluss_peer.py scan and compares every line with the row Java wrote; javaIdAt, when
     * given, also pins each (bucket, offset) to the id the Java scanner saw there.
     */
    static void checkPyScan(String table, RowType rt, int n, String mode, Map<String, Long> javaIdAt)
            throws Exception {
        String out = py("scan", "--table", table, "--expect-count", String.valueOf(n), "--mode", mode);
        boolean[] seen = new boolean[n];
        Map<Integer, Long> lastOffset = new HashMap<>();
        int lines = 0;
        for (String line : out.split("\n")) {
            if (line.isEmpty()) continue;
            lines++;
            JsonNode rec = JSON.readTree(line);
            int bucket = rec.get("bucket").intValue();
            long offset = rec.get("offset").longValue();
            assertEquals(lastOffset.getOrDefault(bucket, -1L) + 1, offset, mode + ": bucket " + bucket + " offsets contiguous");
            lastOffset.put(bucket, offset);
            if (rec.has("change")) assertEquals("+A", rec.get("change").textValue());
            JsonNode row = rec.get("row");
            assertEquals(rt.getFieldNames(), fieldNames(row), mode + ": columns");
            long id = row.get("id").longValue();
            assertTrue(id >= 0 && id < n, "id " + id);
            assertTrue(!seen[(int) id], mode + ": duplicate id " + id);
            seen[(int) id] = true;
            if (javaIdAt != null) {
                assertEquals(javaIdAt.get(bucket + "/" + offset), (Long) id, mode + ": id at " + bucket + "/" + offset);
            }
            // records mode hands values over as Python datetime: microseconds
            assertEquals(canon(expected(id, mode.equals("records")), rt), fromJson(row, rt), mode + ": row " + id);
        }
        assertEquals(n, lines, mode + ": lines");
    }

    /** Runs the Python peer with --bootstrap; returns stdout, fails with stderr otherwise. */
    static String py(String cmd, String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of(python, script.toString(), cmd, "--bootstrap", server.bootstrap()));
        argv.addAll(List.of(args));
        Path outFile = Files.createTempFile("pyfluss-out-", ".txt");
        Path errFile = Files.createTempFile("pyfluss-err-", ".txt");
        try {
            Process p = new ProcessBuilder(argv)
                    .redirectOutput(outFile.toFile())
                    .redirectError(errFile.toFile())
                    .start();
            boolean done = p.waitFor(PY_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            if (!done) {
                p.destroyForcibly().waitFor();
            }
            String out = Files.readString(outFile, StandardCharsets.UTF_8);
            String err = Files.readString(errFile, StandardCharsets.UTF_8);
            if (!done || p.exitValue() != 0) {
                fail("pyfluss " + String.join(" ", argv) + (done ? " exited with " + p.exitValue() : " timed out after " + PY_TIMEOUT)
                        + "\n--- stderr ---\n" + err + "\n--- stdout (head) ---\n"
                        + out.substring(0, Math.min(out.length(), 2000)) + "\n--- server log (tail) ---\n" + tail(server.log(), 4000));
            }
            return out;
        } finally {
            Files.deleteIfExists(outFile);
            Files.deleteIfExists(errFile);
        }
    }

    static String tail(String s, int n) {
        return s.length() <= n ? s : s.substring(s.length() - n);
    }

    // ---- canonical values (see the docstring of pyfluss_peer.py) --------------------------------

    static List<Object> canon(InternalRow row, RowType rt) {
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < rt.getFieldCount(); i++) {
            DataType t = rt.getTypeAt(i);
            out.add(canonValue(InternalRow.createFieldGetter(t, i).getFieldOrNull(row), t));
        }
        return out;
    }

    static Object canonValue(Object v, DataType t) {
        if (v == null) return null;
        switch (t.getTypeRoot()) {
            case BOOLEAN:
                return v;
            case TINYINT:
            case SMALLINT:
            case INTEGER:
            case BIGINT:
            case DATE:
            case TIME_WITHOUT_TIME_ZONE:
                return ((Number) v).longValue();
            case FLOAT:
            case DOUBLE:
                return ((Number) v).doubleValue();
            case DECIMAL:
                return ((Decimal) v).toBigDecimal();
            case CHAR:
            case STRING:
                return ((BinaryString) v).toString();
            case BINARY:
            case BYTES:
                return HexFormat.of().formatHex((byte[]) v);
            case TIMESTAMP_WITHOUT_TIME_ZONE: {
                TimestampNtz ts = (TimestampNtz) v;
                return List.of(ts.getMillisecond(), (long) ts.getNanoOfMillisecond());
            }
            case TIMESTAMP_WITH_LOCAL_TIME_ZONE: {
                TimestampLtz ts = (TimestampLtz) v;
                return List.of(ts.getEpochMillisecond(), (long) ts.getNanoOfMillisecond());
            }
            case ARRAY: {
                InternalArray a = (InternalArray) v;
                DataType et = ((ArrayType) t).getElementType();
                InternalArray.ElementGetter g = InternalArray.createElementGetter(et);
                List<Object> l = new ArrayList<>();
                for (int i = 0; i < a.size(); i++) l.add(canonValue(g.getElementOrNull(a, i), et));
                return l;
            }
            case MAP: {
                InternalMap m = (InternalMap) v;
                MapType mt = (MapType) t;
                @SuppressWarnings("unchecked")
                List<Object> keys = (List<Object>) canonValue(m.keyArray(), new ArrayType(mt.getKeyType()));
                @SuppressWarnings("unchecked")
                List<Object> vals = (List<Object>) canonValue(m.valueArray(), new ArrayType(mt.getValueType()));
                List<Object> l = new ArrayList<>();
                for (int i = 0; i < keys.size(); i++) l.add(java.util.Arrays.asList(keys.get(i), vals.get(i)));
                return l;
            }
            case ROW:
                return canon((InternalRow) v, (RowType) t);
            default:
                throw new AssertionError("type not covered: " + t);
        }
    }

    static List<Object> fromJson(JsonNode row, RowType rt) {
        List<Object> out = new ArrayList<>();
        for (DataField f : rt.getFields()) {
            JsonNode n = row.get(f.getName());
            assertNotNull(n, "column " + f.getName() + " missing");
            out.add(fromJsonValue(n, f.getType(), f.getName()));
        }
        return out;
    }

    static Object fromJsonValue(JsonNode n, DataType t, String where) {
        if (n.isNull()) return null;
        switch (t.getTypeRoot()) {
            case BOOLEAN:
                assertTrue(n.isBoolean(), where + ": " + n);
                return n.booleanValue();
            case TINYINT:
            case SMALLINT:
            case INTEGER:
            case BIGINT:
            case DATE:
            case TIME_WITHOUT_TIME_ZONE:
                assertTrue(n.isIntegralNumber(), where + ": " + n);
                return n.longValue();
            case FLOAT:
            case DOUBLE:
                assertTrue(n.isNumber(), where + ": " + n);
                return n.doubleValue();
            case DECIMAL:
                assertTrue(n.isTextual(), where + ": " + n);
                return new BigDecimal(n.textValue());
            case CHAR:
            case STRING:
            case BINARY:
            case BYTES:
                assertTrue(n.isTextual(), where + ": " + n);
                return n.textValue();
            case TIMESTAMP_WITHOUT_TIME_ZONE:
            case TIMESTAMP_WITH_LOCAL_TIME_ZONE:
                assertTrue(n.isArray() && n.size() == 2, where + ": " + n);
                return List.of(n.get(0).longValue(), n.get(1).longValue());
            case ARRAY: {
                DataType et = ((ArrayType) t).getElementType();
                List<Object> l = new ArrayList<>();
                for (JsonNode e : n) l.add(fromJsonValue(e, et, where + "[]"));
                return l;
            }
            case MAP: {
                MapType mt = (MapType) t;
                List<Object> l = new ArrayList<>();
                for (JsonNode kv : n) {
                    l.add(java.util.Arrays.asList(fromJsonValue(kv.get(0), mt.getKeyType(), where + ".key"),
                            fromJsonValue(kv.get(1), mt.getValueType(), where + ".value")));
                }
                return l;
            }
            case ROW: {
                RowType rt = (RowType) t;
                assertTrue(n.isArray() && n.size() == rt.getFieldCount(), where + ": " + n);
                List<Object> l = new ArrayList<>();
                for (int i = 0; i < rt.getFieldCount(); i++) {
                    l.add(fromJsonValue(n.get(i), rt.getTypeAt(i), where + "." + rt.getFieldNames().get(i)));
                }
                return l;
            }
            default:
                throw new AssertionError("type not covered: " + t);
        }
    }

    /** Type names compared across the two clients: case, blanks, quotes and default precisions. */
    static String normType(String s) {
        String x = s.toLowerCase().replaceAll("[\\s`:]", "");
        x = x.replaceAll("timestamp\\(6\\)", "timestamp").replaceAll("\\btime\\(0\\)", "time");
        return x;
    }

    static List<String> list(JsonNode arr) {
        List<String> l = new ArrayList<>();
        for (JsonNode e : arr) l.add(e.textValue());
        return l;
    }

    static TreeSet<String> strings(JsonNode arr) {
        return new TreeSet<>(list(arr));
    }

    static Map<String, String> map(JsonNode obj) {
        Map<String, String> m = new TreeMap<>();
        obj.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().textValue()));
        return m;
    }

    static List<String> fieldNames(JsonNode obj) {
        List<String> l = new ArrayList<>();
        obj.fieldNames().forEachRemaining(l::add);
        return l;
    }
}
