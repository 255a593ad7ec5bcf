/*
 * crc32c.h - CRC-32C (Castagnoli), the checksum of weir's state file.
 * Table-driven; the state file is small and written every few seconds, so
 * a hardware CRC would buy nothing measurable.
 */
#ifndef WEIR_CRC32C_H
#define WEIR_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continue a CRC: crc32c(0, ...) starts one. crc32c(0, "123456789", 9) == 0xe3069283. */
uint32_t crc32c(uint32_t crc, const void *data, size_t len);

#endif
