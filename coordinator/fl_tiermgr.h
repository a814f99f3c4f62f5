/* fl_tiermgr.h: who tiers which lake table, and the lake offsets files of external tiering.
 *
 * Two kinds of tierer share the lake-enabled tables of the catalog:
 *   - the in-process tiering thread (server/rpc_lake.c, local role with datalake.format), and
 *   - external tiering services: Fluss 0.9.1's Flink tiering job, which polls the coordinator
 *     with LakeTieringHeartbeat (1042), is handed one table at a time together with a tiering
 *     epoch, and commits through PrepareLakeTableSnapshot (1052) and CommitLakeTableSnapshot
 *     (1030) (server/rpc_tiering.c).
 *
 * Per-table state machine (all on the loop thread; the function doing each transition):
 *
 *   (first seen in the catalog) ------------------------------------------> PENDING  epoch 1
 *   SCHEDULED --last round + table.datalake.freshness reached: advance-----> PENDING  epoch+1
 *   PENDING   --fl_tiermgr_request (heartbeat with request_table)-------> EXTERNAL (epoch)
 *   PENDING   --fl_tiermgr_local_begin (in-process round planned)-------> LOCAL
 *   LOCAL     --fl_tiermgr_local_end(last)-------------------------------> SCHEDULED (or PENDING)
 *   EXTERNAL  --fl_tiermgr_finish---------------------------------------> SCHEDULED (last = now)
 *   EXTERNAL  --fl_tiermgr_finish(force: the job's max round duration hit)> PENDING  epoch+1
 *   EXTERNAL  --fl_tiermgr_fail, or no heartbeat for the timeout: advance> PENDING  epoch+1
 *   any       --table dropped or no longer lake-enabled: sync-----------> (forgotten)
 *
 * This is Fluss's LakeTableTieringManager (New/Initialized -> Scheduled -> Pending -> Tiering
 * -> Tiered | Failed) with Tiered and Failed folded into the transition that follows them, and
 * one addition: LOCAL, a round of the in-process thread. The tiering epoch grows each time a
 * table becomes PENDING, so a service that lost a table (timeout, failure) is fenced
 * (FENCED_TIERING_EPOCH_EXCEPTION) when it reports on it later. Differences from Fluss: a table
 * is PENDING as soon as it is first seen (at start or creation) rather than one freshness
 * interval later, as the in-process thread has always done (its first round after a start
 * also repairs a lake commit the coordinator missed); after an external round the next one is
 * due a freshness interval after the finish report, as in Fluss, after an in-process round a
 * freshness interval after that round was planned.
 *
 * Who gets a PENDING table (the rule):
 *   1. An external tiering service counts as present while its last LakeTieringHeartbeat (of
 *      any kind) is younger than the timeout (2 min, Fluss's TIERING_SERVICE_TIMEOUT_MS).
 *   2. While one is present, PENDING tables wait for it (request_table hands out the one
 *      pending longest); the in-process thread stands aside. When it has been silent for the
 *      timeout, the in-process thread takes PENDING tables again; tables it still held expire
 *      at the same time (no heartbeat for the timeout) and become PENDING with a new epoch.
 *   3. A heartbeat never hands out a LOCAL table (an in-process round in flight), and the
 *      in-process thread never plans a table an external service holds (EXTERNAL).
 *   4. Readiness: where the in-process thread runs (need_ready), a table is handed out only
 *      after the in-process thread has done its first round of it since start: that round
 *      adopts a lake snapshot the coordinator did not record (a crash between a lake commit
 *      and its record). The lake table itself exists from CreateTable / the AlterTable that
 *      enabled the lake (server/rpc_lake.c fl_server_lake_create, as Fluss's coordinator
 *      does; Fluss's tiering job expects it); the round opens it. While an external service
 *      is present that first round tiers no data (fl_tiermgr_local_may_take says so). A
 *      coordinator-only process hands tables out at once.
 *
 * Offsets files (PrepareLakeTableSnapshot): Fluss's TableBucketOffsetsJsonSerde, version 1:
 *   {"version":1,"table_id":T,"bucket_offsets":[o0,o1,...]}              not partitioned
 *   {"version":1,"table_id":T,"partition_offsets":[{"partition_id":P,"bucket_offsets":[...]},...]}
 * The array index is the bucket id; a bucket without an offset is -1; arrays end at the
 * highest bucket present; partitions in ascending id; no offsets at all: only version and
 * table_id. The same format as the in-process thread's offsets files (tablet/fl_tiering.c). */
