/* fl_crc32c.h: CRC-32C (Castagnoli), as Fluss computes it over record batches
 * (java.util.zip.CRC32C: reflected polynomial 0x82F63B78, init and final xor 0xFFFFFFFF). */
#ifndef FL_CRC32C_H
#define FL_CRC32C_H

#include "fl_base.h"

/** @returns the CRC-32C of p[0..n). */
uint32_t fl_crc32c(const void *p, size_t n);
/** @returns crc extended by p[0..n); start with crc = 0. fl_crc32c(p,n) == fl_crc32c_extend(0,p,n). */
uint32_t fl_crc32c_extend(uint32_t crc, const void *p, size_t n);

#endif
