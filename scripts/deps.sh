#!/bin/sh
# deps.sh - install the Debian packages weir needs for a purpose, if missing.
# Usage: scripts/deps.sh build|test|bench|fuzz|deb ...
# Idempotent and quiet when everything is present; needs root only to install.
set -eu

build="gcc make pkg-config liburing-dev libhyperscan-dev libmicrohttpd-dev libpcre2-dev libjemalloc-dev libyaml-dev libjansson-dev zlib1g-dev"
test="libcriterion-dev python3 python3-pytest python3-yaml clang clang-format libclang-rt-dev logrotate rsyslog bsdutils prometheus chromium"
# The dashboard (web/) is bundled by node and npm: Debian's, unless a node
# and an npm are on PATH already (a newer one from elsewhere is kept).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	build="$build nodejs npm"
fi
bench="ripgrep grep hyperfine rsyslog mtail wrk chromium goaccess"
fuzz="clang libclang-rt-dev"
deb="dpkg-dev fakeroot"

want=""
for purpose in "$@"; do
	case "$purpose" in
	build) want="$want $build" ;;
	test) want="$want $build $test" ;;
	bench) want="$want $build $bench" ;;
	fuzz) want="$want $build $fuzz" ;;
	deb) want="$want $build $deb" ;;
	*) echo "deps.sh: unknown purpose '$purpose'" >&2; exit 2 ;;
	esac
done

missing=""
for p in $want; do
	s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$s" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "weir: these Debian packages are missing:$missing" >&2
	echo "weir: run as root (or: sudo apt-get install$missing) and try again." >&2
	exit 1
fi
echo "weir: installing missing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# rsyslog is here only for the tests and the benchmark, which run their own
# rsyslogd: installing it must not start (or enable) the system's logging
# daemon. policy-rc.d stops the start; the unit is disabled afterwards.
# The same for prometheus (promtool, and a server the metrics test starts
# with its own config).
new_rsyslog=false
new_prometheus=false
case " $missing " in *" rsyslog "*) new_rsyslog=true ;; esac
case " $missing " in *" prometheus "*) new_prometheus=true ;; esac
policy=/usr/sbin/policy-rc.d
own_policy=false
if { $new_rsyslog || $new_prometheus; } && [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	own_policy=true
fi
rc=0
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null || rc=$?
if $own_policy; then rm -f "$policy"; fi
if $new_rsyslog && [ -d /run/systemd/system ]; then
	systemctl disable --quiet rsyslog.service syslog.socket 2>/dev/null || true
	echo "weir: rsyslog was installed for the tests only; its system service is left disabled"
fi
if $new_prometheus && [ -d /run/systemd/system ]; then
	systemctl disable --quiet prometheus.service 2>/dev/null || true
	echo "weir: prometheus was installed for the tests only; its system service is left disabled"
fi
exit $rc
