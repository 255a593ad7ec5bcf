#!/usr/bin/python3
"""rules1000.py - write the 1,000-rule benchmark pack (rules1000.yaml).

  tests/bench/rules1000.py [-o FILE]     (default: standard output)
  tests/bench/rules1000.py --check FILE  exit 1 unless FILE is exactly what
                                         this script writes

The pack is what a site with many services accumulates: rules per status
code, per API resource and method, per page, per asset, per probe path,
client blocklists, user agents, sshd users and messages, sudo, kernel,
systemd units, cron jobs, application logs, mail, the nginx error log, and
rules for services this corpus never logs (MySQL, PostgreSQL, HAProxy,
Kubernetes, ...). Against the corpus of gen.c (ingest/loggen.c) a few rules
match often, most rarely, many never - as on a real host.

Deterministic: no randomness, no clock; the output depends only on this
file. Standard library only.

Every regex stays in the subset that Hyperscan (PCRE syntax), GNU grep -E
(POSIX ERE), ripgrep (Rust regex) and mtail (RE2) read the same way (see
README.md, "The rule packs"); lint() below rejects what would not.
"""

import re
import sys

N_RULES = 1000


def esc(s):
    """A literal as a regex: escape the ERE/PCRE specials, nothing else
    (ripgrep 13 rejects any other escape, and newer greps warn)."""
    return re.sub(r"([.\[\]()?*+{}|^$\\])", r"\\\1", s)


def ident(s):
    """A rule-name fragment: lower case, [a-z0-9_]."""
    return re.sub(r"[^a-z0-9]+", "_", s.lower()).strip("_")


rules = []  # (name, regex, caseless)


def rule(name, rx, caseless=False):
    rules.append((name, rx, caseless))


# ---------------------------------------------------------------------------
# Access log: "IP - USER [time] "METHOD PATH PROTO" STATUS BYTES "REF" "UA" RT"
# ---------------------------------------------------------------------------

STATUS = "HTTP/[0-9.]+\" "

# Every status code a dashboard may break out (most are absent here).
for code in (200, 201, 202, 204, 206, 301, 302, 303, 304, 307, 308, 400, 401, 403, 404,
             405, 406, 408, 409, 410, 413, 414, 415, 422, 429, 431, 444, 451, 499, 500,
             501, 502, 503, 504, 505, 507, 520, 521, 522, 524):
    rule(f"status_{code}", f"{STATUS}{code} ")

# API: resources (the corpus has the first eight) x methods, and x error classes.
API_RES = ("items", "users", "orders", "products", "sessions", "search", "carts",
           "payments", "invoices", "webhooks")
for res in API_RES:
    for m in ("GET", "POST", "PUT", "DELETE", "PATCH"):
        rule(f"api_{res}_{m.lower()}", f"\"{m} /api/v[12]/{res}[/? ]")
for res in API_RES:
    rule(f"api_{res}_4xx", f"/api/v[12]/{res}[^ ]* {STATUS}4[0-9][0-9] ")
    rule(f"api_{res}_5xx", f"/api/v[12]/{res}[^ ]* {STATUS}5[0-9][0-9] ")
    rule(f"api_{res}_slow",
         f"/api/v[12]/{res}[^ ]* {STATUS}[0-9]{{3}} [0-9]+ \"[^\"]*\" \"[^\"]*\" "
         f"[1-9][0-9]*\\.[0-9]{{3}}$")
for res in API_RES[:8]:
    rule(f"api_{res}_by_id", f"/api/v[12]/{res}/[0-9]+ HTTP/")
    rule(f"api_{res}_v2", f"\"[A-Z]+ /api/v2/{res}")
rule("api_paged_deep", "[?&]page=[3-9][0-9]&limit=")
rule("api_query_id", "\\?id=[0-9]{4} HTTP/")

# Pages: hits and misses.
PAGES = ("/", "/index.html", "/pricing", "/blog", "/login", "/checkout", "/account",
         "/docs/getting-started", "/robots.txt", "/sitemap.xml", "/health", "/register",
         "/password/reset", "/graphql", "/oauth/token", "/metrics")
for p in PAGES:
    n = ident(p) or "root"
    rule(f"page_{n}_ok", f"\"(GET|HEAD) {esc(p)} {STATUS}200 ")
    rule(f"page_{n}_miss", f"\"[A-Z]+ {esc(p)} {STATUS}(404|410) ")

# Static assets: name x type, cache hits.
for name in ("app", "main", "vendor", "logo", "hero", "runtime"):
    for ext in ("js", "css", "woff2"):
        rule(f"asset_{name}_{ext}", f"/(static|assets)/{name}\\.[0-9a-f]{{8}}\\.{ext} ")
rule("asset_not_modified", "\"GET /(static|assets)/[^ ]+ HTTP/[0-9.]+\" 304 ")
rule("asset_missing", "\"GET /(static|assets)/[^ ]+ HTTP/[0-9.]+\" 404 ")

# Site search terms.
for w in ("shoes", "laptop", "coffee", "red+dress", "usb-c", "headphones", "error+404",
          "camera", "watch", "keyboard"):
    rule(f"search_{ident(w)}", f"/search\\?q={esc(w)} HTTP")

