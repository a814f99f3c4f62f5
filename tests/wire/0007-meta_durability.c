/* 0007-meta_durability: every acknowledged database, table and partition survives a clean
 * restart and a kill -9 at a random moment of a DDL storm, with the same ids; ids are never
 * reused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fl_apis.h"
#include "fl_wire.h"

#define MAX_OBJ 4096

typedef struct {
    char db[32], table[32], partition[32];
    int64_t id; /* -1 when the id was not learned before the crash */
} obj_t;

static obj_t acked[MAX_OBJ];
static int n_acked;
static int64_t max_table_id = -1, max_part_id = -1;

/* Returns 0 on success, -1 if the connection died, or the error code. */
static int call(int fd, int16_t key, const ProtobufCMessage *req,
                const ProtobufCMessageDescriptor *desc, fl_arena_t *a, ProtobufCMessage **out) {
    static int32_t id;
    fl_cli_send_request(fd, key, 0, ++id, req);
    fl_buf_t buf;
    fl_buf_init(&buf);
    fl_cli_resp_t resp;
    int rc = fl_cli_read_resp(fd, 10000, &buf, &resp);
    if (rc) {
        fl_buf_free(&buf);
        return -1;
    }
    if (resp.hdr.type != FL_RESP_SUCCESS) {
        fl_buf_free(&buf);
        return resp.error_code;
    }
    const char *why;
    if (out) *out = fl_pb_unpack(a, desc, resp.body, resp.body_len, &why);
    fl_buf_free(&buf);
    return 0;
}

static const char *TABLE_JSON =
    "{\"schema\":{\"columns\":[{\"name\":\"k\",\"data_type\":{\"type\":\"BIGINT\"}},"
    "{\"name\":\"p\",\"data_type\":{\"type\":\"STRING\"}}],\"primary_key\":[\"k\",\"p\"]},"
    "\"partition_key\":[\"p\"],\"properties\":{},\"custom_properties\":{}}";
static const char *LOG_JSON =
    "{\"schema\":{\"columns\":[{\"name\":\"k\",\"data_type\":{\"type\":\"BIGINT\"}}]},"
    "\"partition_key\":[],\"properties\":{},\"custom_properties\":{}}";

/* One storm: creates databases, tables and partitions until the connection dies or `ops`
 * operations are done. Records what was acknowledged. */
