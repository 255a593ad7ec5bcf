/* version.h - weir's version, one place for the binary, /metrics and
 * /api/v1/stats. A build may override it (-DWEIR_VERSION=...). */
#ifndef WEIR_VERSION_H
#define WEIR_VERSION_H

#ifndef WEIR_VERSION
#define WEIR_VERSION "0.1.0"
#endif

#endif
