/*
 * syslog_names.c - facility and severity names (see syslog_names.h).
 */
#include "config/syslog_names.h"

#include <stddef.h>

static const char *const facility_names[24] = {
    "kern",   "user",	"mail",	    "daemon", "auth",	"syslog",   "lpr",     "news",
    "uucp",   "cron",	"authpriv", "ftp",    "ntp",	"security", "console", "solaris-cron",
    "local0", "local1", "local2",   "local3", "local4", "local5",   "local6",  "local7",
};
static const char *const severity_names[8] = {
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

const char *syslog_facility_name(int facility)
{
	return facility >= 0 && facility < 24 ? facility_names[facility] : NULL;
}

const char *syslog_severity_name(int severity)
{
	return severity >= 0 && severity < 8 ? severity_names[severity] : NULL;
}