static void storm(int port, int round, int ops) {
    int fd = fl_cli_connect(port);
    fl_arena_t *a = fl_arena_new(0);
    for (int i = 0; i < ops; i++) {
        char db[32], t[32];
        snprintf(db, sizeof(db), "db%d", round);
        snprintf(t, sizeof(t), "t%d_%d", round, i);
        if (i == 0) {
            Fluss__CreateDatabaseRequest cd = FLUSS__CREATE_DATABASE_REQUEST__INIT;
            cd.database_name = db;
            cd.ignore_if_exists = 1;
            if (call(fd, FL_API_CREATE_DATABASE, &cd.base, NULL, a, NULL)) break;
            obj_t *o = &acked[n_acked++];
            snprintf(o->db, sizeof(o->db), "%s", db);
            o->table[0] = o->partition[0] = '\0';
            o->id = -1;
        }
        Fluss__PbTablePath tp = FLUSS__PB_TABLE_PATH__INIT;
        tp.database_name = db;
        tp.table_name = t;
        Fluss__CreateTableRequest ct = FLUSS__CREATE_TABLE_REQUEST__INIT;
        ct.table_path = &tp;
        const char *json = i % 3 == 0 ? TABLE_JSON : LOG_JSON;
        ct.table_json.data = (uint8_t *)json;
        ct.table_json.len = strlen(json);
        if (call(fd, FL_API_CREATE_TABLE, &ct.base, NULL, a, NULL)) break;
        obj_t *o = &acked[n_acked++];
        snprintf(o->db, sizeof(o->db), "%s", db);
        snprintf(o->table, sizeof(o->table), "%s", t);
        o->partition[0] = '\0';
        o->id = -1;
        Fluss__GetTableInfoRequest gi = FLUSS__GET_TABLE_INFO_REQUEST__INIT;
        gi.table_path = &tp;
        ProtobufCMessage *m = NULL;
        if (call(fd, FL_API_GET_TABLE_INFO, &gi.base, &fluss__get_table_info_response__descriptor, a, &m)) break;
        o->id = ((Fluss__GetTableInfoResponse *)m)->table_id;
        if (o->id > max_table_id) max_table_id = o->id;
        if (i % 3 == 0) {
            Fluss__PbKeyValue kv = FLUSS__PB_KEY_VALUE__INIT;
            kv.key = "p";
            kv.value = "x1";
            Fluss__PbKeyValue *kvs[] = {&kv};
            Fluss__PbPartitionSpec spec = FLUSS__PB_PARTITION_SPEC__INIT;
            spec.n_partition_key_values = 1;
            spec.partition_key_values = kvs;
            Fluss__CreatePartitionRequest cp = FLUSS__CREATE_PARTITION_REQUEST__INIT;
            cp.table_path = &tp;
            cp.partition_spec = &spec;
            if (call(fd, FL_API_CREATE_PARTITION, &cp.base, NULL, a, NULL)) break;
            obj_t *po = &acked[n_acked++];
            *po = *o;
            snprintf(po->partition, sizeof(po->partition), "x1");
            po->id = -1;
            Fluss__ListPartitionInfosRequest lp = FLUSS__LIST_PARTITION_INFOS_REQUEST__INIT;
            lp.table_path = &tp;
            if (call(fd, FL_API_LIST_PARTITION_INFOS, &lp.base,
                     &fluss__list_partition_infos_response__descriptor, a, &m))
                break;
            Fluss__ListPartitionInfosResponse *lr = (Fluss__ListPartitionInfosResponse *)m;
            assert_int_equal(lr->n_partitions_info, 1);
            po->id = lr->partitions_info[0]->partition_id;
            if (po->id > max_part_id) max_part_id = po->id;
        }
        if (n_acked > MAX_OBJ - 4) break;
    }
    fl_arena_destroy(a);
    close(fd);
}

/* Everything acknowledged is there with the same id. */
static void verify(int port) {
    int fd = fl_cli_connect(port);
    fl_arena_t *a = fl_arena_new(0);
    for (int i = 0; i < n_acked; i++) {
        obj_t *o = &acked[i];
        ProtobufCMessage *m = NULL;
        if (!o->table[0]) {
            Fluss__DatabaseExistsRequest de = FLUSS__DATABASE_EXISTS_REQUEST__INIT;
            de.database_name = o->db;
            assert_int_equal(call(fd, FL_API_DATABASE_EXISTS, &de.base,
                                  &fluss__database_exists_response__descriptor, a, &m), 0);
            if (!((Fluss__DatabaseExistsResponse *)m)->exists) fail_msg("database %s lost", o->db);
            continue;
        }
        Fluss__PbTablePath tp = FLUSS__PB_TABLE_PATH__INIT;
        tp.database_name = o->db;
        tp.table_name = o->table;
        if (!o->partition[0]) {
            Fluss__GetTableInfoRequest gi = FLUSS__GET_TABLE_INFO_REQUEST__INIT;
            gi.table_path = &tp;
            int rc = call(fd, FL_API_GET_TABLE_INFO, &gi.base,
                          &fluss__get_table_info_response__descriptor, a, &m);
            if (rc) fail_msg("table %s.%s lost (error %d)", o->db, o->table, rc);
            if (o->id >= 0) assert_int_equal(((Fluss__GetTableInfoResponse *)m)->table_id, o->id);
        } else {
            Fluss__ListPartitionInfosRequest lp = FLUSS__LIST_PARTITION_INFOS_REQUEST__INIT;
            lp.table_path = &tp;
            assert_int_equal(call(fd, FL_API_LIST_PARTITION_INFOS, &lp.base,
                                  &fluss__list_partition_infos_response__descriptor, a, &m), 0);
            Fluss__ListPartitionInfosResponse *lr = (Fluss__ListPartitionInfosResponse *)m;
            if (lr->n_partitions_info != 1) fail_msg("partition of %s.%s lost", o->db, o->table);
            if (o->id >= 0) assert_int_equal(lr->partitions_info[0]->partition_id, o->id);
        }
    }
    fl_arena_destroy(a);
    close(fd);
}

