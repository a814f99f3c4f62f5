/* fl_tiering.h: the in-process lake tiering worker.
 *
 * The event loop plans a round per lake-enabled table once per table.datalake.freshness: for
 * every bucket it leads, the committed range [tiered offset, high watermark) pinned as log
 * slices (segment files stay open while the worker reads them). The worker thread decodes the
 * batches, writes the rows into the lake table (Paimon or Iceberg), commits one lake snapshot whose
 * "fluss-offsets" property names an offsets file, and hands the round back. The loop then
 * records the snapshot and the new offsets in the coordinator (fl_catalog_lake_commit) and
 * releases the slices.
 *
 * Crash safety: the lake snapshot commit is atomic (rename). The first round of a table after
 * a start asks the lake for its newest tiering snapshot; if it is newer than what the
 * coordinator recorded (a crash after the lake commit and before the record), its offsets are
 * adopted and tiering resumes from them, so no row is tiered twice or skipped. Iceberg snapshot
 * ids are random, so there "newer" means "a tiering snapshot other than the recorded one".
 *
 * Threads: jobs are owned by the loop until submitted, by the worker until done, and by the
 * loop again after fl_tierer_take_done(). The worker runs at a lower CPU priority (nice 10) so
 * it cannot starve client traffic. */
#ifndef FL_TIERING_H
#define FL_TIERING_H

#include "fl_arena.h"
#include "fl_logstore.h"
#include "fl_tabledesc.h"
#include "fl_tablet.h"

typedef struct fl_tier_bucket_s {
    int64_t partition_id;      /* -1 when not partitioned */
    const char *partition_name;
    int32_t bucket;
    int64_t start, end;        /* offsets [start, end) to tier */
    fl_logslice_t *slices;     /* pinned ranges covering them, whole batches */
    size_t n_slices;
    int64_t max_ts;            /* OUT: largest commit timestamp tiered */
    uint64_t rows;             /* OUT */
} fl_tier_bucket_t;

typedef struct fl_tier_full_s { /* every bucket's offset after the round, for the offsets file */
    int64_t partition_id;
    int32_t bucket;
    int64_t offset;
} fl_tier_full_t;

typedef struct fl_tier_job_s {
    fl_arena_t *arena;         /* owns everything below */
    int64_t table_id;
    const char *db, *table;
    fl_table_desc_t desc;
    fl_tablet_table_info_t info;
    const char *format;        /* "paimon" or "iceberg" */
    const char *warehouse;
    const char *offsets_dir;   /* where offsets files go */
    int64_t known_snapshot;    /* the coordinator's latest lake snapshot (-1 none) */
    int64_t planned_ms;        /* when the round was planned: it covers the log up to then */
    bool check_resume;         /* first round since start: compare with the lake */
    bool capped;               /* some bucket's range was cut at the round's byte budget */
    fl_tier_bucket_t *buckets;
    size_t n;
    fl_tier_full_t *full;      /* merged offsets of every bucket after this round */
    size_t n_full;
    /* results */
    fl_err_t err;
    char why[256];
    int64_t snapshot_id;       /* new snapshot, -1 when the round had no rows */
    bool resumed;              /* the lake was ahead: adopt resume[] instead */
    fl_tier_full_t *resume;
    size_t n_resume;
    int64_t resume_snapshot;
    uint64_t rows, bytes;
    int64_t elapsed_us;
    struct fl_tier_job_s *next;
} fl_tier_job_t;

typedef struct fl_tierer_s fl_tierer_t;

/** @brief Start the worker; notify(arg) is called from the worker after each finished job. */
fl_tierer_t *fl_tierer_new(void (*notify)(void *arg), void *arg);
/** @brief Stop the worker (after its current job) and free it; unfinished jobs come back
 *  through fl_tierer_take_done() with err set. */
void fl_tierer_stop(fl_tierer_t *t);
void fl_tierer_free(fl_tierer_t *t);
void fl_tierer_submit(fl_tierer_t *t, fl_tier_job_t *job);
/** @returns a finished job or NULL. */
fl_tier_job_t *fl_tierer_take_done(fl_tierer_t *t);
/** @brief Release a job's slices and arena (loop thread). */
void fl_tier_job_free(fl_tier_job_t *job);

#endif