# Probes: what a WAF rule set flags. The corpus has the first fourteen.
PROBES = ("/wp-login.php", "/wp-admin/setup-config.php", "/xmlrpc.php", "/.env", "/admin",
          "/admin/login.php", "/phpmyadmin/index.php", "/.git/config", "/cgi-bin/luci",
          "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", "/boaform/admin/formLogin",
          "/actuator/health", "/wp-content/plugins/wp-file-manager/readme.txt",
          "/.aws/credentials", "/.DS_Store", "/server-status", "/solr/admin/info/system",
          "/HNAP1", "/manager/html", "/console/login/LoginForm.jsp", "/owa/auth/logon.aspx",
          "/autodiscover/autodiscover.xml", "/remote/login", "/.svn/entries",
          "/config.json", "/debug/pprof", "/.well-known/security.txt", "/api/jsonws/invoke",
          "/Telerik.Web.UI.WebResource.axd", "/cgi-bin/bash", "/shell.php",
          "/wp-config.php.bak", "/backup.zip", "/db.sql", "/.htaccess", "/.htpasswd",
          "/etc/passwd", "/proc/self/environ", "/jenkins/login",
          "/index.php?s=/index/think", "/mifs/.;/services", "/vpn/index.html",
          "/dana-na/auth/url_default/welcome.cgi", "/global-protect/login.esp",
          "/nice%20ports%2C/Tri%6Eity.txt%2ebak", "/_ignition/execute-solution",
          "/user/register?element_parents=account", "/containers/json", "/v1.24/containers",
          "/.vscode/sftp.json", "/.dockerenv", "/docker-compose.yml", "/id_rsa",
          "/cgi-bin/.%2e/.%2e/bin/sh", "/nacos/v1/auth/users", "/api/v1/pods",
          "/.kube/config")
for p in PROBES:
    rule(f"probe_{ident(p)[:40]}", f"\"[A-Z]+ {esc(p)}")
rule("probe_php_any", "\"[A-Z]+ /[^ ]*\\.php[? ]", True)
rule("probe_dotfile", "\"[A-Z]+ /\\.[a-z]")
rule("probe_traversal", "\\.\\./|%2e%2e|\\.%2e", True)
rule("probe_sqli", "(union(%20|\\+| )select|select(%20|\\+| )[^ ]*from|or(%20|\\+| )1=1)", True)
rule("probe_xss", "(<|%3c)script", True)
rule("probe_shellshock", "\\(\\) \\{ :; ?\\};")
rule("probe_log4shell", "\\$\\{jndi:", True)

# Clients: heavy hitters, a blocklist of /16s (threat feeds), IPv6 prefixes.
for ip in ("203.0.113.7", "198.51.100.23", "192.0.2.45", "66.249.66.1", "157.55.39.12",
           "10.0.3.17", "185.220.101.4", "45.146.164.110", "172.16.8.250"):
    rule(f"client_{ident(ip)}", f"^{esc(ip)} ")
FIRST_OCTETS = (23, 31, 37, 45, 46, 51, 62, 66, 77, 78, 81, 82, 86, 89, 91, 94, 103, 104,
                109, 141, 146, 151, 159, 176, 178, 185, 188, 193, 195, 203, 212, 213, 217)
for k in range(60):
    a = FIRST_OCTETS[k % len(FIRST_OCTETS)]
    b = (k * 37 + 11) % 256
    rule(f"blocklist_{a}_{b}", f"^{a}\\.{b}\\.[0-9]+\\.[0-9]+ ")
for k in range(8):
    rule(f"client_v6_{k:02x}", f"^2001:db8:{k:02x}[0-9a-f]{{2}}:")
rule("client_private", "^(10\\.|172\\.(1[6-9]|2[0-9]|3[01])\\.|192\\.168\\.)")
rule("client_tor_exit", "^(185\\.220\\.10[01]|171\\.25\\.193|199\\.249\\.230)\\.[0-9]+ ")

# Authenticated users (basic auth).
for u in ("root", "deploy", "alice", "bob", "admin", "carol"):
    rule(f"auth_user_{u}", f"^[0-9a-f.:]+ - {u} \\[")

# Referrers.
for ref in ("https://www.google.com/", "https://www.bing.com/", "https://duckduckgo.com/",
            "https://t.co/", "android-app://com.google.android.gm/",
            "https://example.com/blog", "https://example.com/products",
            "https://www.reddit.com/",
            "https://news.ycombinator.com/",
            "https://search.yahoo.com/"):
    rule(f"referer_{ident(ref.split('//')[1])}", f"\" \"{esc(ref)}\" \"")

# User agents: crawlers, tools and scanners, browsers.
for bot in ("Googlebot", "bingbot", "YandexBot", "AhrefsBot", "SemrushBot", "Slackbot",
            "facebookexternalhit", "kube-probe", "Baiduspider", "DuckDuckBot", "Applebot",
            "MJ12bot", "DotBot", "PetalBot", "Bytespider", "GPTBot", "ClaudeBot", "CCBot",
            "Amazonbot", "Twitterbot", "LinkedInBot", "Discordbot", "TelegramBot",
            "UptimeRobot", "Pingdom"):
    rule(f"ua_{ident(bot)}", f"\"[^\"]*{esc(bot)}[^\"]*\" [0-9]+\\.[0-9]{{3}}$",
         bot in ("Googlebot", "bingbot", "Baiduspider", "GPTBot"))
for tool in ("curl", "Wget", "python-requests", "Go-http-client", "zgrab", "masscan",
             "Nmap Scripting Engine", "Nikto", "sqlmap", "Nuclei", "WPScan", "axios",
             "node-fetch", "Java", "Apache-HttpClient", "HeadlessChrome", "Scrapy",
             "python-httpx"):
    rule(f"ua_tool_{ident(tool)}", f"\"{esc(tool)}/[0-9]", tool in ("curl", "Wget"))
