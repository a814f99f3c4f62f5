/* fl_bucket.h: bucket assignment of an encoded bucket key, as the Fluss 0.9.1 Java client does
 * it (fluss-common bucketing/ classes, utils/MurmurHashUtils, utils/MathUtils.murmurHash).
 *
 * Fluss MurmurHash variant (fl_murmur_fluss), over key bytes b[0..n):
 *   h = seed (42)
 *   for each full 4-byte block at 4i:  k = int32 LE b[4i..4i+4); h = mixH1(h, mixK1(k))
 *   for each tail byte b[j] (j >= n - n%4): k = (int32)(int8)b[j]  (SIGN-extended, each byte
 *       mixed on its own as a whole block; standard Murmur3 combines the tail instead)
 *                                          h = mixH1(h, mixK1(k))
 *   h ^= n; h = fmix32(h)
 *   mixK1(k) = rotl(k * 0xcc9e2d51, 15) * 0x1b873593
 *   mixH1(h, k) = rotl(h ^ k, 13) * 5 + 0xe6546b64
 *   fmix32: h ^= h >>> 16; h *= 0x85ebca6b; h ^= h >>> 13; h *= 0xc2b2ae35; h ^= h >>> 16
 *
 * Bucket functions, chosen by table.datalake.format:
 *   none, "lance"  FLUSS    bucket = fl_murmur_int(fl_murmur_fluss(key)) % n
 *   "paimon"       PAIMON   bucket = abs(fl_murmur_fluss(key) % n)   (Java %, sign of dividend)
 *   "iceberg"      ICEBERG  bucket = (murmur3_x86_32(key, seed 0) & 0x7fffffff) % n
 *
 * The Rust client zero-extends tail bytes; we follow Java (see fluss-formats.md 5.2). */
#ifndef FL_BUCKET_H
#define FL_BUCKET_H

#include "fl_base.h"

typedef enum fl_bucket_fn_e {
    FL_BUCKET_FLUSS = 0,
    FL_BUCKET_PAIMON = 1,
    FL_BUCKET_ICEBERG = 2,
} fl_bucket_fn_t;

#define FL_MURMUR_FLUSS_SEED 42

/** @returns MurmurHashUtils.hashUnsafeBytes(p, n, seed) (the Fluss variant above). */
int32_t fl_murmur_fluss(const void *p, size_t n, uint32_t seed);

/** @returns MathUtils.murmurHash(code): one-block Murmur3 of code, non-negative (MIN -> 0). */
int32_t fl_murmur_int(int32_t code);

/** @returns standard MurmurHash3 x86_32 (Guava murmur3_32_fixed) of p[0..n). */
uint32_t fl_murmur3_32(const void *p, size_t n, uint32_t seed);

/**
 * @brief Map table.datalake.format to a bucket function.
 * @param lake_format NULL or "" for no lake; "paimon", "iceberg", "lance" (any case).
 * @returns FL_ERR_NONE, or FL_ERR__INVAL for an unknown format.
 */
fl_err_t fl_bucket_fn_for_lake(const char *lake_format, fl_bucket_fn_t *fn /* OUT */);

/**
 * @brief The bucket of an encoded bucket key.
 * @returns FL_ERR_NONE; FL_ERR__INVAL for an empty key (FLUSS, ICEBERG, as Java rejects it) or
 *          num_buckets <= 0.
 */
fl_err_t fl_bucket_of_key(fl_bucket_fn_t fn, const void *key, size_t len, int32_t num_buckets,
                          int32_t *bucket /* OUT */);

#endif
