package dev.flserver.interop;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.fluss.row.BinaryString;
import org.apache.fluss.row.Decimal;
import org.apache.fluss.row.GenericArray;
import org.apache.fluss.row.GenericMap;
import org.apache.fluss.row.GenericRow;
import org.apache.fluss.row.InternalArray;
import org.apache.fluss.row.InternalMap;
import org.apache.fluss.row.InternalRow;
import org.apache.fluss.row.TimestampLtz;
import org.apache.fluss.row.TimestampNtz;
import org.apache.fluss.types.ArrayType;
import org.apache.fluss.types.DataType;
import org.apache.fluss.types.MapType;
import org.apache.fluss.types.RowType;

/** Rows for {@link Fixtures#allTypes}, and a canonical Java form to compare rows by. */
final class Rows {
    private Rows() {}

    /** Row i of the all-types schema; every 7th row has its nullable columns null. */
    static GenericRow allTypesRow(long i) {
        boolean nulls = i % 7 == 3;
        GenericRow r = new GenericRow(23);
        r.setField(0, i);
        if (!nulls) {
            r.setField(1, i % 2 == 0);
            r.setField(2, (byte) (i % 128));
            r.setField(3, (short) (i % 30000 - 15000));
            r.setField(4, (int) (i * 7 - 1000));
            r.setField(5, (float) (i * 0.5));
            r.setField(6, i * -0.25);
            r.setField(7, Decimal.fromUnscaledLong(i * 100 + 7, 10, 2));
            r.setField(8, Decimal.fromBigDecimal(new BigDecimal("12345678901234567890.12345").add(BigDecimal.valueOf(i)), 30, 5));
            r.setField(9, BinaryString.fromString("c" + (i % 100)));
            r.setField(10, BinaryString.fromString("string-" + i + (i % 11 == 0 ? "-ünïcødé" : "")));
            r.setField(11, new byte[] {(byte) i, 1, 2, 3, 4, 5, 6, 7});
            r.setField(12, ("bytes" + i).getBytes());
            r.setField(13, (int) (i % 20000));
            r.setField(14, (int) (i % 86_400) * 1000); // TIME(0): whole seconds (Arrow Time32 SECOND)
            r.setField(15, TimestampNtz.fromMillis(1_700_000_000_000L + i));
            r.setField(16, TimestampNtz.fromMillis(1_700_000_000_000L + i, (int) (i % 1000) * 1000));
            r.setField(17, TimestampLtz.fromEpochMillis(1_700_000_000_000L - i));
            r.setField(18, TimestampLtz.fromEpochMillis(1_700_000_000_000L + i, (int) (i % 1_000_000)));
            r.setField(19, new GenericArray(new int[] {(int) i, (int) i + 1, -1}));
            Map<Object, Object> m = new LinkedHashMap<>();
            m.put(BinaryString.fromString("k" + i), i * 1.5);
            r.setField(20, new GenericMap(m));
            r.setField(21, GenericRow.of(i, BinaryString.fromString("nested" + i)));
        }
        r.setField(22, (int) -i);
        return r;
    }

    /** A value-based Java form of a row: lists, maps, strings, BigDecimals. */
    static List<Object> toJava(InternalRow row, RowType type) {
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < type.getFieldCount(); i++) {
            Object v = InternalRow.createFieldGetter(type.getTypeAt(i), i).getFieldOrNull(row);
            out.add(value(v, type.getTypeAt(i)));
        }
        return out;
    }

    static Object value(Object v, DataType t) {
        if (v == null) return null;
        if (v instanceof BinaryString) return v.toString();
        if (v instanceof Decimal) return ((Decimal) v).toBigDecimal();
        if (v instanceof byte[]) return java.util.HexFormat.of().formatHex((byte[]) v);
        if (v instanceof TimestampNtz || v instanceof TimestampLtz) return v.toString();
        if (v instanceof InternalArray) {
            InternalArray a = (InternalArray) v;
            DataType et = ((ArrayType) t).getElementType();
            InternalArray.ElementGetter g = InternalArray.createElementGetter(et);
            List<Object> l = new ArrayList<>();
            for (int i = 0; i < a.size(); i++) l.add(value(g.getElementOrNull(a, i), et));
            return l;
        }
        if (v instanceof InternalMap) {
            InternalMap m = (InternalMap) v;
            MapType mt = (MapType) t;
            List<Object> keys = (List<Object>) value(m.keyArray(), new ArrayType(mt.getKeyType()));
            List<Object> vals = (List<Object>) value(m.valueArray(), new ArrayType(mt.getValueType()));
            Map<Object, Object> out = new LinkedHashMap<>();
            for (int i = 0; i < keys.size(); i++) out.put(keys.get(i), vals.get(i));
            return out;
        }
        if (v instanceof InternalRow) return toJava((InternalRow) v, (RowType) t);
        return v;
    }
}