rule("ua_zgrab", "\"Mozilla/5\\.0 zgrab/")
for name, rx in (("chrome_120", "Chrome/120\\.[0-9.]+ (Mobile )?Safari/"),
                 ("chrome_old", "Chrome/(9[0-9]|10[0-9]|11[0-9])\\."),
                 ("firefox", "Gecko/20100101 Firefox/[0-9]+\\.[0-9]"),
                 ("safari_17", "Version/17\\.[0-9]+ (Mobile/[0-9A-Z]+ )?Safari/"),
                 ("edge", "Edg/12[0-9]\\."), ("opera", "OPR/[0-9]+"),
                 ("samsung", "SamsungBrowser/[0-9]+"), ("msie", "MSIE [5-9]\\.[0-9];"),
                 ("trident", "Trident/[4-7]\\.0"),
                 ("iphone", "\\(iPhone; CPU iPhone OS 1[5-7]_"),
                 ("android", "\\(Linux; Android 1[0-4]; "),
                 ("windows10", "\\(Windows NT 10\\.0; Win64; x64\\)"),
                 ("macos", "\\(Macintosh; Intel Mac OS X 1[0-4]_[0-9]+"),
                 ("linux_desktop", "\\(X11; (Ubuntu; )?Linux x86_64"),
                 ("empty", "\" \"-\" [0-9]+\\.[0-9]{3}$")):
    rule(f"ua_{name}", rx)

# Sizes, timings, methods, protocols.
rule("body_over_1mb", "\" 200 [0-9]{7,} \"")
rule("body_over_100kb", "\" 200 [0-9]{6,} \"")
rule("body_empty_200", "\" 200 0 \"")
rule("request_over_1s", "\" [1-9][0-9]*\\.[0-9]{3}$")
rule("request_over_10s", "\" [1-9][0-9]+\\.[0-9]{3}$")
rule("request_over_30s", "\" ([3-9][0-9]|[1-9][0-9]{2,})\\.[0-9]{3}$")
rule("request_fast_5xx", "\" 5[0-9][0-9] [0-9]+ \"[^\"]*\" \"[^\"]*\" 0\\.0[0-9][0-9]$")
for m in ("OPTIONS", "CONNECT", "TRACE", "PROPFIND", "HEAD"):
    rule(f"method_{m.lower()}", f"\\] \"{m} ")
rule("proto_http10", " HTTP/1\\.0\" ")
rule("proto_http2", " HTTP/2\\.0\" ")
rule("proto_bad", "\\] \"[^A-Z]")

# ---------------------------------------------------------------------------
# sshd
# ---------------------------------------------------------------------------

BAD_USERS = ("admin", "test", "oracle", "ubuntu", "user", "guest", "postgres", "ftpuser",
             "git", "pi", "support", "hadoop", "tomcat", "minecraft", "deploy1",
             "nagios", "jenkins", "centos", "ec2-user", "mysql", "webmaster", "zabbix",
             "vagrant", "sysadmin", "administrator")
for u in BAD_USERS:
    rule(f"ssh_invalid_{ident(u)}", f"sshd\\[[0-9]+\\]: Invalid user {esc(u)} from ")
for u in BAD_USERS[:10]:
    rule(f"ssh_failed_invalid_{ident(u)}", f"Failed password for invalid user {esc(u)} from ")
GOOD_USERS = ("root", "deploy", "alice", "bob", "ansible", "backup")
for u in GOOD_USERS:
    rule(f"ssh_failed_{u}", f"sshd\\[[0-9]+\\]: Failed password for {u} from ")
    rule(f"ssh_accepted_key_{u}", f"Accepted publickey for {u} from ")
    rule(f"ssh_accepted_password_{u}", f"Accepted password for {u} from ")
    rule(f"ssh_session_{u}", f"pam_unix\\(sshd:session\\): session (opened|closed) for user {u}\\(")
for kind in ("ED25519", "RSA", "ECDSA", "DSA"):
    rule(f"ssh_key_{kind.lower()}", f" ssh2: {kind} SHA256:[0-9a-zA-Z+/]+")
for name, rx in (("kex_error", "error: kex_exchange_identification: "),
                 ("auth_timeout", "Timeout before authentication for "),
                 ("closed_authenticating", "Connection closed by authenticating user [a-z0-9_-]+ "),
                 ("closed_preauth", "Connection closed by [0-9.]+ port [0-9]+ \\[preauth\\]$"),
                 ("disconnected_user", "Disconnected from user [a-z]+ "),
                 ("max_auth", "maximum authentication attempts exceeded for "),
                 ("received_disconnect", "Received disconnect from [0-9.]+ port [0-9]+:11: "),
                 ("no_ident", "Did not receive identification string from "),
                 ("bad_protocol", "Bad protocol version identification "),
                 ("unable_negotiate", "Unable to negotiate with [0-9.]+ port [0-9]+: no matching"),
                 ("pam_auth_failure", "pam_unix\\(sshd:auth\\): authentication failure;"),
                 ("break_in", "POSSIBLE BREAK-IN ATTEMPT"),
                 ("reset_by_peer", "Connection reset by [0-9.]+ port [0-9]+ \\[preauth\\]"),
                 ("banner", "banner exchange: Connection from [0-9.]+ port [0-9]+: invalid format"),
                 ("root_login_refused", "ROOT LOGIN REFUSED FROM "),
                 ("failed_root_ssh2", "Failed password for root from [0-9.]+ port [0-9]+ ssh2$"),
                 ("failed_high_port", "Failed password for .* port 6[0-5][0-9]{3} ssh2$")):
    rule(f"ssh_{name}", rx)
for ip in ("198.51.100.23", "185.220.101.4", "45.146.164.110", "61.177.172.140",
           "218.92.0.112", "222.186.180.130", "112.85.42.187", "49.88.112.118",
           "180.101.88.240", "43.156.4.37"):
    rule(f"ssh_attacker_{ident(ip)}", f"sshd\\[[0-9]+\\]: .* from {esc(ip)} port ")

# ---------------------------------------------------------------------------
# sudo
# ---------------------------------------------------------------------------

