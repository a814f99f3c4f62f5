package dev.flserver.interop;

import dev.flserver.testing.FlServer;

import static dev.flserver.interop.Fixtures.allTypes;
import static dev.flserver.interop.Fixtures.connect;
import static dev.flserver.interop.Fixtures.fails;
import static dev.flserver.interop.Fixtures.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.fluss.client.Connection;
import org.apache.fluss.client.admin.Admin;
import org.apache.fluss.exception.DatabaseAlreadyExistException;
import org.apache.fluss.exception.DatabaseNotEmptyException;
import org.apache.fluss.exception.DatabaseNotExistException;
import org.apache.fluss.exception.InvalidAlterTableException;
import org.apache.fluss.exception.InvalidConfigException;
import org.apache.fluss.exception.InvalidDatabaseException;
import org.apache.fluss.exception.InvalidPartitionException;
import org.apache.fluss.exception.InvalidTableException;
import org.apache.fluss.exception.PartitionAlreadyExistsException;
import org.apache.fluss.exception.PartitionNotExistException;
import org.apache.fluss.exception.SchemaNotExistException;
import org.apache.fluss.exception.TableAlreadyExistException;
import org.apache.fluss.exception.TableNotExistException;
import org.apache.fluss.exception.TableNotPartitionedException;
import org.apache.fluss.metadata.DatabaseDescriptor;
import org.apache.fluss.metadata.DatabaseInfo;
import org.apache.fluss.metadata.PartitionInfo;
import org.apache.fluss.metadata.PartitionSpec;
import org.apache.fluss.metadata.Schema;
import org.apache.fluss.metadata.SchemaInfo;
import org.apache.fluss.metadata.TableChange;
import org.apache.fluss.metadata.TableDescriptor;
import org.apache.fluss.metadata.TableInfo;
import org.apache.fluss.metadata.TablePath;
import org.apache.fluss.types.DataTypes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Issue 3: database and table lifecycle through the real client's Admin API. */
class DdlTest {
    static FlServer server;
    static Connection conn;
    static Admin admin;

    @BeforeAll
    static void start() throws Exception {
        server = FlServer.local().set("default.bucket.number", "3").start();
        conn = connect(server);
        admin = conn.getAdmin();
    }

    @AfterAll
    static void stop() throws Exception {
        admin.close();
        conn.close();
        server.close();
    }

    @Test
    void defaultDatabaseExists() throws Exception {
        assertTrue(get(admin.databaseExists("fluss")));
        assertTrue(get(admin.listDatabases()).contains("fluss"));
    }

    @Test
    void databaseLifecycle() throws Exception {
        DatabaseDescriptor desc =
                DatabaseDescriptor.builder().comment("sales data").customProperty("owner", "ops").build();
        get(admin.createDatabase("sales", desc, false));
        assertTrue(get(admin.databaseExists("sales")));
        DatabaseInfo info = get(admin.getDatabaseInfo("sales"));
        assertEquals("sales", info.getDatabaseName());
        assertEquals("sales data", info.getDatabaseDescriptor().getComment().get());
        assertEquals("ops", info.getDatabaseDescriptor().getCustomProperties().get("owner"));
        assertTrue(info.getCreatedTime() > 0);
        fails(DatabaseAlreadyExistException.class, admin.createDatabase("sales", desc, false));
        get(admin.createDatabase("sales", desc, true)); // ignoreIfExists
        assertTrue(get(admin.listDatabaseSummaries()).stream().anyMatch(s -> s.getDatabaseName().equals("sales")));

        TablePath tp = TablePath.of("sales", "t");
        get(admin.createTable(tp, TableDescriptor.builder().schema(allTypes(false)).build(), false));
        fails(DatabaseNotEmptyException.class, admin.dropDatabase("sales", false, false));
        get(admin.dropDatabase("sales", false, true)); // cascade
        assertFalse(get(admin.databaseExists("sales")));
        assertFalse(get(admin.tableExists(tp)));
        fails(DatabaseNotExistException.class, admin.dropDatabase("sales", false, false));
        get(admin.dropDatabase("sales", true, false));
        fails(DatabaseNotExistException.class, admin.getDatabaseInfo("sales"));
        // the client itself refuses bad names; tests/wire/0006-ddl_errors.c sends them raw
        assertThrows(InvalidDatabaseException.class, () -> admin.createDatabase("bad name!", desc, false));
    }

