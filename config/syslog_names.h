/*
 * syslog_names.h - the names of syslog facilities and severities (RFC 5424
 * 6.2.1), the words a config's `where:` uses and the values the syslog
 * parser's fields take. Static tables; nothing to own.
 */
#ifndef WEIR_SYSLOG_NAMES_H
#define WEIR_SYSLOG_NAMES_H

/* "kern" .. "local7" for 0..23, else NULL. */
const char *syslog_facility_name(int facility);
/* "emerg" .. "debug" for 0..7, else NULL. */
const char *syslog_severity_name(int severity);

#endif