for u in ("alice", "bob", "deploy", "ansible", "jenkins", "www-data"):
    rule(f"sudo_by_{ident(u)}", f"sudo: +{esc(u)} : TTY=pts/[0-9]+ ; ")
    rule(f"sudo_fail_{ident(u)}", f"sudo: +{esc(u)} : [0-9]+ incorrect password attempts")
for c in ("/usr/bin/systemctl restart nginx", "/usr/bin/apt-get update",
          "/usr/bin/tail -f /var/log/syslog", "/usr/bin/journalctl -u api --since today",
          "/bin/bash", "/usr/bin/docker ps -a", "/usr/sbin/reboot", "/usr/bin/cat /etc/shadow",
          "/usr/bin/vim /etc/nginx/nginx.conf", "/usr/sbin/visudo", "/usr/bin/passwd root",
          "/usr/sbin/iptables -F"):
    rule(f"sudo_cmd_{ident(c.rsplit('/', 1)[1])[:30]}", f"COMMAND={esc(c)}")
rule("sudo_session_root", "pam_unix\\(sudo:session\\): session opened for user root\\(uid=0\\)")
rule("sudo_not_in_sudoers", "user NOT in sudoers")
rule("sudo_pwd_home", "; PWD=/home/[a-z]+ ; USER=root ; ")

# ---------------------------------------------------------------------------
# kernel
# ---------------------------------------------------------------------------

PROCS = ("java", "node", "python3", "postgres", "php-fpm8.2", "ruby", "mysqld", "nginx",
         "redis-server", "elasticsearch", "chrome", "beam.smp")
for p in PROCS:
    n = ident(p)
    rule(f"oom_killed_{n}", f"Out of memory: Killed process [0-9]+ \\({esc(p)}\\)")
    rule(f"segfault_{n}", f"kernel: \\[ *[0-9]+\\.[0-9]+\\] {esc(p)}\\[[0-9]+\\]: segfault at ")
for p in PROCS[:8]:
    rule(f"oom_invoked_{ident(p)}", f"\\] {esc(p)} invoked oom-killer: ")
rule("oom_big_vm", "Killed process [0-9]+ \\([a-z0-9._-]+\\) total-vm:[0-9]{7,}kB")
rule("oom_root", "shmem-rss:0kB, UID:0 pgtables:")
rule("segfault_null", "\\]: segfault at 0 ip ")
rule("segfault_write", " error 6 in [a-z0-9._-]+\\[")
for d in ("sda", "sdb", "sdc", "nvme0n1", "nvme1n1", "vda", "vdb", "xvda"):
    rule(f"io_error_{d}", f"I/O error, dev {d}, sector ")
    rule(f"ext4_error_{d}", f"EXT4-fs error \\(device {d}[0-9]*\\)")
rule("io_error_write", "I/O error, dev [a-z0-9]+, sector [0-9]+ op 0x1:\\(WRITE\\)")
for port in (21, 22, 23, 25, 445, 1433, 2375, 3306, 3389, 5432, 5900, 6379, 8080, 9200,
             11211, 27017):
    rule(f"ufw_block_port_{port}", f"\\[UFW BLOCK\\] .* DPT={port} ")
for ip in ("198.51.100.23", "185.220.101.4", "45.146.164.110", "61.177.172.140",
           "218.92.0.112"):
    rule(f"ufw_block_src_{ident(ip)}", f"\\[UFW BLOCK\\] .* SRC={esc(ip)} ")
rule("ufw_allow", "\\[UFW ALLOW\\]")
rule("ufw_audit", "\\[UFW AUDIT\\]")
rule("ufw_low_ttl", "\\[UFW BLOCK\\] .* TTL=(4[0-9]|5[0-9]) ")
for name, rx in (("syn_flood", "Possible SYN flooding on port [0-9]+"),
                 ("conntrack_full", "nf_conntrack: table full, dropping packet"),
                 ("soft_lockup", "watchdog: BUG: soft lockup - CPU#[0-9]+ stuck"),
                 ("hung_task", "blocked for more than [0-9]+ seconds"),
                 ("call_trace", "kernel: .*Call Trace:"),
                 ("hardware_error", "\\[Hardware Error\\]"),
                 ("mce", "mce: \\[Hardware Error\\]|Machine check events logged"),
                 ("netdev_watchdog", "NETDEV WATCHDOG: [a-z0-9]+ \\(.*\\): transmit queue [0-9]+ timed out"),
                 ("edac", "EDAC [A-Za-z0-9]+: [0-9]+ (CE|UE) "),
                 ("null_deref", "BUG: kernel NULL pointer dereference"),
                 ("gpf", "general protection fault"),
                 ("panic", "Kernel panic - not syncing"),
                 ("apparmor_denied", "apparmor=\"DENIED\""),
                 ("audit_avc", "audit: type=1400 "),
                 ("tcp_oom", "TCP: out of memory -- consider tuning tcp_mem"),
                 ("alloc_failure", "page allocation failure: order:[0-9]+"),
                 ("nfs_not_responding", "nfs: server [a-z0-9.-]+ not responding"),
                 ("raid_degraded", "md/raid[0-9]+:md[0-9]+: (Disk failure|Operation continuing)"),
                 ("rcu_stall", "rcu: INFO: rcu_sched (self-)?detected stall"),
                 ("ata_error", "ata[0-9]+\\.[0-9]+: (failed command|exception Emask)"),
                 ("xfs_error", "XFS \\([a-z0-9]+\\): (metadata I/O error|Corruption)"),
                 ("ext4_inode", "ext4_find_entry:[0-9]+: inode #[0-9]+: comm [a-z0-9._-]+: reading directory")):
    rule(f"kernel_{name}", rx)