    @Test
    void logTableWithEveryType() throws Exception {
        get(admin.createDatabase("logs", DatabaseDescriptor.EMPTY, true));
        TablePath tp = TablePath.of("logs", "all_types");
        TableDescriptor desc =
                TableDescriptor.builder()
                        .schema(allTypes(false))
                        .distributedBy(4, "c_int")
                        .comment("every type")
                        .property("table.log.format", "ARROW")
                        .customProperty("team", "infra")
                        .build();
        get(admin.createTable(tp, desc, false));
        assertTrue(get(admin.tableExists(tp)));
        assertTrue(get(admin.listTables("logs")).contains("all_types"));
        TableInfo info = get(admin.getTableInfo(tp));
        assertEquals(tp, info.getTablePath());
        assertEquals(1, info.getSchemaId());
        assertEquals(allTypes(false).getRowType(), info.getRowType());
        assertEquals(allTypes(false), info.getSchema());
        assertFalse(info.hasPrimaryKey());
        assertEquals(4, info.getNumBuckets());
        assertEquals(List.of("c_int"), info.getBucketKeys());
        assertEquals("every type", info.getComment().get());
        assertEquals("ARROW", info.getProperties().toMap().get("table.log.format"));
        assertEquals("1", info.getProperties().toMap().get("table.replication.factor"));
        assertEquals("infra", info.getCustomProperties().toMap().get("team"));
        assertTrue(info.getCreatedTime() > 0);

        SchemaInfo si = get(admin.getTableSchema(tp));
        assertEquals(1, si.getSchemaId());
        assertEquals(allTypes(false), si.getSchema());
        assertEquals(allTypes(false), get(admin.getTableSchema(tp, 1)).getSchema());
        fails(SchemaNotExistException.class, admin.getTableSchema(tp, 7));

        fails(TableAlreadyExistException.class, admin.createTable(tp, desc, false));
        get(admin.createTable(tp, desc, true));
        get(admin.dropTable(tp, false));
        assertFalse(get(admin.tableExists(tp)));
        fails(TableNotExistException.class, admin.dropTable(tp, false));
        get(admin.dropTable(tp, true));
        fails(TableNotExistException.class, admin.getTableInfo(tp));
        fails(DatabaseNotExistException.class,
                admin.createTable(TablePath.of("no_such_db", "t"), desc, false));
    }

    @Test
    void primaryKeyTableGetsNormalizedDistributionAndDefaults() throws Exception {
        TablePath tp = TablePath.of("fluss", "pk_all_types");
        TableDescriptor desc = TableDescriptor.builder().schema(allTypes(true)).build();
        get(admin.createTable(tp, desc, false));
        TableInfo info = get(admin.getTableInfo(tp));
        assertTrue(info.hasPrimaryKey());
        assertEquals(List.of("id"), info.getPrimaryKeys());
        assertEquals(List.of("id"), info.getBucketKeys());
        assertTrue(info.isDefaultBucketKey());
        assertEquals(3, info.getNumBuckets()); // default.bucket.number = 3 for this server
        Map<String, String> props = info.getProperties().toMap();
        assertEquals("2", props.get("table.kv.format-version"));
        assertEquals("1", props.get("table.replication.factor"));
        assertEquals(allTypes(true), info.getSchema());
    }

    @Test
    void alterTableProperties() throws Exception {
        TablePath tp = TablePath.of("fluss", "alter_me");
        get(admin.createTable(tp, TableDescriptor.builder().schema(allTypes(false)).build(), false));
        long created = get(admin.getTableInfo(tp)).getModifiedTime();
        Thread.sleep(5);
        get(admin.alterTable(
                tp,
                Arrays.asList(
                        TableChange.set("table.log.tiered.local-segments", "5"),
                        TableChange.set("owner", "me")),
                false));
        TableInfo info = get(admin.getTableInfo(tp));
        assertEquals("5", info.getProperties().toMap().get("table.log.tiered.local-segments"));
        assertEquals("me", info.getCustomProperties().toMap().get("owner"));
        assertTrue(info.getModifiedTime() > created);
        get(admin.alterTable(tp, Collections.singletonList(TableChange.reset("owner")), false));
        assertFalse(get(admin.getTableInfo(tp)).getCustomProperties().toMap().containsKey("owner"));
        fails(InvalidAlterTableException.class,
                admin.alterTable(tp, List.of(TableChange.set("table.log.format", "INDEXED")), false));
        fails(InvalidConfigException.class,
                admin.alterTable(tp, List.of(TableChange.set("table.log.tiered.local-segments", "many")), false));
        fails(TableNotExistException.class,
                admin.alterTable(TablePath.of("fluss", "nope"), List.of(TableChange.set("a", "b")), false));
        get(admin.alterTable(TablePath.of("fluss", "nope"), List.of(TableChange.set("a", "b")), true));
    }

    @Test
    void invalidTables() throws Exception {
        TablePath tp = TablePath.of("fluss", "invalid");
        // (a bucket key outside the primary key, an unknown type or a missing primary-key
        // column are refused by the client before sending; tests/wire/0006-ddl_errors.c sends
        // such descriptors raw and checks the server's error codes)
        // unknown table property, bad property value
        fails(InvalidConfigException.class,
                admin.createTable(tp, TableDescriptor.builder().schema(allTypes(false))
                        .property("table.no.such.option", "1").build(), false));
        fails(InvalidConfigException.class,
                admin.createTable(tp, TableDescriptor.builder().schema(allTypes(false))
                        .property("table.log.format", "PARQUET").build(), false));
        fails(InvalidConfigException.class,
                admin.createTable(tp, TableDescriptor.builder().schema(allTypes(false))
                        .property("table.merge-engine", "first_row").build(), false));
        // lake table on a cluster without a lake
        fails(InvalidTableException.class,
                admin.createTable(tp, TableDescriptor.builder().schema(allTypes(false))
                        .property("table.datalake.enabled", "true").build(), false));
        // reserved column name
        fails(InvalidTableException.class,
                admin.createTable(tp, TableDescriptor.builder()
                        .schema(Schema.newBuilder().column("__offset", DataTypes.INT()).build())
                        .build(), false));
        assertThrows(InvalidTableException.class,
                () -> admin.createTable(TablePath.of("fluss", "bad.name"),
                        TableDescriptor.builder().schema(allTypes(false)).build(), false));
        assertFalse(get(admin.tableExists(tp)));
    }

