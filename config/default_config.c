/*
 * default_config.c - the configuration weir runs with when no -c is given
 * (`weir serve`, `make run`): a demo source that generates realistic nginx
 * access-log and syslog traffic (ingest/loggen.c) and a built-in rule pack
 * that counts what an operator would watch on such a host.
 *
 * It is ordinary YAML, loaded by cfg_load_string() like any file, so every
 * key here is documented in docs/CONFIG.md. State goes under /tmp so that
 * `make run` needs no root. The regexes stay in the common subset of PCRE
 * and POSIX ERE, so `grep -E` (with -i for caseless rules) counts the same
 * lines weir does.
 */
#include "config/config.h"

const char cfg_default_yaml[] =
    "# weir default configuration (embedded; `weir serve` without -c).\n"
    "# A demo source generates realistic nginx access-log and syslog traffic;\n"
    "# the rules below count what an operator would watch on such a host.\n"
    "listen: 127.0.0.1:8080\n"
    "state_dir: /tmp/weir-state\n"
    "windows: [10s, 1m, 5m, 15m, 1h, 24h]\n"
    "sources:\n"
    "  - {name: demo, type: demo, rate: 200}\n"
    "rules:\n"
    "  # Access log: the status follows the request's closing quote.\n"
    "  - name: http_2xx\n"
    "    match: 'HTTP/[0-9.]+\" 2[0-9][0-9] '\n"
    "  - name: http_3xx\n"
    "    match: 'HTTP/[0-9.]+\" 3[0-9][0-9] '\n"
    "  - name: http_4xx\n"
    "    match: 'HTTP/[0-9.]+\" 4[0-9][0-9] '\n"
    "  - name: http_5xx\n"
    "    match: 'HTTP/[0-9.]+\" 5[0-9][0-9] '\n"
    "  - name: http_404\n"
    "    match: 'HTTP/[0-9.]+\" 404 '\n"
    "  - name: http_5xx_by_path\n"
    "    match: '\"[A-Z]+ (?<path>[^ ?\"]*)[^\"]*\" 5[0-9][0-9] '\n"
    "    top: path\n"
    "  - name: wp_probe\n"
    "    match: '\"[A-Z]+ /(wp-login\\.php|wp-admin/|xmlrpc\\.php)'\n"
    "  - name: bots\n"
    "    match: '(google|bing|yandex|ahrefs|semrush|slack)bot|curl/|wget/|python-requests|zgrab'\n"
    "    caseless: true\n"
    "  # sshd\n"
    "  - name: ssh_failed_password\n"
    "    match: 'sshd\\[[0-9]+\\]: Failed password for '\n"
    "  - name: ssh_failed_by_ip\n"
    "    match: 'Failed password for (invalid user )?(?<user>\\S+) from (?<ip>\\S+)'\n"
    "    top: ip\n"
    "    distinct: user\n"
    "  - name: ssh_invalid_user\n"
    "    match: 'sshd\\[[0-9]+\\]: (Failed password for invalid user|Invalid user) '\n"
    "  - name: ssh_accepted\n"
    "    match: 'sshd\\[[0-9]+\\]: Accepted (publickey|password) for '\n"
    "  - name: sudo\n"
    "    match: ' sudo: +[a-z_][a-z0-9_-]* : .*COMMAND='\n"
    "  # kernel and systemd\n"
    "  - name: oom_killer\n"
    "    match: 'Out of memory: Killed process [0-9]+'\n"
    "  - name: segfault\n"
    "    match: '\\]: segfault at [0-9a-f]+ ip '\n"
    "  - name: io_error\n"
    "    match: 'I/O error, dev [a-z0-9]+'\n"
    "  - name: systemd_failed\n"
    "    match: 'systemd\\[1\\]: Failed to start '\n"
    "  # anywhere\n"
    "  - name: errors\n"
    "    match: 'error'\n"
    "    caseless: true\n"
    "  - name: timeouts\n"
    "    match: 'timeout|timed out'\n"
    "    caseless: true\n";
