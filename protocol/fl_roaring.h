/* fl_roaring.h: serialized Roaring bitmaps, the values of the aggregation merge engine's rbm32
 * and rbm64 functions (Fluss 0.9.1 FieldRoaringBitmap32Agg / FieldRoaringBitmap64Agg).
 *
 * rbm32 values are org.roaringbitmap.RoaringBitmap in the portable Roaring format (the one
 * CRoaring calls "portable"); rbm64 values are org.roaringbitmap.longlong.Roaring64Bitmap's own
 * serialize(DataOutput) layout (an ART over the 48-bit high keys plus a container list), which
 * is NOT the portable 64-bit format. fl_roaring.c opens with the byte tables of both.
 *
 * The merge is Fluss's: deserialize both, union, runOptimize, serialize. Output is a valid
 * bitmap of the union that Java reads back; it need not be byte-identical to what Java would
 * write (Java's ART and container list depend on insertion history).
 *
 * Every decoder here goes through fl_reader: malformed bytes give FL_ERR__INVAL,
 * FL_ERR__UNDERFLOW or FL_ERR__OVERFLOW, never a crash, and no allocation is sized from a count
 * read from the input. Bytes after a complete bitmap are ignored, as Java's
 * deserialize(ByteBuffer) ignores them. */
#ifndef FL_ROARING_H
#define FL_ROARING_H

#include "fl_base.h"
#include "fl_buf.h"

/** @brief Check a portable 32-bit bitmap (every container invariant, so that CRoaring never
 * sees a broken one). @returns FL_ERR_NONE and *used = its length, or the decode error. */
fl_err_t fl_rbm32_check(const uint8_t *p, size_t len, size_t *used /* OUT */);

/** @brief out += serialize(runOptimize(a | b)) in the portable format.
 * @returns FL_ERR_NONE, or a decode error (out is then unchanged). */
fl_err_t fl_rbm32_union(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
                        fl_buf_t *out);

/** @brief out += Roaring64Bitmap layout of runOptimize(a | b).
 * @returns FL_ERR_NONE, or a decode error (out is then unchanged). */
fl_err_t fl_rbm64_union(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
                        fl_buf_t *out);

typedef void fl_rbm_value_cb(void *arg, uint64_t value);

/** @brief Call cb for every value of a serialized Roaring64Bitmap, in unsigned order.
 * @returns FL_ERR_NONE, or the decode error (cb may have been called before it is found). */
fl_err_t fl_rbm64_foreach(const uint8_t *p, size_t len, fl_rbm_value_cb *cb, void *arg);

/** @brief out += Roaring64Bitmap layout of the set `vals` (n values, any order, duplicates ok). */
void fl_rbm64_encode(const uint64_t *vals, size_t n, fl_buf_t *out);

#endif
