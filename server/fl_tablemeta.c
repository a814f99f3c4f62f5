/* fl_tablemeta.c: see fl_tablemeta.h. The whole cache lives in one arena that each update
 * replaces; tables are sorted by id and partitions by id (binary search). */
#include "fl_tablemeta.h"

#include <stdlib.h>
#include <string.h>

typedef struct fl_tm_entry_s {
    fl_table_t t;
    int32_t *leaders;       /* non-partitioned: one per bucket */
    int32_t **part_leaders; /* partitioned: parallel to t.parts */
} fl_tm_entry_t;

struct fl_tablemeta_s {
    fl_arena_t *arena;      /* everything below; NULL before the first update */
    fl_tm_entry_t *tables;  /* ascending table id */
    size_t n;
    bool synced;
    int64_t version, epoch;
};

fl_tablemeta_t *fl_tablemeta_new(void) {
    return fl_calloc(1, sizeof(fl_tablemeta_t));
}

void fl_tablemeta_free(fl_tablemeta_t *tm) {
    if (!tm) return;
    if (tm->arena) fl_arena_destroy(tm->arena);
    fl_free(tm);
}

bool fl_tablemeta_synced(const fl_tablemeta_t *tm) {
    return tm && tm->synced;
}

bool fl_tablemeta_version(const fl_tablemeta_t *tm, int64_t *version, int64_t *epoch) {
    if (!tm || !tm->synced) return false;
    *version = tm->version;
    *epoch = tm->epoch;
    return true;
}

size_t fl_tablemeta_count(const fl_tablemeta_t *tm) {
    return tm ? tm->n : 0;
}

static int fl_tm_table_cmp(const void *a, const void *b) {
    int64_t x = (*(Flint__TabletTableMetadata *const *)a)->table_id;
    int64_t y = (*(Flint__TabletTableMetadata *const *)b)->table_id;
    return x < y ? -1 : x > y;
}

static int fl_tm_assign_cmp(const void *a, const void *b) {
    int64_t x = (*(Flint__TabletBucketAssignment *const *)a)->partition_id;
    int64_t y = (*(Flint__TabletBucketAssignment *const *)b)->partition_id;
    return x < y ? -1 : x > y;
}

/* Check one assignment against the table's bucket count and copy it into the arena. */
static bool fl_tm_assign(fl_arena_t *a, const Flint__TabletBucketAssignment *pb, int32_t buckets,
                         fl_assignment_t *out, int32_t **leaders) {
    int32_t rf = pb->replication_factor;
    if (rf < 1 || rf > 1000 || pb->n_replicas != (size_t)buckets * (size_t)rf ||
        pb->n_leaders != (size_t)buckets)
        return false;
    out->rf = rf;
    out->replicas = fl_arena_alloc(a, pb->n_replicas * sizeof(int32_t) + 1);
    memcpy(out->replicas, pb->replicas, pb->n_replicas * sizeof(int32_t));
    *leaders = fl_arena_alloc(a, pb->n_leaders * sizeof(int32_t) + 1);
    memcpy(*leaders, pb->leaders, pb->n_leaders * sizeof(int32_t));
    return true;
}

static bool fl_tm_build(fl_arena_t *a, Flint__TabletTableMetadata *pb, fl_tm_entry_t *e,
                        const char **why) {
    fl_table_t *t = &e->t;
    memset(e, 0, sizeof(*e));
    t->id = pb->table_id;
    t->arena = a;
    t->db = fl_arena_strndup(a, pb->database_name, strlen(pb->database_name));
    t->name = fl_arena_strndup(a, pb->table_name, strlen(pb->table_name));
    const char *pwhy = NULL;
    if (fl_table_desc_parse(a, pb->descriptor.data, pb->descriptor.len, &t->desc, &pwhy)) {
        *why = "a table descriptor does not parse";
        return false;
    }
    if (t->desc.bucket_count < 1) {
        *why = "a table has no bucket count";
        return false;
    }
    t->schema_id = pb->schema_id;
    t->schemas = fl_arena_alloc(a, sizeof(fl_schema_ver_t));
    t->schemas[0].id = pb->schema_id;
    t->schemas[0].schema = t->desc.schema;
    t->n_schemas = 1;
    t->lake.snapshot_id = -1;
    size_t n = pb->n_assignments;
    if (!t->desc.partition_keys.n) {
        if (n != 1 || pb->assignments[0]->has_partition_id ||
            !fl_tm_assign(a, pb->assignments[0], t->desc.bucket_count, &t->assign, &e->leaders)) {
            *why = "bad replica assignment of a table";
            return false;
        }
        return true;
    }
    qsort(pb->assignments, n, sizeof(*pb->assignments), fl_tm_assign_cmp);
    t->parts = fl_arena_calloc(a, (n + 1) * sizeof(fl_partition_t));
    e->part_leaders = fl_arena_calloc(a, (n + 1) * sizeof(int32_t *));
    for (size_t i = 0; i < n; i++) {
        const Flint__TabletBucketAssignment *as = pb->assignments[i];
        fl_partition_t *p = &t->parts[i];
        if (!as->has_partition_id || !as->partition_name || as->partition_id < 0 ||
            (i && as->partition_id == t->parts[i - 1].id) ||
            !fl_tm_assign(a, as, t->desc.bucket_count, &p->assign, &e->part_leaders[i])) {
            *why = "bad replica assignment of a partition";
            return false;
        }
        p->id = as->partition_id;
        p->name = fl_arena_strndup(a, as->partition_name, strlen(as->partition_name));
    }
    t->n_parts = t->cap_parts = n;
    return true;
}

