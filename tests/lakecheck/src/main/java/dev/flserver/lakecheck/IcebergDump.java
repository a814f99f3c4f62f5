package dev.flserver.lakecheck;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.hadoop.conf.Configuration;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DeleteFile;
import org.apache.iceberg.FileContent;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.PartitionField;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.SortField;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetReaders;
import org.apache.iceberg.expressions.Expression;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.hadoop.HadoopTables;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.parquet.Parquet;
import org.apache.iceberg.types.Comparators;
import org.apache.iceberg.types.Conversions;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads the Iceberg tables that lake/test_iceberg.c (fl-server's C tiering writer) wrote, with
 * the Iceberg 1.10.1 Java library (the reader behind Fluss's union read, Flink and Spark), and
 * compares them with the C test's expectations.
 *
 * <p>Usage: IcebergDump WAREHOUSE EXPECT_DIR. For every line "T id seq total offsets op count
 * [eqdel]" of EXPECT_DIR/snapshots: loads WAREHOUSE/fl/T with HadoopTables, reads every row of
 * the current snapshot with IcebergGenerics (all position and equality deletes applied), renders
 * each row in the canonical text of test_iceberg.c and compares the sorted lines with T.rows;
 * reads T.rows@ID with useSnapshot(ID); checks the current snapshot (id, sequence number,
 * operation, commit-user, fluss-offsets, total-records, snapshot count), the schema, spec and
 * sort order Fluss defines; opens every data file on its own and checks that each row lies in
 * its file's partition (identity values, bucket transform of the key, __bucket) and inside the
 * manifest's lower/upper bounds, and that null counts and record counts match. Then runs the
 * filtered scans of EXPECT_DIR/filters: each must return exactly the expected rows that match
 * the predicate and, where marked "prunes", plan fewer files than the full scan. Exit code 1 on
 * any mismatch.
 */
public final class IcebergDump {
    private static int failures = 0;
    private static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: IcebergDump WAREHOUSE EXPECT_DIR");
            System.exit(2);
        }
        Path wh = Paths.get(args[0]).toAbsolutePath();
        Path exp = Paths.get(args[1]);
        HadoopTables tables = new HadoopTables(new Configuration());
        int n = 0;
        for (String line : Files.readAllLines(exp.resolve("snapshots"))) {
            if (line.isBlank()) continue;
            String[] f = line.trim().split(" ");
            String name = f[0];
            Table t = tables.load(wh.resolve("fl").resolve(name).toString());
            n++;
            compare(name, readLines(IcebergGenerics.read(t).build(), t.schema()), exp.resolve(name + ".rows"));
            try (var dir = Files.newDirectoryStream(exp, name + ".rows@*")) {
                for (Path p : dir) {
                    long id = Long.parseLong(p.getFileName().toString().replaceAll(".*@", ""));
                    compare(name + "@" + id,
                            readLines(IcebergGenerics.read(t).useSnapshot(id).build(), t.schema()), p);
                }
            }
            checkSnapshot(t, name, f);
            checkFiles(t, name);
        }
        int filters = 0;
        for (String line : Files.readAllLines(exp.resolve("filters"))) {
            if (line.isBlank()) continue;
            filters++;
            checkFilter(tables, wh, exp, line.trim().split(" "));
        }
        System.out.println(n + " tables, " + filters + " filtered scans, " + failures + " failures");
        System.exit(failures == 0 && n > 0 ? 0 : 1);
    }

    private static void fail(String msg) {
        failures++;
        System.out.println("FAIL " + msg);
    }

    private static void checkSnapshot(Table t, String name, String[] f) {
        List<String> problems = new ArrayList<>();
        Snapshot s = t.currentSnapshot();
        long id = Long.parseLong(f[1]);
        if (s == null || s.snapshotId() != id) {
            problems.add("current snapshot " + (s == null ? null : s.snapshotId()) + ", expected " + id);
        } else {
            Map<String, String> sum = s.summary();
            if (s.sequenceNumber() != Long.parseLong(f[2])) problems.add("sequence number " + s.sequenceNumber());
            if (!f[3].equals(sum.get("total-records"))) problems.add("total-records " + sum.get("total-records"));
            if (!f[4].equals(sum.get("fluss-offsets"))) problems.add("fluss-offsets " + sum.get("fluss-offsets"));
            if (!f[5].equals(s.operation())) problems.add("operation " + s.operation());
            if (!"__fluss_lake_tiering".equals(sum.get("commit-user"))) problems.add("commit-user " + sum.get("commit-user"));
        }
        int count = 0;
        for (Snapshot x : t.snapshots()) {
            count++;
            if (!"__fluss_lake_tiering".equals(x.summary().get("commit-user"))) problems.add("snapshot " + x.snapshotId() + " lacks commit-user");
        }
        if (count != Integer.parseInt(f[6])) problems.add(count + " snapshots, expected " + f[6]);
        Schema schema = t.schema();
        int nf = schema.columns().size();
        if (!schema.columns().get(nf - 3).name().equals("__bucket") || !schema.columns().get(nf - 1).type().equals(Types.TimestampType.withZone()))
            problems.add("system columns " + schema);
        List<PartitionField> pf = t.spec().fields();
        String last = pf.get(pf.size() - 1).name();
        if (!last.equals("__bucket") && !last.endsWith("_bucket")) problems.add("bucket partition field " + last);
        SortField sf = t.sortOrder().fields().get(0);
        if (!schema.findColumnName(sf.sourceId()).equals("__offset")) problems.add("sort order " + t.sortOrder());
        if (t.properties().get("write.parquet.compression-codec") == null) problems.add("properties " + t.properties());
        if (!problems.isEmpty()) fail(name + " snapshot: " + String.join("; ", problems));
        else System.out.println("ok   " + name + " snapshot " + s.snapshotId() + " seq " + s.sequenceNumber()
                + " " + s.operation() + " " + s.summary());
    }

    /** Each data file on its own: partition values, bounds, null and record counts. */
    private static void checkFiles(Table t, String name) throws Exception {
        Schema schema = t.schema();
        List<PartitionField> pf = t.spec().fields();
        int files = 0, bounded = 0, rows = 0, deletes = 0;
        Set<String> seen = new HashSet<>();
        try (CloseableIterable<FileScanTask> tasks = t.newScan().includeColumnStats().planFiles()) {
            for (FileScanTask task : tasks) {
                for (DeleteFile d : task.deletes()) {
                    if (d.content() == FileContent.EQUALITY_DELETES
                            && !new HashSet<>(d.equalityFieldIds()).equals(schema.identifierFieldIds()))
                        fail(name + ": equality ids " + d.equalityFieldIds());
                    deletes++;
                }
                DataFile df = task.file();
                if (!seen.add(df.location())) continue;
                files++;
                long count = 0;
                Map<Integer, Long> nulls = new java.util.HashMap<>();
                try (CloseableIterable<Record> it = Parquet.read(t.io().newInputFile(df.location()))
                        .project(schema)
                        .createReaderFunc(fs -> GenericParquetReaders.buildReader(schema, fs))
                        .build()) {
                    for (Record r : it) {
                        count++;
                        rows++;
                        for (int i = 0; i < pf.size(); i++) {
                            PartitionField p = pf.get(i);
                            Object v = toInternal(valueOf(r, schema, p.sourceId()));
                            Type st = schema.findType(p.sourceId());
                            @SuppressWarnings("unchecked")
                            Object want = ((org.apache.iceberg.transforms.Transform<Object, Object>) p.transform())
                                    .bind(st).apply(v);
                            Object got = df.partition().get(i, Object.class);
                            if (!String.valueOf(want).equals(String.valueOf(got))) {
                                fail(name + ": row " + r + " in partition " + p.name() + "=" + got + ", expected " + want);
                                return;
                            }
                        }
                        if (!r.getField("__bucket").equals(df.partition().get(pf.size() - 1, Object.class))) {
                            fail(name + ": __bucket " + r.getField("__bucket") + " in bucket partition " + df.partition());
                            return;
                        }
                        for (Types.NestedField c : leaves(schema)) {
                            Object v = valueOf(r, schema, c.fieldId());
                            if (v == null) {
                                nulls.merge(c.fieldId(), 1L, Long::sum);
                                continue;
                            }
                            if (!inBounds(c, v, df)) {
                                fail(name + ": " + c.name() + "=" + v + " outside the bounds of " + df.location());
                                return;
                            }
                        }
                    }
                }
                if (count != df.recordCount()) fail(name + ": " + df.location() + " has " + count + " rows, manifest says " + df.recordCount());
                for (Types.NestedField c : leaves(schema)) {
                    Long want = df.nullValueCounts() == null ? null : df.nullValueCounts().get(c.fieldId());
                    long got = nulls.getOrDefault(c.fieldId(), 0L);
                    if (want != null && want != got) fail(name + ": " + c.name() + " null count " + want + " != " + got);
                }
                if (df.lowerBounds() != null) bounded += df.lowerBounds().size();
            }
        }
        System.out.println("     " + name + ": " + files + " data files (" + rows + " rows, " + bounded
                + " column bounds checked against every row), " + deletes + " delete-file uses");
    }

    /** The generic reader's value of a top-level or struct field. */
    private static Object valueOf(Record r, Schema schema, int id) {
        List<Types.NestedField> cols = schema.columns();
        for (int i = 0; i < cols.size(); i++) {
            Types.NestedField c = cols.get(i);
            if (c.fieldId() == id) return r.get(i);
            if (c.type().isStructType()) {
                List<Types.NestedField> fs = c.type().asStructType().fields();
                for (int k = 0; k < fs.size(); k++) {
                    if (fs.get(k).fieldId() != id) continue;
                    Object s = r.get(i);
                    return s == null ? null : ((Record) s).get(k);
                }
            }
        }
        throw new IllegalArgumentException("no field " + id);
    }

    /** Top-level and struct primitive fields (not inside lists or maps). */
    private static List<Types.NestedField> leaves(Schema schema) {
        List<Types.NestedField> out = new ArrayList<>();
        for (Types.NestedField c : schema.columns()) {
            if (c.type().isPrimitiveType()) out.add(c);
            else if (c.type().isStructType())
                for (Types.NestedField s : c.type().asStructType().fields())
                    if (s.type().isPrimitiveType()) out.add(s);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static boolean inBounds(Types.NestedField c, Object v, DataFile df) {
        Type.PrimitiveType pt = c.type().asPrimitiveType();
        Comparator<Object> cmp = (Comparator<Object>) Comparators.forType(pt);
        Object x = toInternal(v);
        if (x instanceof Float && ((Float) x).isNaN()) return true;
        if (x instanceof Double && ((Double) x).isNaN()) return true;
        ByteBuffer lo = df.lowerBounds() == null ? null : df.lowerBounds().get(c.fieldId());
        ByteBuffer hi = df.upperBounds() == null ? null : df.upperBounds().get(c.fieldId());
        if (lo != null && cmp.compare(Conversions.fromByteBuffer(pt, lo), x) > 0) return false;
        return hi == null || cmp.compare(Conversions.fromByteBuffer(pt, hi), x) >= 0;
    }

    /** Generic-reader values to Iceberg's internal representation (for the comparators). */
    private static Object toInternal(Object v) {
        if (v instanceof LocalDate) return (int) ((LocalDate) v).toEpochDay();
        if (v instanceof LocalTime) return ((LocalTime) v).toNanoOfDay() / 1000;
        if (v instanceof LocalDateTime) return micros(((LocalDateTime) v).toInstant(ZoneOffset.UTC));
        if (v instanceof OffsetDateTime) return micros(((OffsetDateTime) v).toInstant());
        return v;
    }

    private static long micros(java.time.Instant i) {
        return Math.addExact(Math.multiplyExact(i.getEpochSecond(), 1_000_000L), i.getNano() / 1000);
    }

    private static void checkFilter(HadoopTables tables, Path wh, Path exp, String[] f) throws Exception {
        String name = f[0], col = f[1], op = f[2], raw = f[3];
        boolean prunes = f.length > 4 && f[4].equals("prunes");
        Table t = tables.load(wh.resolve("fl").resolve(name).toString());
        Schema schema = t.schema();
        Types.NestedField field = schema.findField(col);
        int idx = schema.columns().indexOf(field);
        Object value;
        if (raw.startsWith("s:")) value = raw.substring(2).replace('+', ' ');
        else if (field.type().typeId() == Type.TypeID.LONG) value = Long.parseLong(raw);
        else value = Integer.parseInt(raw);
        Expression e;
        switch (op) {
            case "eq": e = Expressions.equal(col, value); break;
            case "lt": e = Expressions.lessThan(col, value); break;
            case "ge": e = Expressions.greaterThanOrEqual(col, value); break;
            default: throw new IllegalArgumentException(op);
        }
        Function<JsonNode, Boolean> pred = node -> {
            JsonNode x = node.get(idx);
            if (x.isNull()) return false;
            int c = value instanceof String ? x.asText().compareTo((String) value)
                    : Long.compare(x.asLong(), ((Number) value).longValue());
            return op.equals("eq") ? c == 0 : op.equals("lt") ? c < 0 : c >= 0;
        };
        List<String> want = new ArrayList<>();
        for (String l : Files.readAllLines(exp.resolve(name + ".rows"), StandardCharsets.UTF_8))
            if (pred.apply(JSON.readTree(l))) want.add(l);
        List<String> got = readLines(IcebergGenerics.read(t).where(e).build(), schema);
        String label = name + " where " + col + " " + op + " " + value;
        int all = count(t.newScan().planFiles()), planned = count(t.newScan().filter(e).planFiles());
        if (!got.equals(want)) {
            fail(label + ": " + got.size() + " rows, expected " + want.size());
            diff(got, want);
        } else if (want.isEmpty()) {
            fail(label + ": matches no row (a filter test that cannot fail)");
        } else if (prunes && planned >= all) {
            fail(label + ": planned " + planned + " of " + all + " files; bounds or partitions did not prune");
        } else {
            System.out.println("ok   " + label + ": " + got.size() + " rows, " + planned + "/" + all + " files planned");
        }
    }

    private static int count(CloseableIterable<FileScanTask> it) throws Exception {
        int n = 0;
        try (it) {
            for (FileScanTask ignored : it) n++;
        }
        return n;
    }

    private static void compare(String name, List<String> got, Path wantFile) throws Exception {
        List<String> want = Files.readAllLines(wantFile, StandardCharsets.UTF_8);
        if (got.equals(want)) {
            System.out.println("ok   " + name + ": " + got.size() + " rows");
            return;
        }
        fail(name + ": " + got.size() + " rows read, " + want.size() + " expected");
        diff(got, want);
    }

    private static void diff(List<String> got, List<String> want) {
        List<String> missing = new ArrayList<>(want);
        missing.removeAll(got);
        List<String> extra = new ArrayList<>(got);
        extra.removeAll(want);
        for (String m : missing.subList(0, Math.min(5, missing.size()))) System.out.println("  missing:    " + cut(m));
        for (String m : extra.subList(0, Math.min(5, extra.size()))) System.out.println("  unexpected: " + cut(m));
    }

    private static String cut(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }

    private static List<String> readLines(CloseableIterable<Record> rows, Schema schema) throws Exception {
        List<String> lines = new ArrayList<>();
        try (rows) {
            for (Record r : rows) lines.add(renderStruct(r, schema.asStruct()));
        }
        Collections.sort(lines, IcebergDump::compareBytes);
        return lines;
    }

    /** Sort as the C test does: by UTF-8 bytes. */
    private static int compareBytes(String a, String b) {
        byte[] x = a.getBytes(StandardCharsets.UTF_8), y = b.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            int c = (x[i] & 0xff) - (y[i] & 0xff);
            if (c != 0) return c;
        }
        return x.length - y.length;
    }

    private static String renderStruct(Record r, Types.StructType st) {
        StringBuilder sb = new StringBuilder("[");
        List<Types.NestedField> fs = st.fields();
        for (int i = 0; i < fs.size(); i++) {
            if (i > 0) sb.append(',');
            render(sb, r.get(i), fs.get(i).type());
        }
        return sb.append(']').toString();
    }

    private static void render(StringBuilder sb, Object v, Type t) {
        if (v == null) {
            sb.append("null");
            return;
        }
        switch (t.typeId()) {
            case BOOLEAN:
            case INTEGER:
            case LONG:
                sb.append(v);
                return;
            case FLOAT:
                sb.append(String.format("\"f32:%08x\"", Float.floatToRawIntBits((Float) v)));
                return;
            case DOUBLE:
                sb.append(String.format("\"f64:%016x\"", Double.doubleToRawLongBits((Double) v)));
                return;
            case DECIMAL:
                sb.append("\"d:").append(((BigDecimal) v).unscaledValue()).append('"');
                return;
            case STRING:
                str(sb, v.toString());
                return;
            case BINARY:
            case FIXED: {
                ByteBuffer b = v instanceof ByteBuffer ? ((ByteBuffer) v).duplicate() : ByteBuffer.wrap((byte[]) v);
                sb.append("\"x:");
                while (b.hasRemaining()) sb.append(String.format("%02x", b.get() & 0xff));
                sb.append('"');
                return;
            }
            case DATE:
                sb.append(((LocalDate) v).toEpochDay());
                return;
            case TIME:
                sb.append(((LocalTime) v).toNanoOfDay() / 1_000_000);
                return;
            case TIMESTAMP: {
                java.time.Instant i = v instanceof OffsetDateTime ? ((OffsetDateTime) v).toInstant()
                        : ((LocalDateTime) v).toInstant(ZoneOffset.UTC);
                sb.append("\"ts:").append(i.toEpochMilli()).append(':').append(i.getNano() % 1_000_000).append('"');
                return;
            }
            case LIST: {
                Type et = t.asListType().elementType();
                sb.append('[');
                boolean first = true;
                for (Object x : (List<?>) v) {
                    if (!first) sb.append(',');
                    first = false;
                    render(sb, x, et);
                }
                sb.append(']');
                return;
            }
            case MAP: {
                Types.MapType mt = t.asMapType();
                sb.append('[');
                boolean first = true;
                for (Map.Entry<?, ?> x : ((Map<?, ?>) v).entrySet()) {
                    if (!first) sb.append(',');
                    first = false;
                    sb.append('[');
                    render(sb, x.getKey(), mt.keyType());
                    sb.append(',');
                    render(sb, x.getValue(), mt.valueType());
                    sb.append(']');
                }
                sb.append(']');
                return;
            }
            case STRUCT:
                sb.append(renderStruct((Record) v, t.asStructType()));
                return;
            default:
                sb.append('"').append(v).append('"');
        }
    }

    /** JSON string with only \" \\ and control characters escaped (as test_iceberg.c). */
    private static void str(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') sb.append('\\').append(c);
            else if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        sb.append('"');
    }
}
