package dev.flserver.interop;

import dev.flserver.testing.FlServer;

import static dev.flserver.interop.Fixtures.allTypes;
import static dev.flserver.interop.Fixtures.connect;
import static dev.flserver.interop.Fixtures.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.fluss.client.Connection;
import org.apache.fluss.client.admin.Admin;
import org.apache.fluss.client.table.Table;
import org.apache.fluss.client.table.scanner.ScanRecord;
import org.apache.fluss.client.table.scanner.log.LogScanner;
import org.apache.fluss.client.table.scanner.log.ScanRecords;
import org.apache.fluss.client.table.writer.AppendWriter;
import org.apache.fluss.client.lookup.Lookuper;
import org.apache.fluss.client.table.writer.UpsertWriter;
import org.apache.fluss.metadata.Schema;
import org.apache.fluss.metadata.TableBucket;
import org.apache.fluss.metadata.TableDescriptor;
import org.apache.fluss.metadata.TablePath;
import org.apache.fluss.row.BinaryString;
import org.apache.fluss.row.Decimal;
import org.apache.fluss.row.GenericRow;
import org.apache.fluss.row.InternalArray;
import org.apache.fluss.row.InternalMap;
import org.apache.fluss.row.InternalRow;
import org.apache.fluss.row.TimestampLtz;
import org.apache.fluss.row.TimestampNtz;
import org.apache.fluss.types.ArrayType;
import org.apache.fluss.types.DataType;
import org.apache.fluss.types.DataTypeRoot;
import org.apache.fluss.types.DataTypes;
import org.apache.fluss.types.DecimalType;
import org.apache.fluss.types.LocalZonedTimestampType;
import org.apache.fluss.types.MapType;
import org.apache.fluss.types.RowType;
import org.apache.fluss.types.TimeType;
import org.apache.fluss.types.TimestampType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * fl-admin against the real Java client: rows that `fl-admin table produce` writes are read back
 * by the Java LogScanner with the same values, in every log format; rows the Java AppendWriter
 * writes are printed by `fl-admin table scan --format jsonl` exactly as docs/cli.md specifies
 * (the expected JSON is built here from the rows, independently of fl-admin); and rows with a
 * bucket key land in the buckets the Java writer picks for them.
 */
class CliInteropTest {
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

    // ---- running fl-admin ------------------------------------------------------------------

    record Result(int code, String out, String err) {}

    static String adminBin() {
        String bin = System.getProperty("fl.server.bin").replace("server/fl-server", "server/cli/fl-admin");
        if (!new File(bin).canExecute()) throw new IllegalStateException("no fl-admin at " + bin);
        return bin;
    }