#ifndef FL_TIERMGR_H
#define FL_TIERMGR_H

#include "fl_arena.h"
#include "fl_buf.h"
#include "fl_catalog.h"

#define FL_TIERMGR_TIMEOUT_MS (2 * 60 * 1000)        /* Fluss TIERING_SERVICE_TIMEOUT_MS */
#define FL_TIERMGR_DEFAULT_FRESHNESS_MS (3 * 60 * 1000) /* table.datalake.freshness */

typedef struct fl_tiermgr_s fl_tiermgr_t;

typedef enum fl_tier_state_e {
    FL_TIER_SCHEDULED = 0, /* waiting for its freshness interval */
    FL_TIER_PENDING,       /* due, waiting for a tierer */
    FL_TIER_LOCAL,         /* an in-process round is in flight */
    FL_TIER_EXTERNAL       /* held by an external tiering service under `epoch` */
} fl_tier_state_t;

/** @brief A manager with no tables.
 *  @param coordinator_epoch answered in every heartbeat; table reports carrying another one
 *         are refused (INVALID_COORDINATOR_EXCEPTION).
 *  @param timeout_ms heartbeat timeout (FL_TIERMGR_TIMEOUT_MS).
 *  @param need_ready rule 4: hand out a table only after fl_tiermgr_local_end(ready=true) or
 *         fl_tiermgr_set_ready. */
fl_tiermgr_t *fl_tiermgr_new(int32_t coordinator_epoch, int64_t timeout_ms, bool need_ready);
/** @brief The coordinator epoch of this start: the stored one plus 1, stored back (store key
 *  tiering/coordinator_epoch, decimal; a synced write), so that a tiering job that held tables
 *  before a restart is told INVALID_COORDINATOR_EXCEPTION about them, as Fluss does after a
 *  coordinator failover. A store failure is logged and a wall-clock epoch used instead. */
int32_t fl_tiermgr_next_coordinator_epoch(fl_metastore_t *ms);
void fl_tiermgr_free(fl_tiermgr_t *m);
int32_t fl_tiermgr_coordinator_epoch(const fl_tiermgr_t *m);

/* ---- following the catalog ---------------------------------------------------------------- */

/** @brief Track every lake-enabled table of cat (table.datalake.enabled = true), forget the
 *  others, then fl_tiermgr_advance. */
void fl_tiermgr_sync(fl_tiermgr_t *m, const fl_catalog_t *cat, int64_t now_ms);
/** @brief Track one table (PENDING when new) with its freshness; marks it seen in round gen. */
void fl_tiermgr_track(fl_tiermgr_t *m, int64_t table_id, int64_t freshness_ms, uint64_t gen);
/** @brief Forget every table not tracked in round gen. */
void fl_tiermgr_sweep(fl_tiermgr_t *m, uint64_t gen);
/** @brief Time-driven transitions: SCHEDULED tables whose freshness passed and EXTERNAL tables
 *  without a heartbeat for the timeout become PENDING. */
void fl_tiermgr_advance(fl_tiermgr_t *m, int64_t now_ms);
/** @returns the earliest time at which advance or the rule may change something for the
 *  in-process thread (a table due, a holder expiring, the external service's presence
 *  expiring while tables are pending), or INT64_MAX. */
int64_t fl_tiermgr_next_event(const fl_tiermgr_t *m, int64_t now_ms);

/** @returns the table's state, or -1 when not tracked; *epoch (may be NULL) its epoch. */
int fl_tiermgr_state(const fl_tiermgr_t *m, int64_t table_id, int64_t *epoch /* OUT */);
/** @returns the number of tables tracked. */
size_t fl_tiermgr_count(const fl_tiermgr_t *m);

/* ---- external tiering services (LakeTieringHeartbeat) -------------------------------------- */

/** @brief A heartbeat arrived (of any kind): an external service is present until
 *  now_ms + timeout. */