fl_err_t fl_tablemeta_apply(fl_tablemeta_t *tm, const Flint__TabletServerHeartbeatResponse *resp,
                            const char **why) {
    if (!resp->tables_included) {
        *why = "the response carries no tables";
        return FL_ERR__INVAL;
    }
    fl_arena_t *a = fl_arena_new(0);
    size_t n = resp->n_tables;
    Flint__TabletTableMetadata **sorted = fl_arena_alloc(a, (n + 1) * sizeof(void *));
    if (n) memcpy(sorted, resp->tables, n * sizeof(void *));
    qsort(sorted, n, sizeof(void *), fl_tm_table_cmp);
    fl_tm_entry_t *tables = fl_arena_calloc(a, (n + 1) * sizeof(fl_tm_entry_t));
    for (size_t i = 0; i < n; i++) {
        if (i && sorted[i]->table_id == sorted[i - 1]->table_id) {
            *why = "a table is listed twice";
            goto err;
        }
        if (!fl_tm_build(a, sorted[i], &tables[i], why)) goto err;
    }
    if (tm->arena) fl_arena_destroy(tm->arena);
    tm->arena = a;
    tm->tables = tables;
    tm->n = n;
    tm->synced = true;
    tm->version = resp->metadata_version;
    tm->epoch = resp->has_coordinator_epoch ? resp->coordinator_epoch : 0;
    return FL_ERR_NONE;
err:
    fl_arena_destroy(a);
    return FL_ERR__INVAL;
}

static const fl_tm_entry_t *fl_tm_find(const fl_tablemeta_t *tm, int64_t table_id) {
    if (!tm) return NULL;
    size_t lo = 0, hi = tm->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int64_t id = tm->tables[mid].t.id;
        if (id == table_id) return &tm->tables[mid];
        if (id < table_id) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

static size_t fl_tm_part_index(const fl_table_t *t, int64_t partition_id) {
    size_t lo = 0, hi = t->n_parts;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->parts[mid].id == partition_id) return mid;
        if (t->parts[mid].id < partition_id) lo = mid + 1;
        else hi = mid;
    }
    return SIZE_MAX;
}

const fl_table_t *fl_tablemeta_table(const fl_tablemeta_t *tm, int64_t table_id) {
    const fl_tm_entry_t *e = fl_tm_find(tm, table_id);
    return e ? &e->t : NULL;
}

const fl_partition_t *fl_tablemeta_partition(const fl_table_t *t, int64_t partition_id) {
    size_t i = fl_tm_part_index(t, partition_id);
    return i == SIZE_MAX ? NULL : &t->parts[i];
}

int32_t fl_tablemeta_leader(const fl_tablemeta_t *tm, int64_t table_id, int64_t partition_id,
                            int32_t bucket) {
    const fl_tm_entry_t *e = fl_tm_find(tm, table_id);
    if (!e || bucket < 0 || bucket >= e->t.desc.bucket_count) return -1;
    if (!e->t.desc.partition_keys.n) return partition_id < 0 ? e->leaders[bucket] : -1;
    size_t i = partition_id < 0 ? SIZE_MAX : fl_tm_part_index(&e->t, partition_id);
    return i == SIZE_MAX ? -1 : e->part_leaders[i][bucket];
}

bool fl_tablemeta_exists(int64_t table_id, int64_t partition_id, void *arg) {
    const fl_tm_entry_t *e = fl_tm_find(arg, table_id);
    if (!e) return false;
    if (partition_id < 0) return true;
    return fl_tm_part_index(&e->t, partition_id) != SIZE_MAX;
}
