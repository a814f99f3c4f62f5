/* test_tablemeta.c: the tablet-server process's table cache fed by the coordinator's heartbeat
 * answers: lookups of tables, partitions and leaders; every inconsistent update refused with
 * the previous cache kept whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "fl_tablemeta.h"

#define LOG_JSON(buckets)                                                                      \
    "{\"schema\":{\"columns\":[{\"name\":\"a\",\"data_type\":{\"type\":\"INTEGER\"}}]},"       \
    "\"partition_key\":[],\"bucket_key\":[],\"bucket_count\":" #buckets ",\"properties\":{},"  \
    "\"custom_properties\":{}}"
#define PART_JSON                                                                              \
    "{\"schema\":{\"columns\":[{\"name\":\"a\",\"data_type\":{\"type\":\"INTEGER\"}},"         \
    "{\"name\":\"p\",\"data_type\":{\"type\":\"STRING\"}}]},\"partition_key\":[\"p\"],"        \
    "\"bucket_key\":[],\"bucket_count\":2,\"properties\":{},\"custom_properties\":{}}"

/* A response under construction; everything lives in static storage of the test. */
typedef struct resp_s {
    Flint__TabletServerHeartbeatResponse r;
    Flint__TabletTableMetadata t[4], *tp[4];
    Flint__TabletBucketAssignment as[4][3], *asp[4][3];
    int32_t replicas[4][3][8], leaders[4][3][4];
} resp_t;

static void resp_init(resp_t *x, int64_t version) {
    memset(x, 0, sizeof(*x));
    flint__tablet_server_heartbeat_response__init(&x->r);
    x->r.metadata_version = version;
    x->r.has_tables_included = 1;
    x->r.tables_included = 1;
    x->r.tables = x->tp;
}

/* Table i: id, JSON, and n assignments of `buckets` buckets with rf 1; leader of bucket b is
 * 1 + b % 3; partition k (when partitioned) has id 100 + k and name "p<k>". */
static void resp_table(resp_t *x, size_t i, int64_t id, const char *json, int buckets,
                       size_t n_assign, bool partitioned) {
    Flint__TabletTableMetadata *t = &x->t[i];
    flint__tablet_table_metadata__init(t);
    t->table_id = id;
    t->database_name = "fluss";
    t->table_name = "t";
    t->schema_id = 1;
    t->descriptor.data = (uint8_t *)json;
    t->descriptor.len = strlen(json);
    t->n_assignments = n_assign;
    t->assignments = x->asp[i];
    static char names[4][3][8];
    for (size_t k = 0; k < n_assign; k++) {
        Flint__TabletBucketAssignment *as = &x->as[i][k];
        flint__tablet_bucket_assignment__init(as);
        if (partitioned) {
            as->has_partition_id = 1;
            as->partition_id = 100 + (int64_t)k;
            snprintf(names[i][k], sizeof(names[i][k]), "p%zu", k);
            as->partition_name = names[i][k];
        }
        as->replication_factor = 1;
        as->n_replicas = (size_t)buckets;
        as->replicas = x->replicas[i][k];
        as->n_leaders = (size_t)buckets;
        as->leaders = x->leaders[i][k];
        for (int b = 0; b < buckets; b++) {
            x->replicas[i][k][b] = 1 + b % 3;
            x->leaders[i][k][b] = 1 + b % 3;
        }
        x->asp[i][k] = as;
    }
    x->tp[i] = t;
    if (x->r.n_tables < i + 1) x->r.n_tables = i + 1;
}