    @Test
    void partitionedTable() throws Exception {
        TablePath tp = TablePath.of("fluss", "orders_by_region");
        Schema schema =
                Schema.newBuilder()
                        .column("id", DataTypes.BIGINT())
                        .column("region", DataTypes.STRING())
                        .column("day", DataTypes.STRING())
                        .column("amount", DataTypes.DOUBLE())
                        .primaryKey("id", "region", "day")
                        .build();
        get(admin.createTable(
                tp,
                TableDescriptor.builder().schema(schema).partitionedBy("region", "day").distributedBy(2).build(),
                false));
        TableInfo info = get(admin.getTableInfo(tp));
        assertTrue(info.isPartitioned());
        assertEquals(List.of("region", "day"), info.getPartitionKeys());
        assertEquals(List.of("id"), info.getBucketKeys());

        Map<String, String> spec = new HashMap<>();
        spec.put("region", "eu");
        spec.put("day", "20260101");
        get(admin.createPartition(tp, new PartitionSpec(spec), false));
        fails(PartitionAlreadyExistsException.class, admin.createPartition(tp, new PartitionSpec(spec), false));
        get(admin.createPartition(tp, new PartitionSpec(spec), true));
        Map<String, String> spec2 = new HashMap<>(spec);
        spec2.put("region", "us");
        get(admin.createPartition(tp, new PartitionSpec(spec2), false));

        List<PartitionInfo> parts = get(admin.listPartitionInfos(tp));
        assertEquals(2, parts.size());
        assertEquals("eu$20260101", parts.get(0).getPartitionName());
        assertEquals(spec, parts.get(0).getPartitionSpec().getSpecMap());
        assertTrue(parts.get(1).getPartitionId() > parts.get(0).getPartitionId());
        List<PartitionInfo> eu = get(admin.listPartitionInfos(tp, new PartitionSpec(Map.of("region", "eu"))));
        assertEquals(1, eu.size());

        // invalid partition values and specs
        fails(InvalidPartitionException.class,
                admin.createPartition(tp, new PartitionSpec(Map.of("region", "eu")), false));
        Map<String, String> bad = new HashMap<>(spec);
        bad.put("day", "2026/01/01");
        fails(InvalidPartitionException.class, admin.createPartition(tp, new PartitionSpec(bad), false));

        get(admin.dropPartition(tp, new PartitionSpec(spec), false));
        fails(PartitionNotExistException.class, admin.dropPartition(tp, new PartitionSpec(spec), false));
        get(admin.dropPartition(tp, new PartitionSpec(spec), true));
        assertEquals(
                List.of("us$20260101"),
                get(admin.listPartitionInfos(tp)).stream().map(PartitionInfo::getPartitionName).collect(Collectors.toList()));

        TablePath plain = TablePath.of("fluss", "not_partitioned");
        get(admin.createTable(plain, TableDescriptor.builder().schema(allTypes(false)).build(), false));
        fails(TableNotPartitionedException.class, admin.createPartition(plain, new PartitionSpec(spec), false));
    }

    @Test
    void autoPartitionedTableShowsPrecreatedPartitions() throws Exception {
        TablePath tp = TablePath.of("fluss", "auto_daily");
        Schema schema =
                Schema.newBuilder()
                        .column("id", DataTypes.BIGINT())
                        .column("dt", DataTypes.STRING())
                        .build();
        get(admin.createTable(
                tp,
                TableDescriptor.builder()
                        .schema(schema)
                        .partitionedBy("dt")
                        .property("table.auto-partition.enabled", "true")
                        .property("table.auto-partition.time-unit", "DAY")
                        .property("table.auto-partition.num-precreate", "3")
                        .property("table.auto-partition.time-zone", "UTC")
                        .build(),
                false));
        List<String> names =
                get(admin.listPartitionInfos(tp)).stream().map(PartitionInfo::getPartitionName).collect(Collectors.toList());
        java.time.LocalDate today = java.time.LocalDate.now(java.time.ZoneOffset.UTC);
        java.time.format.DateTimeFormatter f = java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd");
        assertEquals(List.of(f.format(today), f.format(today.plusDays(1)), f.format(today.plusDays(2))), names);
        assertTrue(get(admin.getTableInfo(tp)).isAutoPartitioned());
    }
}