# ---------------------------------------------------------------------------
# systemd
# ---------------------------------------------------------------------------

UNITS = ("nginx", "postgresql", "redis-server", "docker", "php8.2-fpm", "api", "worker",
         "billing", "node-exporter", "ssh", "mysql", "kubelet", "haproxy", "fail2ban")
for u in UNITS:
    n = ident(u)
    e = esc(u)
    rule(f"unit_{n}_failed_start", f"systemd\\[1\\]: Failed to start {e}\\.service")
    rule(f"unit_{n}_exited", f"systemd\\[1\\]: {e}\\.service: Main process exited, "
         f"code=(exited|killed|dumped), status=[1-9]")
    rule(f"unit_{n}_failed_result", f"{e}\\.service: Failed with result '[a-z-]+'")
    rule(f"unit_{n}_started", f"systemd\\[1\\]: Started {e}\\.service")
for u in GOOD_USERS:
    rule(f"logind_new_{u}", f"systemd-logind\\[[0-9]+\\]: New session [0-9]+ of user {u}\\.")
    rule(f"session_started_{u}", f"systemd\\[1\\]: Started Session [0-9]+ of user {u}\\.")
rule("logind_removed", "systemd-logind\\[[0-9]+\\]: Removed session [0-9]+\\.")
for name, rx in (("apt_daily", "Starting Daily apt upgrade and clean activities"),
                 ("logrotate", "Finished Rotate log files\\."),
                 ("tmpfiles", "Starting Cleanup of Temporary Directories"),
                 ("man_db", "Finished Daily man-db regeneration\\."),
                 ("starting_any", "systemd\\[1\\]: Starting [A-Za-z0-9 .-]+\\.\\.\\.$"),
                 ("restart_limit", "Start request repeated too quickly\\."),
                 ("watchdog", "Watchdog timeout \\(limit [0-9]+(min|s)\\)!"),
                 ("oom_kill", "systemd\\[1\\]: [a-z0-9@.-]+\\.service: A process of this unit has been killed by the OOM killer"),
                 ("dependency", "Dependency failed for "),
                 ("journal_rotated", "systemd-journald\\[[0-9]+\\]: (Journal started|System Journal .* is [0-9.]+[KMG]?B)")):
    rule(f"systemd_{name}", rx)

# ---------------------------------------------------------------------------
# cron
# ---------------------------------------------------------------------------

for name, rx in (("backup", "CMD \\(/usr/local/bin/backup\\.sh"),
                 ("hourly", "run-parts --report /etc/cron\\.hourly"),
                 ("artisan", "artisan schedule:run"),
                 ("cleanup", "/opt/app/bin/cleanup --older-than [0-9]+d"),
                 ("anacron", "test -x /usr/sbin/anacron"),
                 ("pg_dump", "pg_dump -Fc [a-z]+ > /var/backups/"),
                 ("certbot", "certbot -q renew"),
                 ("logrotate", "CMD \\(/usr/sbin/logrotate "),
                 ("session_root", "pam_unix\\(cron:session\\): session opened for user root"),
                 ("orphan", "\\(CRON\\) (ORPHAN|INFO \\(No MTA installed)")):
    rule(f"cron_{name}", rx)
for u in ("root", "www-data", "deploy", "postgres"):
    rule(f"cron_user_{ident(u)}", f"CRON\\[[0-9]+\\]: \\({esc(u)}\\) CMD \\(")

# ---------------------------------------------------------------------------
# Applications: "app[pid]: LEVEL [app-N] msg" or "app[pid]: level=x msg=..."
# ---------------------------------------------------------------------------

APPS = ("api", "worker", "billing", "payments", "gateway", "auth", "search", "notifier",
        "scheduler", "inventory", "mailer", "frontend")
for a in APPS[:8]:
    for lvl in ("ERROR", "FATAL", "WARN"):
        rule(f"app_{a}_{lvl.lower()}",
             f" {a}\\[[0-9]+\\]: ({lvl} \\[{a}-[0-9]+\\]|level={lvl.lower()} msg=\")")
for lvl in ("INFO", "WARN", "ERROR", "DEBUG", "FATAL"):
    rule(f"app_level_{lvl.lower()}", f"\\]: ({lvl} \\[[a-z]+-[0-9]\\]|level={lvl.lower()} )")