static void test_lookups(void **state) {
    (void)state;
    fl_tablemeta_t *tm = fl_tablemeta_new();
    assert_false(fl_tablemeta_synced(tm));
    assert_null(fl_tablemeta_table(tm, 7));
    resp_t x;
    resp_init(&x, 5);
    resp_table(&x, 0, 9, PART_JSON, 2, 2, true);
    resp_table(&x, 1, 7, LOG_JSON(3), 3, 1, false);
    x.r.has_coordinator_epoch = 1;
    x.r.coordinator_epoch = 42;
    const char *why = NULL;
    assert_int_equal(fl_tablemeta_apply(tm, &x.r, &why), FL_ERR_NONE);
    assert_true(fl_tablemeta_synced(tm));
    int64_t v = 0, e = 0;
    assert_true(fl_tablemeta_version(tm, &v, &e));
    assert_int_equal(v, 5);
    assert_int_equal(e, 42);
    assert_int_equal(fl_tablemeta_count(tm), 2);
    const fl_table_t *t = fl_tablemeta_table(tm, 7);
    assert_non_null(t);
    assert_int_equal(t->desc.bucket_count, 3);
    assert_int_equal(fl_tablemeta_leader(tm, 7, -1, 0), 1);
    assert_int_equal(fl_tablemeta_leader(tm, 7, -1, 2), 3);
    assert_int_equal(fl_tablemeta_leader(tm, 7, -1, 3), -1);  /* no such bucket */
    assert_int_equal(fl_tablemeta_leader(tm, 7, 100, 0), -1); /* not partitioned */
    const fl_table_t *p = fl_tablemeta_table(tm, 9);
    assert_non_null(p);
    assert_non_null(fl_tablemeta_partition(p, 101));
    assert_string_equal(fl_tablemeta_partition(p, 101)->name, "p1");
    assert_null(fl_tablemeta_partition(p, 102));
    assert_int_equal(fl_tablemeta_leader(tm, 9, 100, 1), 2);
    assert_int_equal(fl_tablemeta_leader(tm, 9, -1, 1), -1);
    assert_true(fl_tablemeta_exists(9, 100, tm));
    assert_false(fl_tablemeta_exists(9, 102, tm));
    assert_true(fl_tablemeta_exists(7, -1, tm));
    assert_false(fl_tablemeta_exists(8, -1, tm));
    /* a later update replaces everything: table 7 dropped */
    resp_init(&x, 6);
    resp_table(&x, 0, 9, PART_JSON, 2, 1, true);
    assert_int_equal(fl_tablemeta_apply(tm, &x.r, &why), FL_ERR_NONE);
    assert_null(fl_tablemeta_table(tm, 7));
    assert_false(fl_tablemeta_exists(9, 101, tm));
    fl_tablemeta_free(tm);
}

/* Each bad update is refused and the cache still answers as after the good one. */
static void test_bad_updates_keep_cache(void **state) {
    (void)state;
    fl_tablemeta_t *tm = fl_tablemeta_new();
    resp_t x;
    resp_init(&x, 1);
    resp_table(&x, 0, 7, LOG_JSON(3), 3, 1, false);
    const char *why = NULL;
    assert_int_equal(fl_tablemeta_apply(tm, &x.r, &why), FL_ERR_NONE);
    for (int c = 0; c < 10; c++) {
        resp_init(&x, 2);
        resp_table(&x, 0, 8, LOG_JSON(3), 3, 1, false);
        switch (c) {
        case 0: x.r.tables_included = 0; break;                          /* nothing carried */
        case 1: resp_table(&x, 1, 8, LOG_JSON(3), 3, 1, false); break;   /* listed twice */
        case 2: x.t[0].descriptor.len = 10; break;                       /* cut JSON */
        case 3: x.t[0].descriptor.data = (uint8_t *)"[]"; x.t[0].descriptor.len = 2; break;
        case 4: x.as[0][0].n_leaders = 2; break;                         /* one leader short */
        case 5: x.as[0][0].n_replicas = 2; break;                        /* one replica short */
        case 6: x.as[0][0].replication_factor = 0; break;
        case 7: x.t[0].n_assignments = 0; break;                         /* no assignment */
        case 8: x.as[0][0].has_partition_id = 1; break;                  /* partition of a plain table */
        case 9:                                                          /* duplicate partition */
            resp_table(&x, 0, 8, PART_JSON, 2, 2, true);
            x.as[0][1].partition_id = 100;
            break;
        }
        assert_int_equal(fl_tablemeta_apply(tm, &x.r, &why), FL_ERR__INVAL);
        assert_non_null(why);
        assert_non_null(fl_tablemeta_table(tm, 7));
        assert_null(fl_tablemeta_table(tm, 8));
        int64_t v = 0, e = 0;
        assert_true(fl_tablemeta_version(tm, &v, &e));
        assert_int_equal(v, 1);
    }
    fl_tablemeta_free(tm);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookups),
        cmocka_unit_test(test_bad_updates_keep_cache),
    };
    return cmocka_run_group_tests_name("tablemeta", tests, NULL, NULL);
}
