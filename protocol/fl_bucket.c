/* fl_bucket.c: see fl_bucket.h for the hash definitions. All arithmetic is on uint32_t so
 * wrap-around is defined; results are reinterpreted as Java ints at the end. */
#include "fl_bucket.h"

#include <strings.h>

#define C1 0xcc9e2d51u
#define C2 0x1b873593u

static inline uint32_t rotl32(uint32_t x, int r) {
    return (x << r) | (x >> (32 - r));
}

static inline uint32_t mix_k1(uint32_t k) {
    k *= C1;
    k = rotl32(k, 15);
    return k * C2;
}

static inline uint32_t mix_h1(uint32_t h, uint32_t k) {
    h ^= k;
    h = rotl32(h, 13);
    return h * 5 + 0xe6546b64u;
}

static inline uint32_t fmix32(uint32_t h) {
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

static inline uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int32_t fl_murmur_fluss(const void *vp, size_t n, uint32_t seed) {
    const uint8_t *p = vp;
    size_t aligned = n - n % 4;
    uint32_t h = seed;
    for (size_t i = 0; i < aligned; i += 4) h = mix_h1(h, mix_k1(le32(p + i)));
    for (size_t i = aligned; i < n; i++) h = mix_h1(h, mix_k1((uint32_t)(int32_t)(int8_t)p[i]));
    h ^= (uint32_t)n;
    return (int32_t)fmix32(h);
}

int32_t fl_murmur_int(int32_t code) {
    uint32_t h = mix_h1(0, mix_k1((uint32_t)code)); /* one block, seed 0 */
    h ^= 4;
    int32_t r = (int32_t)fmix32(h);
    if (r >= 0) return r;
    return r == INT32_MIN ? 0 : -r;
}

uint32_t fl_murmur3_32(const void *vp, size_t n, uint32_t seed) {
    const uint8_t *p = vp;
    size_t aligned = n - n % 4;
    uint32_t h = seed;
    for (size_t i = 0; i < aligned; i += 4) h = mix_h1(h, mix_k1(le32(p + i)));
    uint32_t k = 0;
    switch (n & 3) {
    case 3:
        k ^= (uint32_t)p[aligned + 2] << 16;
        /* fall through */
    case 2:
        k ^= (uint32_t)p[aligned + 1] << 8;
        /* fall through */
    case 1:
        k ^= p[aligned];
        h ^= mix_k1(k);
        break;
    default:
        break;
    }
    h ^= (uint32_t)n;
    return fmix32(h);
}

fl_err_t fl_bucket_fn_for_lake(const char *lake_format, fl_bucket_fn_t *fn) {
    if (!lake_format || !*lake_format || !strcasecmp(lake_format, "lance")) {
        *fn = FL_BUCKET_FLUSS;
    } else if (!strcasecmp(lake_format, "paimon")) {
        *fn = FL_BUCKET_PAIMON;
    } else if (!strcasecmp(lake_format, "iceberg")) {
        *fn = FL_BUCKET_ICEBERG;
    } else {
        return FL_ERR__INVAL;
    }
    return FL_ERR_NONE;
}

fl_err_t fl_bucket_of_key(fl_bucket_fn_t fn, const void *key, size_t len, int32_t num_buckets,
                          int32_t *bucket) {
    if (num_buckets <= 0) return FL_ERR__INVAL;
    switch (fn) {
    case FL_BUCKET_FLUSS:
        if (!len) return FL_ERR__INVAL;
        *bucket = fl_murmur_int(fl_murmur_fluss(key, len, FL_MURMUR_FLUSS_SEED)) % num_buckets;
        return FL_ERR_NONE;
    case FL_BUCKET_PAIMON: {
        int32_t r = fl_murmur_fluss(key, len, FL_MURMUR_FLUSS_SEED) % num_buckets;
        *bucket = r < 0 ? -r : r;
        return FL_ERR_NONE;
    }
    case FL_BUCKET_ICEBERG:
        if (!len) return FL_ERR__INVAL;
        *bucket = (int32_t)((fl_murmur3_32(key, len, 0) & 0x7fffffffu) % (uint32_t)num_buckets);
        return FL_ERR_NONE;
    default:
        return FL_ERR__INVAL;
    }
}
