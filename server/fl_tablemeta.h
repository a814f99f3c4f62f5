/* fl_tablemeta.h: a tablet-server process's copy of the table metadata it needs to serve data
 * requests: the tables (and partitions) with a bucket replica on this server, with their
 * descriptors, replica lists and the leader of every bucket as the coordinator sees it.
 *
 * The coordinator sends the complete set in its heartbeat response (fl_internal.proto,
 * TabletServerHeartbeatResponse.tables) whenever it changed; each update replaces the whole
 * cache. Nothing is persisted: after a restart the cache is empty and "not synced" until the
 * first update arrives (data requests then get a retriable error).
 *
 * Tables are fl_table_t built with the catalog's descriptor parser (coordinator/fl_catalog.h);
 * they live until the next update, so callers must not keep them past the current event.
 *
 * Owner: the loop thread. */
#ifndef FL_TABLEMETA_H
#define FL_TABLEMETA_H

#include "fl_catalog.h"
#include "fl_internal.pb-c.h"

typedef struct fl_tablemeta_s fl_tablemeta_t;

fl_tablemeta_t *fl_tablemeta_new(void);
void fl_tablemeta_free(fl_tablemeta_t *tm);

/** @returns true once a complete update has been applied. */
bool fl_tablemeta_synced(const fl_tablemeta_t *tm);
/** @brief The coordinator's metadata version and epoch of the last update (for the next
 *  heartbeat). @returns false when not synced. */
bool fl_tablemeta_version(const fl_tablemeta_t *tm, int64_t *version, int64_t *epoch);

/** @brief Replace the cache with the tables of a heartbeat response that carries them
 *  (tables_included). Everything is checked first; on any inconsistency the cache is left as it
 *  was. @returns FL_ERR_NONE, or FL_ERR__INVAL with *why (static or arena-free string). */
fl_err_t fl_tablemeta_apply(fl_tablemeta_t *tm, const Flint__TabletServerHeartbeatResponse *resp,
                            const char **why /* OUT */);

/** @returns the table, or NULL when no replica of it is on this server (or unknown). */
const fl_table_t *fl_tablemeta_table(const fl_tablemeta_t *tm, int64_t table_id);
/** @returns the partition of t with this id, or NULL. */
const fl_partition_t *fl_tablemeta_partition(const fl_table_t *t, int64_t partition_id);
/** @returns the coordinator's leader of a bucket (partition_id -1: not partitioned), -1 when
 *  none is alive or the bucket is unknown. */
int32_t fl_tablemeta_leader(const fl_tablemeta_t *tm, int64_t table_id, int64_t partition_id,
                            int32_t bucket);
/** @brief fl_tablet_exists_cb over the cache (arg: the fl_tablemeta_t). */
bool fl_tablemeta_exists(int64_t table_id, int64_t partition_id, void *arg);
/** @returns the number of tables cached. */
size_t fl_tablemeta_count(const fl_tablemeta_t *tm);

#endif