/* A new table gets an id above every id handed out before. */
static void check_fresh_ids(int port, int round) {
    int fd = fl_cli_connect(port);
    fl_arena_t *a = fl_arena_new(0);
    char t[32];
    snprintf(t, sizeof(t), "fresh%d", round);
    Fluss__PbTablePath tp = FLUSS__PB_TABLE_PATH__INIT;
    tp.database_name = "fluss";
    tp.table_name = t;
    Fluss__CreateTableRequest ct = FLUSS__CREATE_TABLE_REQUEST__INIT;
    ct.table_path = &tp;
    ct.table_json.data = (uint8_t *)LOG_JSON;
    ct.table_json.len = strlen(LOG_JSON);
    assert_int_equal(call(fd, FL_API_CREATE_TABLE, &ct.base, NULL, a, NULL), 0);
    Fluss__GetTableInfoRequest gi = FLUSS__GET_TABLE_INFO_REQUEST__INIT;
    gi.table_path = &tp;
    ProtobufCMessage *m = NULL;
    assert_int_equal(call(fd, FL_API_GET_TABLE_INFO, &gi.base, &fluss__get_table_info_response__descriptor, a, &m), 0);
    int64_t id = ((Fluss__GetTableInfoResponse *)m)->table_id;
    if (id <= max_table_id) fail_msg("table id %lld reused (max seen %lld)", (long long)id, (long long)max_table_id);
    max_table_id = id;
    obj_t *o = &acked[n_acked++];
    snprintf(o->db, sizeof(o->db), "fluss");
    snprintf(o->table, sizeof(o->table), "%s", t);
    o->partition[0] = '\0';
    o->id = id;
    fl_arena_destroy(a);
    close(fd);
}

static void test_clean_restart(void **state) {
    (void)state;
    n_acked = 0;
    fl_ts_t ts;
    fl_ts_start(&ts, "local", NULL);
    storm(ts.port, 0, 30);
    assert_int_equal(fl_ts_stop(&ts), 0);
    fl_ts_restart(&ts, "local", NULL);
    verify(ts.port);
    check_fresh_ids(ts.port, 0);
    assert_int_equal(fl_ts_stop(&ts), 0);
}

static void test_kill9_during_ddl_storm(void **state) {
    (void)state;
    n_acked = 0;
    max_table_id = max_part_id = -1;
    srand((unsigned)time(NULL));
    fl_ts_t ts;
    fl_ts_start(&ts, "local", NULL);
    for (int round = 1; round <= 12; round++) {
        /* a killer process fires SIGKILL after a random 5..150 ms */
        int delay_us = 5000 + rand() % 145000;
        pid_t victim = ts.pid;
        pid_t killer = fork();
        if (killer == 0) {
            usleep((useconds_t)delay_us);
            kill(victim, SIGKILL);
            _exit(0);
        }
        storm(ts.port, round, 1000);
        waitpid(killer, NULL, 0);
        waitpid(ts.pid, NULL, 0);
        ts.pid = 0;
        fl_ts_restart(&ts, "local", NULL);
        verify(ts.port);
        check_fresh_ids(ts.port, round);
    }
    print_message("%d objects acknowledged across 12 crashes; all present with their ids\n", n_acked);
    assert_int_equal(fl_ts_stop(&ts), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_restart),
        cmocka_unit_test(test_kill9_during_ddl_storm),
    };
    return cmocka_run_group_tests_name("wire_meta_durability", tests, NULL, NULL);
}