for name, rx, ci in (
        ("request_completed", "request completed method=(GET|POST) path=/api/v1/[a-z]+ status=20[01]", False),
        ("login_ok", "user login succeeded user_id=[0-9]+", False),
        ("job_finished", "job finished queue=[a-z]+ processed=[0-9]+", False),
        ("cache_refreshed", "cache refreshed keys=[0-9]+", False),
        ("health_ok", "health check ok upstreams=[0-9]+", False),
        ("slow_query_10s", "slow query took [0-9]{5,}ms", False),
        ("slow_query_1s", "slow query took [1-9][0-9]{3}ms", False),
        ("retry_payments", "retrying request to payments-api attempt=[0-9]+", False),
        ("pool_exhausted", "connection pool nearly exhausted in_use=[0-9]+", False),
        ("rate_limit", "rate limit approaching for client_id=[0-9]+", False),
        ("deprecated", "deprecated endpoint /api/v1/[a-z]+ called", False),
        ("upstream_failed", "upstream request failed: Connection timed out host=[a-z0-9-]+:[0-9]+", False),
        ("payment_declined", "payment declined order_id=[0-9]+", False),
        ("lock_timeout", "timeout waiting for lock on table [a-z_]+", False),
        ("db_refused", "database error: connection refused \\([a-z0-9-]+:[0-9]+\\)", False),
        ("unhandled", "Unhandled exception in handler: [A-Za-z]+Error", False),
        ("redis_timeout", "->[0-9.]+:6379: i/o timeout", False),
        ("deadline", "context deadline exceeded while calling [a-z-]+", False),
        ("broker_down", "failed to publish message to queue [a-z]+: broker unavailable", False),
        ("cache_miss", "cache miss key=[a-z]+:[0-9]+", False),
        ("sql_debug", "sql SELECT \\* FROM [a-z]+ WHERE", False),
        ("fd_exhausted", "too many open files", True),
        ("oom_java", "java\\.lang\\.OutOfMemoryError", False),
        ("npe", "java\\.lang\\.NullPointerException", False),
        ("java_frame", "^ +at [a-z]+\\.[A-Za-z0-9_.$]+\\(", False),
        ("py_traceback", "Traceback \\(most recent call last\\):", False),
        ("go_panic", "panic: runtime error: ", False),
        ("goroutine", "goroutine [0-9]+ \\[running\\]:", False),
        ("node_unhandled", "UnhandledPromiseRejection", False),
        ("deadlock", "deadlock detected", True),
        ("too_many_conns", "too many (connections|clients)", True),
        ("tls_handshake", "(SSL|TLS) handshake (failed|error|timed out)", True),
        ("cert_expired", "certificate (has )?expired", True),
        ("x509", "x509: certificate (signed by unknown authority|is valid for)", False),
        ("permission_denied", "permission denied", True),
        ("disk_full", "no space left on device", True),
        ("quota", "disk quota exceeded", True),
        ("read_only_fs", "read-only file system", True),
        ("broken_pipe", "broken pipe", True),
        ("reset_by_peer", "connection reset by peer", True),
        ("too_many_requests", "429 Too Many Requests", False),
        ("circuit_open", "circuit breaker (is )?open", True),
        ("invalid_token", "(invalid|expired) (token|jwt|session)", True),
        ("unauthorized", "unauthori[sz]ed", True),
        ("segmentation", "segmentation fault", True),
        ("assertion", "assertion (failed|error)", True),
        ("user_id_key", "KeyError 'user_id'", False),
        ("trace_id", "trace_id=[0-9]{6}$", False),
        ("order_big", "order_id=[0-9]{6}", False),
        ("msg_id", "msg_id=[0-9]+\"?$", False)):
    rule(f"app_{name}", rx, ci)
for word in ("error", "fatal", "exception", "failed", "critical", "panic", "denied",
             "refused", "timeout", "unavailable", "corrupt", "overflow", "killed", "crash"):
    rule(f"word_{ident(word)}", esc(word), True)

# ---------------------------------------------------------------------------
# Mail (postfix, dovecot)
# ---------------------------------------------------------------------------

rule("smtpd_connect", "postfix/smtpd\\[[0-9]+\\]: connect from [a-z0-9.-]+\\[")
rule("smtpd_disconnect", "postfix/smtpd\\[[0-9]+\\]: disconnect from [a-z0-9.-]+\\[")
for code in (450, 451, 452, 550, 553, 554):
    rule(f"smtp_reject_{code}", f"NOQUEUE: reject: RCPT from [^ ]+: {code} ")
for rbl in ("zen.spamhaus.org", "bl.spamcop.net", "b.barracudacentral.org",
            "dnsbl.sorbs.net", "psbl.surriel.com"):
    rule(f"rbl_{ident(rbl)}", f"Client host blocked using {esc(rbl)}")
for stage in ("AUTH", "CONNECT", "EHLO", "DATA", "RCPT", "STARTTLS", "END-OF-MESSAGE"):
    rule(f"smtp_timeout_{ident(stage)}", f"timeout after {stage} from ")
for st in ("sent", "deferred", "bounced", "expired"):
    rule(f"smtp_status_{st}", f"postfix/smtp\\[[0-9]+\\]: [0-9A-F]+: to=<.*status={st} ", st == "sent")
rule("smtp_status_sent_lc", "postfix/smtp\\[[0-9]+\\]: [0-9a-f]+: to=<[^>]+>, relay=")
rule("smtp_slow_delivery", ", delay=[0-9]{2,}\\.[0-9]+, ")
rule("sasl_failed", "SASL (LOGIN|PLAIN|CRAM-MD5) authentication failed")
rule("smtp_helo_localhost", "helo=<localhost>")
rule("smtp_lost_connection", "lost connection after [A-Z]+ from ")
for name, rx in (("auth_failed", "dovecot: (imap|pop3)-login: Disconnected \\(auth failed"),
                 ("login", "dovecot: (imap|pop3)-login: Login: user=<"),
                 ("quota", "dovecot: .*Quota exceeded"),
                 ("tls_error", "dovecot: .*SSL_accept\\(\\) failed")):
    rule(f"dovecot_{name}", rx)

# ---------------------------------------------------------------------------
# nginx error log (via syslog)
# ---------------------------------------------------------------------------

for name, rx in (("upstream_timeout", "upstream timed out \\(110: Connection timed out\\)"),
                 ("connect_refused", "connect\\(\\) failed \\(111: Connection refused\\)"),
                 ("premature_close", "upstream prematurely closed connection"),
                 ("open_failed", "open\\(\\) \"[^\"]+\" failed \\(2: No such file or directory\\)"),
                 ("limiting", "limiting requests, excess: [0-9.]+ by zone \"[a-z]+\""),
                 ("ssl_handshake", "SSL_do_handshake\\(\\) failed"),
                 ("body_too_large", "client intended to send too large body"),
                 ("no_live_upstreams", "no live upstreams while connecting to upstream"),
                 ("worker_connections", "worker_connections are not enough"),
                 ("emerg", "\\[emerg\\] [0-9]+#[0-9]+: "),
                 ("crit", "\\[crit\\] [0-9]+#[0-9]+: "),
                 ("alert", "\\[alert\\] [0-9]+#[0-9]+: ")):
    rule(f"nginx_{name}", rx)
