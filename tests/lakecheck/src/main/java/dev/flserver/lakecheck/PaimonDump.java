package dev.flserver.lakecheck;

import org.apache.paimon.Snapshot;
import org.apache.paimon.catalog.Catalog;
import org.apache.paimon.catalog.CatalogContext;
import org.apache.paimon.catalog.CatalogFactory;
import org.apache.paimon.catalog.Identifier;
import org.apache.paimon.data.BinaryString;
import org.apache.paimon.data.Decimal;
import org.apache.paimon.data.InternalArray;
import org.apache.paimon.data.InternalMap;
import org.apache.paimon.data.InternalRow;
import org.apache.paimon.data.Timestamp;
import org.apache.paimon.format.avro.AvroSchemaConverter;
import org.apache.paimon.manifest.ManifestEntry;
import org.apache.paimon.manifest.ManifestFileMeta;
import org.apache.paimon.options.Options;
import org.apache.paimon.reader.RecordReader;
import org.apache.paimon.shade.org.apache.avro.file.DataFileStream;
import org.apache.paimon.shade.org.apache.avro.generic.GenericDatumReader;
import org.apache.paimon.table.FileStoreTable;
import org.apache.paimon.table.Table;
import org.apache.paimon.table.source.ReadBuilder;
import org.apache.paimon.table.source.Split;
import org.apache.paimon.types.ArrayType;
import org.apache.paimon.types.DataField;
import org.apache.paimon.types.DataType;
import org.apache.paimon.types.DecimalType;
import org.apache.paimon.types.LocalZonedTimestampType;
import org.apache.paimon.types.MapType;
import org.apache.paimon.types.RowType;
import org.apache.paimon.types.TimestampType;
import org.apache.paimon.utils.VersionedObjectSerializer;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the Paimon tables that lake/test_paimon.c (fl-server's C tiering writer) wrote, with the
 * real Paimon 1.3.1 Java reader, and compares them with the C test's expectations.
 *
 * <p>Usage: PaimonDump WAREHOUSE EXPECT_DIR. For every line "T id total fluss-offsets" of
 * EXPECT_DIR/snapshots: opens fl.T in a filesystem catalog, plans and reads every split of the
 * latest snapshot (Paimon's merge-on-read for PK tables), renders each row in the canonical text
 * of test_paimon.c and compares the sorted lines with EXPECT_DIR/T.rows; reads T.rows@N files
 * with scan.snapshot-id=N (time travel); checks the latest snapshot (id, commit user, identifier,
 * kind, totalRecordCount, properties.fluss-offsets); prints T$snapshots; and checks that the
 * Avro schema text in the manifest and manifest-list headers is exactly the one Paimon's own
 * writer produces. Exit code 1 on any mismatch.
 */
public final class PaimonDump {
    private static int failures = 0;
    private static int headers = 0;

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: PaimonDump WAREHOUSE EXPECT_DIR");
            System.exit(2);
        }
        Path exp = Paths.get(args[1]);
        Options options = new Options();
        options.set("warehouse", Paths.get(args[0]).toAbsolutePath().toUri().toString());
        Catalog catalog = CatalogFactory.createCatalog(CatalogContext.create(options));
        String entrySchema =
                AvroSchemaConverter.convertToSchema(
                                VersionedObjectSerializer.versionType(ManifestEntry.SCHEMA),
                                new HashMap<>())
                        .toString();
        String metaSchema =
                AvroSchemaConverter.convertToSchema(
                                VersionedObjectSerializer.versionType(ManifestFileMeta.SCHEMA),
                                new HashMap<>())
                        .toString();
        int tables = 0;
        for (String line : Files.readAllLines(exp.resolve("snapshots"))) {
            if (line.isBlank()) continue;
            String[] f = line.trim().split(" ");
            String name = f[0];
            long sid = Long.parseLong(f[1]);
            long total = Long.parseLong(f[2]);
            String offsets = f[3];
            tables++;
            Table table = catalog.getTable(Identifier.create("fl", name));
            compare(name, readLines(table), exp.resolve(name + ".rows"));
            try (var dir = Files.newDirectoryStream(exp, name + ".rows@*")) {
                for (Path p : dir) {
                    String id = p.getFileName().toString().replaceAll(".*@", "");
                    Table old = table.copy(Collections.singletonMap("scan.snapshot-id", id));
                    compare(name + "@" + id, readLines(old), p);
                }
            }
            FileStoreTable fst = (FileStoreTable) table;
            Snapshot s = fst.snapshotManager().latestSnapshot();
            List<String> problems = new ArrayList<>();
            if (s == null || s.id() != sid) {
                problems.add("latest snapshot " + (s == null ? null : s.id()) + ", expected " + sid);
            } else {
                if (!"__fluss_lake_tiering".equals(s.commitUser())) problems.add("commitUser " + s.commitUser());
                if (s.commitIdentifier() != Long.MAX_VALUE) problems.add("commitIdentifier " + s.commitIdentifier());
                if (s.commitKind() != Snapshot.CommitKind.APPEND) problems.add("commitKind " + s.commitKind());
                if (total >= 0 && (s.totalRecordCount() == null || s.totalRecordCount() != total))
                    problems.add("totalRecordCount " + s.totalRecordCount() + ", expected " + total);
                Map<String, String> props = s.properties();
                if (props == null || !offsets.equals(props.get("fluss-offsets")))
                    problems.add("properties " + props);
                Path manifestDir = Paths.get(fst.location().toUri()).resolve("manifest");
                checkHeader(name, manifestDir.resolve(s.deltaManifestList()), metaSchema, problems);
                checkHeader(name, manifestDir.resolve(s.baseManifestList()), metaSchema, problems);
                for (ManifestFileMeta m : fst.manifestListReader().read(s.deltaManifestList()))
                    checkHeader(name, manifestDir.resolve(m.fileName()), entrySchema, problems);
            }
            if (!problems.isEmpty()) {
                failures++;
                System.out.println("FAIL " + name + " snapshot: " + String.join("; ", problems));
            }
            Table snaps = catalog.getTable(Identifier.create("fl", name + "$snapshots"));
            List<String> sl = readLines(snaps);
            System.out.println("     " + name + "$snapshots: " + sl.size() + " rows");
            for (String r : sl) System.out.println("       " + (r.length() > 400 ? r.substring(0, 400) : r));
            if (sl.size() != sid) {
                failures++;
                System.out.println("FAIL " + name + "$snapshots: " + sl.size() + " rows, expected " + sid);
            }
        }
        System.out.println(headers + " manifest/manifest-list Avro headers carry exactly the schema"
                + " text Paimon's AvroSchemaConverter produces");
        System.out.println(tables + " tables, " + failures + " failures");
        System.exit(failures == 0 && tables > 0 ? 0 : 1);
    }

    private static void checkHeader(String name, Path file, String want, List<String> problems)
            throws Exception {
        try (InputStream in = Files.newInputStream(file);
                DataFileStream<Object> s = new DataFileStream<>(in, new GenericDatumReader<>())) {
            String got = s.getMetaString("avro.schema");
            headers++;
            if (!want.equals(got))
                problems.add("Avro header schema of " + file.getFileName() + " differs from Paimon's:\n  ours:   " + got + "\n  paimon: " + want);
            while (s.hasNext()) s.next(); // every block decodes
        }
    }

    private static void compare(String name, List<String> got, Path wantFile) throws Exception {
        List<String> want = Files.readAllLines(wantFile, StandardCharsets.UTF_8);
        if (got.equals(want)) {
            System.out.println("ok   " + name + ": " + got.size() + " rows");
            return;
        }
        failures++;
        System.out.println("FAIL " + name + ": " + got.size() + " rows read, " + want.size() + " expected");
        List<String> missing = new ArrayList<>(want);
        missing.removeAll(got);
        List<String> extra = new ArrayList<>(got);
        extra.removeAll(want);
        for (String m : missing.subList(0, Math.min(5, missing.size())))
            System.out.println("  missing:    " + cut(m));
        for (String m : extra.subList(0, Math.min(5, extra.size())))
            System.out.println("  unexpected: " + cut(m));
    }

    private static String cut(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }

    private static List<String> readLines(Table table) throws Exception {
        RowType rt = table.rowType();
        ReadBuilder rb = table.newReadBuilder();
        List<Split> splits = rb.newScan().plan().splits();
        List<String> lines = new ArrayList<>();
        try (RecordReader<InternalRow> reader = rb.newRead().createReader(splits)) {
            reader.forEachRemaining(row -> lines.add(renderRow(row, rt)));
        }
        Collections.sort(lines, PaimonDump::compareBytes);
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

    private static String renderRow(InternalRow row, RowType rt) {
        StringBuilder sb = new StringBuilder("[");
        List<DataField> fields = rt.getFields();
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) sb.append(',');
            DataType t = fields.get(i).type();
            Object v = InternalRow.createFieldGetter(t, i).getFieldOrNull(row);
            render(sb, v, t);
        }
        return sb.append(']').toString();
    }

    private static void render(StringBuilder sb, Object v, DataType t) {
        if (v == null) {
            sb.append("null");
            return;
        }
        switch (t.getTypeRoot()) {
            case BOOLEAN:
            case TINYINT:
            case SMALLINT:
            case INTEGER:
            case BIGINT:
            case DATE:
            case TIME_WITHOUT_TIME_ZONE:
                sb.append(v);
                return;
            case FLOAT:
                sb.append(String.format("\"f32:%08x\"", Float.floatToRawIntBits((Float) v)));
                return;
            case DOUBLE:
                sb.append(String.format("\"f64:%016x\"", Double.doubleToRawLongBits((Double) v)));
                return;
            case DECIMAL:
                sb.append("\"d:").append(((Decimal) v).toBigDecimal().unscaledValue()).append('"');
                return;
            case CHAR:
            case VARCHAR:
                str(sb, ((BinaryString) v).toString());
                return;
            case BINARY:
            case VARBINARY:
                sb.append("\"x:");
                for (byte b : (byte[]) v) sb.append(String.format("%02x", b & 0xff));
                sb.append('"');
                return;
            case TIMESTAMP_WITHOUT_TIME_ZONE:
            case TIMESTAMP_WITH_LOCAL_TIME_ZONE:
                Timestamp ts = (Timestamp) v;
                sb.append("\"ts:").append(ts.getMillisecond()).append(':')
                        .append(ts.getNanoOfMillisecond()).append('"');
                return;
            case ARRAY: {
                InternalArray a = (InternalArray) v;
                DataType et = ((ArrayType) t).getElementType();
                InternalArray.ElementGetter g = InternalArray.createElementGetter(et);
                sb.append('[');
                for (int i = 0; i < a.size(); i++) {
                    if (i > 0) sb.append(',');
                    render(sb, g.getElementOrNull(a, i), et);
                }
                sb.append(']');
                return;
            }
            case MAP: {
                InternalMap m = (InternalMap) v;
                MapType mt = (MapType) t;
                InternalArray.ElementGetter kg = InternalArray.createElementGetter(mt.getKeyType());
                InternalArray.ElementGetter vg = InternalArray.createElementGetter(mt.getValueType());
                sb.append('[');
                for (int i = 0; i < m.size(); i++) {
                    if (i > 0) sb.append(',');
                    sb.append('[');
                    render(sb, kg.getElementOrNull(m.keyArray(), i), mt.getKeyType());
                    sb.append(',');
                    render(sb, vg.getElementOrNull(m.valueArray(), i), mt.getValueType());
                    sb.append(']');
                }
                sb.append(']');
                return;
            }
            case ROW: {
                RowType rt = (RowType) t;
                sb.append(renderRow((InternalRow) v, rt));
                return;
            }
            default:
                sb.append('"').append(v).append('"');
        }
    }

    /** JSON string with only \" \\ and control characters escaped (as test_paimon.c). */
    private static void str(StringBuilder sb, String s) {
        sb.append('"');
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        String raw = new String(b, StandardCharsets.UTF_8);
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '"' || c == '\\') sb.append('\\').append(c);
            else if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        sb.append('"');
    }
}