    static Result admin(String stdin, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(adminBin());
        cmd.add("--bootstrap-server");
        cmd.add(server.bootstrap());
        cmd.addAll(List.of(args));
        Path in = Files.createTempFile("fl-admin-in", ".txt");
        Path out = Files.createTempFile("fl-admin-out", ".txt");
        Path err = Files.createTempFile("fl-admin-err", ".txt");
        try {
            Files.writeString(in, stdin == null ? "" : stdin, StandardCharsets.UTF_8);
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.environment().remove("FL_BOOTSTRAP_SERVER");
            pb.redirectInput(in.toFile());
            pb.redirectOutput(out.toFile());
            pb.redirectError(err.toFile());
            Process p = pb.start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new IllegalStateException("fl-admin " + args[0] + " " + args[1] + " did not finish");
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(in);
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    static Result ok(Result r) {
        assertEquals(0, r.code(), "fl-admin failed:\n" + r.out() + "\n" + r.err());
        assertEquals("", r.err(), "stderr");
        return r;
    }

    // ---- the JSON fl-admin reads and prints (docs/cli.md, "Values") ---------------------

    static String jsonString(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }

    /** Date-time text with exactly p fractional digits. */
    static String dateTime(long epochMillis, int nanoOfMilli, int p) {
        LocalDateTime t = LocalDateTime.ofEpochSecond(Math.floorDiv(epochMillis, 1000L), 0, ZoneOffset.UTC);
        long nanos = Math.floorMod(epochMillis, 1000L) * 1_000_000L + nanoOfMilli;
        String s = String.format("%04d-%02d-%02dT%02d:%02d:%02d", t.getYear(), t.getMonthValue(),
                t.getDayOfMonth(), t.getHour(), t.getMinute(), t.getSecond());
        if (p > 0) s += "." + String.format("%09d", nanos).substring(0, p);
        return s;
    }

    static String json(Object v, DataType t) {
        if (v == null) return "null";
        switch (t.getTypeRoot()) {
            case BOOLEAN:
            case TINYINT:
            case SMALLINT:
            case INTEGER:
            case BIGINT:
                return v.toString();
            case FLOAT: {
                float f = (Float) v;
                if (Float.isNaN(f) || Float.isInfinite(f)) return "\"" + f + "\"";
                return Float.toString(f);
            }
            case DOUBLE: {
                double d = (Double) v;
                if (Double.isNaN(d) || Double.isInfinite(d)) return "\"" + d + "\"";
                return Double.toString(d);
            }
            case DECIMAL:
                return ((Decimal) v).toBigDecimal().toPlainString();
            case CHAR:
            case STRING:
                return jsonString(v.toString());
            case BINARY:
            case BYTES:
                return "\"" + Base64.getEncoder().encodeToString((byte[]) v) + "\"";
            case DATE:
                return "\"" + java.time.LocalDate.ofEpochDay((Integer) v) + "\"";
            case TIME_WITHOUT_TIME_ZONE: {
                int ms = (Integer) v;
                String s = String.format("%02d:%02d:%02d", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60);
                int p = ((TimeType) t).getPrecision();
                if (p > 0) s += "." + String.format("%09d", (ms % 1000) * 1_000_000L).substring(0, p);
                return "\"" + s + "\"";
            }
            case TIMESTAMP_WITHOUT_TIME_ZONE: {
                TimestampNtz ts = (TimestampNtz) v;
                return "\"" + dateTime(ts.getMillisecond(), ts.getNanoOfMillisecond(),
                        ((TimestampType) t).getPrecision()) + "\"";
            }
            case TIMESTAMP_WITH_LOCAL_TIME_ZONE: {
                TimestampLtz ts = (TimestampLtz) v;
                return "\"" + dateTime(ts.getEpochMillisecond(), ts.getNanoOfMillisecond(),
                        ((LocalZonedTimestampType) t).getPrecision()) + "Z\"";
            }
            case ARRAY: {
                InternalArray a = (InternalArray) v;
                DataType et = ((ArrayType) t).getElementType();
                InternalArray.ElementGetter g = InternalArray.createElementGetter(et);
                List<String> items = new ArrayList<>();
                for (int i = 0; i < a.size(); i++) items.add(json(g.getElementOrNull(a, i), et));
                return "[" + String.join(",", items) + "]";
            }
            case MAP: {
                InternalMap m = (InternalMap) v;
                MapType mt = (MapType) t;
                InternalArray.ElementGetter kg = InternalArray.createElementGetter(mt.getKeyType());
                InternalArray.ElementGetter vg = InternalArray.createElementGetter(mt.getValueType());
                boolean stringKeys = mt.getKeyType().getTypeRoot() == DataTypeRoot.STRING
                        || mt.getKeyType().getTypeRoot() == DataTypeRoot.CHAR;
                List<String> items = new ArrayList<>();
                for (int i = 0; i < m.size(); i++) {
                    String k = json(kg.getElementOrNull(m.keyArray(), i), mt.getKeyType());
                    String val = json(vg.getElementOrNull(m.valueArray(), i), mt.getValueType());
                    items.add(stringKeys ? k + ":" + val : "[" + k + "," + val + "]");
                }
                return stringKeys ? "{" + String.join(",", items) + "}" : "[" + String.join(",", items) + "]";
            }
            case ROW:
                return jsonRow((InternalRow) v, (RowType) t);
            default:
                throw new IllegalArgumentException("type " + t);
        }
    }

    static String jsonRow(InternalRow row, RowType type) {
        List<String> items = new ArrayList<>();
        for (int i = 0; i < type.getFieldCount(); i++) {
            Object v = InternalRow.createFieldGetter(type.getTypeAt(i), i).getFieldOrNull(row);
            items.add(jsonString(type.getFieldNames().get(i)) + ":" + json(v, type.getTypeAt(i)));
        }
        return "{" + String.join(",", items) + "}";
    }

    // ---- helpers ----------------------------------------------------------------------------

    static TablePath createAllTypes(String name, String format, String compression, int buckets) throws Exception {
        TablePath tp = TablePath.of("fluss", name);
        get(admin.createTable(
                tp,
                TableDescriptor.builder()
                        .schema(allTypes(false))
                        .distributedBy(buckets)
                        .property("table.log.format", format)
                        .property("table.log.arrow.compression.type", compression)
                        .build(),
                false));
        return tp;
    }

    /** Every record of the table's buckets, by bucket, until `count` arrived. */
    static Map<Integer, List<ScanRecord>> scan(Table table, int buckets, int count) throws Exception {
        Map<Integer, List<ScanRecord>> out = new TreeMap<>();
        try (LogScanner s = table.newScan().createLogScanner()) {
            for (int b = 0; b < buckets; b++) s.subscribeFromBeginning(b);
            int got = 0;
            long deadline = System.currentTimeMillis() + 60_000;
            while (got < count && System.currentTimeMillis() < deadline) {
                ScanRecords recs = s.poll(Duration.ofSeconds(1));
                for (TableBucket tb : recs.buckets()) {
                    for (ScanRecord r : recs.records(tb)) {
                        out.computeIfAbsent(tb.getBucket(), k -> new ArrayList<>()).add(r);
                        got++;
                    }
                }
            }
            assertEquals(count, got, "records scanned");
        }
        return out;
    }

    // ---- tests ------------------------------------------------------------------------------

    /** fl-admin produce (JSON lines, then CSV) -> Java LogScanner: every value as written. */
    @ParameterizedTest
    @CsvSource({"ARROW,ZSTD", "ARROW,LZ4_FRAME", "ARROW,NONE", "INDEXED,NONE", "COMPACTED,NONE"})
    void rowsProducedByFlAdminReadByJava(String format, String compression) throws Exception {
        String name = "cli_in_" + format.toLowerCase() + "_" + compression.toLowerCase();
        TablePath tp = createAllTypes(name, format, compression, 3);
        RowType rt = allTypes(false).getRowType();
        int n = 500;
        StringBuilder in = new StringBuilder();
        for (long i = 0; i < n; i++) in.append(jsonRow(Rows.allTypesRow(i), rt)).append('\n');
        Result r = ok(admin(in.toString(), "table", "produce", "fluss." + name, "--batch-rows", "64"));
        assertTrue(r.out().startsWith("Wrote " + n + " rows to fluss." + name + " in "), r.out());

        // the same rows as CSV, printed by fl-admin, into a second table
        String csv = ok(admin(null, "table", "scan", "fluss." + name, "--format", "csv", "--rows-only")).out();
        TablePath tp2 = createAllTypes(name + "_csv", format, compression, 2);
        ok(admin(csv, "table", "produce", "fluss." + name + "_csv", "--format", "csv"));

        for (TablePath p : List.of(tp, tp2)) {
            try (Table table = conn.getTable(p)) {
                Map<Long, List<Object>> got = new HashMap<>();
                int buckets = p == tp ? 3 : 2;
                for (List<ScanRecord> recs : scan(table, buckets, n).values()) {
                    for (ScanRecord rec : recs) {
                        assertEquals(org.apache.fluss.record.ChangeType.APPEND_ONLY, rec.getChangeType());
                        long id = rec.getRow().getLong(0);
                        assertTrue(got.put(id, Rows.toJava(rec.getRow(), rt)) == null, "duplicate " + id);
                    }
                }
                for (long i = 0; i < n; i++)
                    assertEquals(Rows.toJava(Rows.allTypesRow(i), rt), got.get(i), p + " row " + i);
            }
        }
    }

    /** Java AppendWriter -> fl-admin scan --format jsonl: every line exactly as specified. */
    @ParameterizedTest
    @CsvSource({"ARROW,ZSTD", "ARROW,LZ4_FRAME", "INDEXED,NONE", "COMPACTED,NONE"})
    void rowsWrittenByJavaPrintedByFlAdmin(String format, String compression) throws Exception {
        String name = "cli_out_" + format.toLowerCase() + "_" + compression.toLowerCase();
        TablePath tp = createAllTypes(name, format, compression, 2);
        RowType rt = allTypes(false).getRowType();
        int n = 300;
        try (Table table = conn.getTable(tp)) {
            AppendWriter w = table.newAppend().createWriter();
            for (long i = 0; i < n; i++) w.append(Rows.allTypesRow(i));
            w.flush();
            // what the Java scanner sees, per bucket and offset, is what fl-admin must print
            Map<Integer, List<ScanRecord>> javaView = scan(table, 2, n);
            List<String> expected = new ArrayList<>();
            for (Map.Entry<Integer, List<ScanRecord>> e : javaView.entrySet()) {
                for (ScanRecord rec : e.getValue()) {
                    expected.add("{\"bucket\":" + e.getKey() + ",\"offset\":" + rec.logOffset()
                            + ",\"timestamp\":" + rec.timestamp() + ",\"change\":\"+A\",\"row\":"
                            + jsonRow(Rows.allTypesRow(rec.getRow().getLong(0)), rt) + "}");
                }
            }
            for (int b = 0; b < 2; b++) {
                Result r = ok(admin(null, "table", "scan", "fluss." + name, "--bucket", Integer.toString(b),
                        "--format", "jsonl"));
                List<String> want = new ArrayList<>();
                for (String line : expected)
                    if (line.startsWith("{\"bucket\":" + b + ",")) want.add(line);
                // compared line by line for a readable failure, then as a whole (the final newline)
                String[] got = r.out().isEmpty() ? new String[0] : r.out().split("\n");
                for (int i = 0; i < Math.min(want.size(), got.length); i++)
                    assertEquals(want.get(i), got[i], "bucket " + b + " line " + i);
                assertEquals(want.isEmpty() ? "" : String.join("\n", want) + "\n", r.out(), "bucket " + b);
            }
            // and the whole table: --limit stops where asked
            Result r = ok(admin(null, "table", "scan", "fluss." + name, "--limit", "7", "--format", "jsonl"));
            assertEquals(7, r.out().split("\n").length);
        }
    }

    /** Bucket keys: fl-admin puts each row in the bucket the Java writer puts it in. */
    @Test
    void bucketKeyMatchesJavaWriter() throws Exception {
        Schema schema = Schema.newBuilder()
                .column("k", DataTypes.STRING())
                .column("n", DataTypes.INT())
                .column("v", DataTypes.BIGINT())
                .build();
        int buckets = 7;
        TablePath viaCli = TablePath.of("fluss", "cli_keyed");
        TablePath viaJava = TablePath.of("fluss", "java_keyed");
        for (TablePath tp : List.of(viaCli, viaJava))
            get(admin.createTable(tp, TableDescriptor.builder().schema(schema).distributedBy(buckets, "k", "n").build(), false));
        int n = 400;
        StringBuilder in = new StringBuilder();
        List<GenericRow> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            // multi-byte UTF-8 keys of odd lengths: the hash's sign-extended tail bytes matter
            String k = (i % 3 == 0 ? "ü" : "key") + (i % 50) + (i % 2 == 0 ? "é" : "");
            rows.add(GenericRow.of(BinaryString.fromString(k), i % 5 * 100000 - 3, (long) i));
            in.append("{\"k\":").append(jsonString(k)).append(",\"n\":").append(i % 5 * 100000 - 3)
                    .append(",\"v\":").append(i).append("}\n");
        }
        ok(admin(in.toString(), "table", "produce", "fluss.cli_keyed", "--batch-rows", "50"));
        try (Table t = conn.getTable(viaJava)) {
            AppendWriter w = t.newAppend().createWriter();
            for (GenericRow r : rows) w.append(r);
            w.flush();
        }
        Map<Long, Integer> cliBucket = new HashMap<>(), javaBucket = new HashMap<>();
        for (TablePath tp : List.of(viaCli, viaJava)) {
            try (Table t = conn.getTable(tp)) {
                for (Map.Entry<Integer, List<ScanRecord>> e : scan(t, buckets, n).entrySet())
                    for (ScanRecord r : e.getValue())
                        (tp == viaCli ? cliBucket : javaBucket).put(r.getRow().getLong(2), e.getKey());
            }
        }
        assertEquals(n, cliBucket.size());
        assertEquals(javaBucket, cliBucket);
        assertTrue(new java.util.HashSet<>(cliBucket.values()).size() > 3, "rows spread over buckets");
    }

    /** A primary-key table's changelog (+I, -U, +U, -D), as the Java scanner sees it. */
    @ParameterizedTest
    @CsvSource({"ARROW", "COMPACTED"})
    void changelogOfPrimaryKeyTable(String format) throws Exception {
        String name = "cli_pk_" + format.toLowerCase();
        TablePath tp = TablePath.of("fluss", name);
        Schema schema = Schema.newBuilder()
                .column("id", DataTypes.INT())
                .column("v", DataTypes.STRING())
                .primaryKey("id")
                .build();
        get(admin.createTable(tp, TableDescriptor.builder().schema(schema).distributedBy(1)
                .property("table.log.format", format).build(), false));
        RowType rt = schema.getRowType();
        try (Table table = conn.getTable(tp)) {
            UpsertWriter w = table.newUpsert().createWriter();
            w.upsert(GenericRow.of(1, BinaryString.fromString("a")));
            w.upsert(GenericRow.of(2, BinaryString.fromString("b")));
            w.flush();
            w.upsert(GenericRow.of(1, BinaryString.fromString("c")));
            w.delete(GenericRow.of(2, BinaryString.fromString("b")));
            w.flush();
            List<ScanRecord> recs = scan(table, 1, 5).get(0);
            StringBuilder want = new StringBuilder();
            for (ScanRecord rec : recs)
                want.append("{\"bucket\":0,\"offset\":").append(rec.logOffset()).append(",\"timestamp\":")
                        .append(rec.timestamp()).append(",\"change\":\"").append(rec.getChangeType().shortString())
                        .append("\",\"row\":").append(jsonRow(rec.getRow(), rt)).append("}\n");
            assertTrue(want.toString().contains("\"change\":\"-U\""), want.toString());
            assertTrue(want.toString().contains("\"change\":\"-D\""), want.toString());
            Result r = ok(admin(null, "table", "scan", "fluss." + name, "--format", "jsonl"));
            assertEquals(want.toString(), r.out());
            Result p = admin("{\"id\":3}\n", "table", "produce", "fluss." + name);
            assertEquals(2, p.code(), p.err());
        }
    }
    /**
     * fl-admin upsert -> Java Lookuper, and Java UpsertWriter -> fl-admin lookup: the same rows,
     * for a single-column key (all types) and for a composite key with a bucket key of its own
     * (key encoding of table.kv.format-version 2), in both KV formats.
     */
    @ParameterizedTest
    @CsvSource({"COMPACTED", "INDEXED"})
    void rowsUpsertedByFlAdminLookedUpByJava(String kvFormat) throws Exception {
        String name = "cli_kv_" + kvFormat.toLowerCase();
        TablePath viaCli = TablePath.of("fluss", name), viaJava = TablePath.of("fluss", name + "_java");
        for (TablePath tp : List.of(viaCli, viaJava))
            get(admin.createTable(tp, TableDescriptor.builder().schema(allTypes(true)).distributedBy(3)
                    .property("table.kv.format", kvFormat).build(), false));
        RowType rt = allTypes(true).getRowType();
        int n = 200;
        StringBuilder in = new StringBuilder(), keys = new StringBuilder(), want = new StringBuilder();
        for (long i = 0; i < n; i++) {
            in.append(jsonRow(Rows.allTypesRow(i), rt)).append('\n');
            keys.append("{\"id\":").append(i).append("}\n");
            want.append(jsonRow(Rows.allTypesRow(i), rt)).append('\n');
        }
        Result r = ok(admin(in.toString(), "table", "upsert", "fluss." + name, "--batch-rows", "33"));
        assertTrue(r.out().startsWith("Upserted " + n + " rows into fluss." + name), r.out());
        try (Table table = conn.getTable(viaCli)) {
            Lookuper l = table.newLookup().createLookuper();
            for (long i = 0; i < n; i++) {
                InternalRow row = l.lookup(GenericRow.of(i)).get().getSingletonRow();
                assertTrue(row != null, "key " + i + " not found by the Java Lookuper");
                assertEquals(Rows.toJava(Rows.allTypesRow(i), rt), Rows.toJava(row, rt), "row " + i);
            }
        }
        try (Table table = conn.getTable(viaJava)) {
            UpsertWriter w = table.newUpsert().createWriter();
            for (long i = 0; i < n; i++) w.upsert(Rows.allTypesRow(i));
            w.flush();
        }
        r = ok(admin(keys.toString() + "{\"id\":" + n + "}\n", "table", "lookup", "fluss." + name + "_java",
                "--format", "jsonl"));
        assertEquals(want + "null\n", r.out());

        // composite key (k, n), bucket key k: fl-admin and Java agree on key bytes and buckets
        Schema schema = Schema.newBuilder()
                .column("k", DataTypes.STRING())
                .column("n", DataTypes.INT())
                .column("v", DataTypes.BIGINT())
                .primaryKey("k", "n")
                .build();
        TablePath comp = TablePath.of("fluss", name + "_comp");
        get(admin.createTable(comp, TableDescriptor.builder().schema(schema).distributedBy(5, "k")
                .property("table.kv.format", kvFormat).build(), false));
        StringBuilder cin = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            String k = (i % 3 == 0 ? "ü" : "key") + (i % 17) + (i % 2 == 0 ? "é" : "");
            cin.append("{\"k\":").append(jsonString(k)).append(",\"n\":").append(i).append(",\"v\":")
                    .append(i * 1000L).append("}\n");
        }
        ok(admin(cin.toString(), "table", "upsert", "fluss." + name + "_comp"));
        try (Table table = conn.getTable(comp)) {
            Lookuper l = table.newLookup().createLookuper();
            for (int i = 0; i < 100; i++) {
                String k = (i % 3 == 0 ? "ü" : "key") + (i % 17) + (i % 2 == 0 ? "é" : "");
                InternalRow row = l.lookup(GenericRow.of(BinaryString.fromString(k), i)).get().getSingletonRow();
                assertTrue(row != null, "key (" + k + ", " + i + ") not found by the Java Lookuper");
                assertEquals(i * 1000L, row.getLong(2));
            }
        }
    }
}