for res in API_RES[:4]:
    rule(f"nginx_err_{res}", f"\\[error\\] .* request: \"GET /api/v1/{res} HTTP/1\\.1\"")

# ---------------------------------------------------------------------------
# Syslog headers: per host and program
# ---------------------------------------------------------------------------

HEAD = "^[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} "
for h in ("web-01", "web-02", "web-03", "web-04", "db-01", "db-02", "app-01", "app-02",
          "app-03", "lb-01"):
    rule(f"host_{ident(h)}_kernel", f"{HEAD}{esc(h)} kernel: ")
    rule(f"host_{ident(h)}_sshd_fail", f"{HEAD}{esc(h)} sshd\\[[0-9]+\\]: Failed password ")
    rule(f"host_{ident(h)}_app_error", f"{HEAD}{esc(h)} [a-z]+\\[[0-9]+\\]: (ERROR|FATAL) ")

# ---------------------------------------------------------------------------
# Services this host does not run (yet): rules kept for the whole fleet
# ---------------------------------------------------------------------------

for svc in ("mysqld", "postgres", "haproxy", "kubelet", "dockerd", "containerd",
            "redis-server", "elasticsearch", "logstash", "fail2ban-server", "named",
            "chronyd", "smartd", "openvpn", "squid", "httpd", "php-fpm", "gunicorn",
            "celery", "traefik", "envoy", "consul", "vault", "etcd", "kafka"):
    rule(f"svc_{ident(svc)}_error", f" {esc(svc)}\\[[0-9]+\\]: .*(error|failed|fatal)", True)
for name, rx, ci in (
        ("mysql_error", "\\[ERROR\\] \\[MY-[0-9]{6}\\]", False),
        ("mysql_aborted", "Aborted connection [0-9]+ to db: '[a-z_]+'", False),
        ("mysql_innodb", "InnoDB: (Assertion failure|Database page corruption)", False),
        ("pg_auth_failed", "FATAL: +password authentication failed for user \"[a-z_]+\"", False),
        ("pg_deadlock", "ERROR: +deadlock detected", False),
        ("pg_duplicate", "duplicate key value violates unique constraint", False),
        ("pg_checkpoint", "LOG: +checkpoints are occurring too frequently", False),
        ("pg_too_many", "FATAL: +(sorry, too many clients already|remaining connection slots are reserved)", False),
        ("haproxy_down", "Server [a-z0-9_-]+/[a-z0-9_-]+ is DOWN", False),
        ("haproxy_no_server", "backend [a-z0-9_-]+ has no server available!", False),
        ("haproxy_5xx", "haproxy\\[[0-9]+\\]: .* [0-9]+/[0-9]+/[0-9]+/[0-9]+/[0-9]+ 5[0-9][0-9] ", False),
        ("k8s_pull", "Failed to pull image \"[^\"]+\"", False),
        ("k8s_crashloop", "CrashLoopBackOff", False),
        ("k8s_oomkilled", "OOMKilled", False),
        ("k8s_liveness", "(Liveness|Readiness|Startup) probe failed", False),
        ("k8s_evict", "(Evicted|evicting) pod", True),
        ("k8s_node_not_ready", "NodeNotReady|node [a-z0-9.-]+ is not ready", False),
        ("docker_oom", "dockerd\\[[0-9]+\\]: .*OOM", False),
        ("redis_misconf", "MISCONF Redis is configured to save RDB snapshots", False),
        ("redis_overcommit", "WARNING overcommit_memory is set to 0", False),
        ("es_gc", "\\[gc\\]\\[[0-9]+\\] overhead, spent \\[[0-9.]+m?s\\]", False),
        ("es_disk_watermark", "high disk watermark \\[[0-9]+%\\] exceeded", False),
        ("fail2ban_ban", "fail2ban\\.actions.* Ban [0-9.]+", False),
        ("fail2ban_unban", "fail2ban\\.actions.* Unban [0-9.]+", False),
        ("named_denied", "named\\[[0-9]+\\]: client .* query \\(cache\\) '[^']+' denied", False),
        ("dhcp_no_free", "DHCPDISCOVER from [0-9a-f:]+ via [a-z0-9]+: network [0-9./]+: no free leases", False),
        ("chrony_unsync", "chronyd\\[[0-9]+\\]: (Can't synchronise|System clock wrong)", False),
        ("ntp_unsync", "ntpd\\[[0-9]+\\]: (no servers can be used|kernel reports TIME_ERROR)", False),
        ("smart_failing", "smartd\\[[0-9]+\\]: Device: /dev/[a-z0-9]+.*(FAILING_NOW|Prefailure|Currently unreadable)", False),
        ("zfs_degraded", "pool '[a-z0-9_-]+' state is (DEGRADED|FAULTED)", False),
        ("mdadm_fail", "mdadm\\[[0-9]+\\]: (Fail|DegradedArray) event", False),
        ("openvpn_tls", "openvpn\\[[0-9]+\\]: .*TLS Error: TLS handshake failed", False),
        ("squid_denied", "TCP_DENIED/40[37] ", False),
        ("apache_error", "\\[(core|proxy_fcgi|ssl|authz_core):error\\] \\[pid [0-9]+", False),
        ("apache_ah", "AH0[0-9]{4}: ", False),
        ("fpm_max_children", "server reached pm\\.max_children setting", False),
        ("fpm_slow", "\\[pool [a-z0-9_-]+\\] child [0-9]+, script '[^']+' .* executing too slow", False),
        ("gunicorn_timeout", "\\[CRITICAL\\] WORKER TIMEOUT \\(pid:[0-9]+\\)", False),
        ("celery_retry", "Task [a-z0-9_.]+\\[[0-9a-f-]+\\] retry: ", False),
        ("sidekiq_dead", "Sidekiq::(Shutdown|JobRetry::Skip)", False),
        ("traefik_error", "level=error msg=\"[^\"]*\" .*providerName=", False),
        ("envoy_overflow", "upstream_rq_pending_overflow|upstream connect error or disconnect/reset before headers", False),
        ("consul_failed", "\\[(ERROR|WARN)\\] agent: (Check is now critical|Coordinate update error)", False),
        ("vault_sealed", "Vault is sealed|core: vault is sealed", True),
        ("etcd_slow", "(apply request took too long|slow fdatasync)", False),
        ("kafka_isr", "Shrinking ISR from [0-9,]+ to [0-9,]+", False),
        ("zk_session", "Session [0-9a-fx]+ for server .* (expired|closing socket)", False),
        ("minio_drive", "Drive [^ ]+ (offline|is unformatted)", False),
        ("prom_scrape", "(msg=\"Scrape failed\"|context deadline exceeded.*scrape)", False),
        ("alert_firing", "alertname=\"[A-Za-z0-9_]+\".*(state=firing|status=firing)", False),
        ("loki_rate", "ingestion rate limit exceeded", True),
        ("sshguard", "sshguard\\[[0-9]+\\]: (Blocking|Attack from) \"?[0-9.]+", False),
        ("auditd_lost", "audit: (backlog limit exceeded|audit_lost=[0-9]+)", False),
        ("selinux_avc", "avc: +denied +\\{ [a-z_ ]+ \\} for +pid=[0-9]+", False),
        ("pam_tally", "pam_(tally2|faillock)\\(.*\\): (user [a-z]+ \\(uid=[0-9]+\\) tally|Consecutive login failures)", False),
        ("usb_new", "usb [0-9]+-[0-9.]+: new (high|full|low|Super)-speed USB device", False),
        ("cups", "cupsd\\[[0-9]+\\]: .*(Unable to|stopped)", False),
        ("snapd", "snapd\\[[0-9]+\\]: .*(error|cannot)", True),
        ("unattended", "unattended-upgrade.*(Packages that will be upgraded|error)", False),
        ("dpkg_error", "dpkg: error processing package", False),
        ("wireguard", "wireguard: wg[0-9]+: (Handshake for peer [0-9]+ .* did not complete|Invalid handshake)", False)):
    rule(f"ext_{name}", rx, ci)