void fl_tiermgr_external_seen(fl_tiermgr_t *m, int64_t now_ms);
/** @returns whether an external service heartbeated within the timeout. */
bool fl_tiermgr_external_active(const fl_tiermgr_t *m, int64_t now_ms);

/* The reports of one table. Each returns FL_ERR_NONE, or with *why (in a) set:
 *   FL_ERR_INVALID_COORDINATOR_EXCEPTION  coordinator_epoch is not this manager's,
 *   FL_ERR_TABLE_NOT_EXIST                the table is not tracked (dropped, not lake-enabled),
 *   FL_ERR_FENCED_TIERING_EPOCH_EXCEPTION tiering_epoch is not the table's current epoch,
 *   FL_ERR_UNKNOWN_SERVER_ERROR           (renew only) the table is not held externally.
 * finish and fail on a table that is not held externally with a matching epoch change
 * nothing and succeed, as Fluss ignores invalid state transitions there. */
fl_err_t fl_tiermgr_renew(fl_tiermgr_t *m, fl_arena_t *a, int64_t table_id, int32_t coordinator_epoch,
                          int64_t tiering_epoch, int64_t now_ms, const char **why /* OUT */);
fl_err_t fl_tiermgr_finish(fl_tiermgr_t *m, fl_arena_t *a, int64_t table_id,
                           int32_t coordinator_epoch, int64_t tiering_epoch, bool force,
                           int64_t now_ms, const char **why /* OUT */);
fl_err_t fl_tiermgr_fail(fl_tiermgr_t *m, fl_arena_t *a, int64_t table_id, int32_t coordinator_epoch,
                         int64_t tiering_epoch, int64_t now_ms, const char **why /* OUT */);
/** @brief request_table: hand out the ready PENDING table that has waited longest.
 *  @returns false when there is none. */
bool fl_tiermgr_request(fl_tiermgr_t *m, int64_t now_ms, int64_t *table_id /* OUT */,
                        int64_t *tiering_epoch /* OUT */);

/* ---- the in-process thread --------------------------------------------------------------- */

typedef enum fl_tier_take_e {
    FL_TIER_TAKE_NO = 0,   /* not PENDING, or an external service is present and will take it */
    FL_TIER_TAKE_ROUND,    /* plan a normal round */
    FL_TIER_TAKE_BOOTSTRAP /* plan a round without data (rule 4): lake table + resume check */
} fl_tier_take_t;
/** @returns whether the in-process thread may plan a round of the table now (the rule). */
fl_tier_take_t fl_tiermgr_local_may_take(const fl_tiermgr_t *m, int64_t table_id, int64_t now_ms);
/** @brief PENDING -> LOCAL (no-op for other states). */
void fl_tiermgr_local_begin(fl_tiermgr_t *m, int64_t table_id);
/** @brief LOCAL or PENDING -> SCHEDULED, the next round due at last_ms + freshness; last_ms
 *  <= 0: PENDING again at once (epoch + 1). ready: the lake table exists (rule 4). */
void fl_tiermgr_local_end(fl_tiermgr_t *m, int64_t table_id, int64_t last_ms, bool ready);
/** @brief Rule 4 for a table the in-process thread will never tier (another lake format). */
void fl_tiermgr_set_ready(fl_tiermgr_t *m, int64_t table_id);

/* ---- offsets files ----------------------------------------------------------------------- */

/** @brief Encode offsets (partition_id -1 = not partitioned; buckets >= 0) as an offsets file.
 *  offsets[].max_ts is not part of the format. */
void fl_lake_offsets_json(int64_t table_id, const fl_lake_offset_t *offsets, size_t n,
                          fl_buf_t *out /* appended */);
/** @brief Decode an offsets file; -1 entries are skipped, max_ts comes back as -1.
 *  @returns FL_ERR_NONE, or FL_ERR_CORRUPT_MESSAGE with *why (not JSON, version other than 1,
 *  table_id missing, both or malformed offset arrays, more than max_entries offsets). */
fl_err_t fl_lake_offsets_parse(fl_arena_t *a, const uint8_t *p, size_t len, size_t max_entries,
                               int64_t *table_id /* OUT */, fl_lake_offset_t **offsets /* OUT */,
                               size_t *n /* OUT */, const char **why /* OUT */);

#endif
