package dev.flserver.interop;

import dev.flserver.testing.FlServer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.fluss.client.Connection;
import org.apache.fluss.client.ConnectionFactory;
import org.apache.fluss.config.Configuration;
import org.apache.fluss.metadata.Schema;
import org.apache.fluss.types.DataTypes;

/** Shared helpers for the interop tests. */
final class Fixtures {
    private Fixtures() {}

    static Connection connect(FlServer server) {
        Configuration conf = new Configuration();
        conf.setString("bootstrap.servers", server.bootstrap());
        return ConnectionFactory.createConnection(conf);
    }

    static <T> T get(CompletableFuture<T> f) throws Exception {
        return f.get(60, TimeUnit.SECONDS);
    }

    /** Asserts the future fails with the given Fluss exception class; returns it. */
    static <E extends Throwable> E fails(Class<E> type, CompletableFuture<?> f) {
        ExecutionException e =
                assertThrows(ExecutionException.class, () -> f.get(60, TimeUnit.SECONDS));
        Throwable cause = e.getCause();
        assertInstanceOf(type, cause, "cause: " + cause);
        return type.cast(cause);
    }

    /** Every Fluss 0.9.1 data type, as a schema with the given primary key (or none). */
    static Schema allTypes(boolean primaryKey) {
        Schema.Builder b =
                Schema.newBuilder()
                        .column("id", DataTypes.BIGINT())
                        .withComment("the key")
                        .column("c_boolean", DataTypes.BOOLEAN())
                        .column("c_tinyint", DataTypes.TINYINT())
                        .column("c_smallint", DataTypes.SMALLINT())
                        .column("c_int", DataTypes.INT())
                        .column("c_float", DataTypes.FLOAT())
                        .column("c_double", DataTypes.DOUBLE())
                        .column("c_decimal_small", DataTypes.DECIMAL(10, 2))
                        .column("c_decimal_big", DataTypes.DECIMAL(30, 5))
                        .column("c_char", DataTypes.CHAR(4))
                        .column("c_string", DataTypes.STRING())
                        .column("c_binary", DataTypes.BINARY(8))
                        .column("c_bytes", DataTypes.BYTES())
                        .column("c_date", DataTypes.DATE())
                        .column("c_time", DataTypes.TIME())
                        .column("c_ts3", DataTypes.TIMESTAMP(3))
                        .column("c_ts6", DataTypes.TIMESTAMP(6))
                        .column("c_ltz3", DataTypes.TIMESTAMP_LTZ(3))
                        .column("c_ltz9", DataTypes.TIMESTAMP_LTZ(9))
                        .column("c_array", DataTypes.ARRAY(DataTypes.INT()))
                        .column("c_map", DataTypes.MAP(DataTypes.STRING().copy(false), DataTypes.DOUBLE()))
                        .column(
                                "c_row",
                                DataTypes.ROW(
                                        DataTypes.FIELD("f0", DataTypes.BIGINT()),
                                        DataTypes.FIELD("f1", DataTypes.STRING())))
                        .column("c_not_null", DataTypes.INT().copy(false));
        if (primaryKey) b.primaryKey("id");
        return b.build();
    }

    static void assertCode(int expected, Throwable t) {
        assertEquals(
                expected,
                org.apache.fluss.rpc.protocol.Errors.forException(t).code(),
                "exception " + t);
    }
}