# ---------------------------------------------------------------------------

ALLOWED_ESC = set(".[]()?*+{}|^$\\")


def lint(name, rx):
    """Reasons rx is outside the common subset (empty: fine)."""
    why = []
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        why.append("name is not [a-z][a-z0-9_]*")
    i, inside = 0, False
    while i < len(rx):
        c = rx[i]
        if inside:
            if c == "\\":
                why.append("backslash inside brackets")
            elif c == "]" and rx[i - 1] not in "[^":
                inside = False
            i += 1
            continue
        if c == "\\":
            if i + 1 >= len(rx) or rx[i + 1] not in ALLOWED_ESC:
                why.append(f"escape \\{rx[i + 1:i + 2]}")
            i += 2
            continue
        if c == "[":
            inside = True
        if rx.startswith("(?", i):
            why.append("(? group or flag")
        if c in "\t\n\r":
            why.append("control character")
        i += 1
    if inside:
        why.append("unterminated bracket")
    if not rx.isascii():
        why.append("not ASCII")
    if re.search(r"\{,|\{[0-9]{4,}", rx):
        why.append("repeat bound")
    try:
        if re.fullmatch(rx, ""):
            why.append("matches the empty string")
    except re.error as e:
        why.append(f"python re: {e}")
    return why


def yq(s):
    return "'" + s.replace("'", "''") + "'"


def render():
    if len(rules) != N_RULES:
        sys.exit(f"rules1000.py: {len(rules)} rules, want {N_RULES}")
    seen, bad = set(), []
    for name, rx, _ in rules:
        if name in seen:
            bad.append(f"{name}: duplicate name")
        seen.add(name)
        bad += [f"{name}: {w}" for w in lint(name, rx)]
    if bad:
        sys.exit("rules1000.py:\n  " + "\n  ".join(bad))
    out = [
        "# rules1000.yaml - the 1,000-rule benchmark pack. GENERATED by rules1000.py:",
        "# do not edit; change the generator and run",
        "#   tests/bench/rules1000.py -o tests/bench/rules1000.yaml",
        "# Rules a site with many services accumulates (status codes, API resources,",
        "# pages, probes, blocklists, user agents, sshd, sudo, kernel, systemd, cron,",
        "# applications, mail, nginx errors, services not run on this host). Every regex",
        "# is in the common subset of Hyperscan, grep -E, ripgrep and RE2 (mtail).",
        "rules:",
    ]
    for name, rx, ci in rules:
        out.append(f"  - name: {name}")
        out.append(f"    match: {yq(rx)}")
        if ci:
            out.append("    caseless: true")
    return "\n".join(out) + "\n"


def main(argv):
    text = render()
    if len(argv) == 3 and argv[1] == "--check":
        try:
            have = open(argv[2], encoding="ascii").read()
        except OSError as e:
            sys.exit(f"rules1000.py: {e}")
        if have != text:
            print(f"rules1000.py: {argv[2]} is not what rules1000.py writes; regenerate it:\n"
                  f"  tests/bench/rules1000.py -o {argv[2]}", file=sys.stderr)
            return 1
        return 0
    if len(argv) == 3 and argv[1] == "-o":
        with open(argv[2], "w", encoding="ascii") as f:
            f.write(text)
        return 0
    if len(argv) == 1:
        sys.stdout.write(text)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
