#!/bin/bash
# test_faults.sh - straw against controllers that misbehave: the scripted fake
# controller (tests/fake/fakectld.c) for every fault of the issue "Never hang,
# never lie, never leak", failover ahead of a fake and of the real loopback
# slurmctld, and a second real controller with configless disabled.
#
# Every fault case checks: the exit code; that the message names the
# controller (127.0.0.1:PORT) and the cause; the time against the deadline;
# that the output folder (an old slurm.conf and files of the user's own) is
# unchanged, byte for byte and mtime for mtime, with no temporary folder left;
# that nothing was written in the working folder or a cache folder.
#
# Short timeouts keep it fast: connect 0.3 s, reply 0.5 s, deadline 2 s
# (STRAW_TEST_MARGIN_MS, default 1500, is added to every time limit).
set -u
. "$STRAW_TOP/tests/lib/common.sh"
. "$STRAW_TOP/tests/lib/fake.sh"
cluster_up

straw=$BUILD/bin/straw
fakectld=$BUILD/tests/fakectld
vectors=${STRAW_VECTORS:-$STRAW_TOP/tests/vectors}
margin=${STRAW_TEST_MARGIN_MS:-1500}
work=$(mktemp -d /tmp/straw-faults.XXXXXX)
chmod 0755 "$work"
cwd=$work/cwd
cluster2=

declare -A fake_pid fake_port
straw_env=() # extra environment for straw: env(1) arguments

_cleanup() {
	local p
	for p in "${fake_pid[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ -n "$cluster2" ]; then
		"$STRAW_TOP/tests/cluster/stop.sh" "$cluster2" >/dev/null 2>&1 || true
	fi
	rm -rf "$work"
	cluster_down
}
trap _cleanup EXIT

for f in "$straw" "$fakectld"; do
	if [ ! -x "$f" ]; then
		fail "$f is built (make -C tests fake)"
		finish
	fi
done

# A token for the fakes, which never check it: HS256 under a throwaway key.
fake_token=$(python3 - <<'EOF'
import base64, hashlib, hmac, json, os, time
def b64(x):
    return base64.urlsafe_b64encode(x).rstrip(b"=")
now = int(time.time())
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
body = b64(json.dumps({"exp": now + 900, "iat": now, "sun": "strawtest"}, separators=(",", ":")).encode())
sig = b64(hmac.new(os.urandom(32), head + b"." + body, hashlib.sha256).digest())
print((head + b"." + body + b"." + sig).decode())
EOF
)
if [ -z "$fake_token" ]; then
	fail "a JWT for the fake controllers (python3)"
	finish
fi

# Nothing from the caller's environment may pick controllers or versions.
unset STRAW_SERVERS SLURM_CONF_SERVER STRAW_PROTOCOL STRAW_AUTH STRAW_JWT_FILE
export SLURM_JWT=$fake_token
export STRAW_CACHE_DIR=$work/cache
export STRAW_CONNECT_TIMEOUT=0.3 STRAW_TIMEOUT=0.5 STRAW_DEADLINE=2
ct=300 rt=500 dl=2000

now_ms() {
	local t=${EPOCHREALTIME/./}
	echo $((t / 1000))
}

# prep_out DIR: the folder as a user would have it: an old slurm.conf, an old
# topology.conf and a file of their own, all dated long ago.
prep_out() {
	rm -rf "$1"
	mkdir -p "$1"
	printf 'ClusterName=old\n' >"$1/slurm.conf"
	printf 'old topology\n' >"$1/topology.conf"
	printf 'mine\n' >"$1/marker.txt"
	touch -d '2001-02-03 04:05:06' "$1"/* "$1"
}

# snap DIR: names, types, modes, sizes, mtimes and contents, the folder included.
snap() {
	(cd "$1" && find . -printf '%p %y %m %s %T@\n' | LC_ALL=C sort &&
		find . -type f -exec sha256sum {} + | LC_ALL=C sort)
}

# run_straw LIMIT_S ARG...: straw in an empty working folder, killed after
# LIMIT_S seconds (so a hang fails instead of stalling the suite); sets rc,
# out (stdout and stderr) and ms.
run_straw() {
	local limit=$1 t0
	shift
	rm -rf "$cwd"
	mkdir -p "$cwd"
	t0=$(now_ms)
	out=$(cd "$cwd" && timeout -k 1 "$limit" env ${straw_env[@]+"${straw_env[@]}"} "$straw" "$@" 2>&1)
	rc=$?
	ms=$(($(now_ms) - t0))
}

# nothing_else DESC: the working folder is still empty, no cache folder was
# made, no temporary folder is left next to the output folder.
nothing_else() {
	local stray
	stray=$(
		ls -A "$cwd"
		[ -e "$STRAW_CACHE_DIR" ] && echo "$STRAW_CACHE_DIR"
		find "$work" -maxdepth 2 -name '.straw-tmp-*'
	)
	if [ -z "$stray" ]; then
		ok "$1: no file written anywhere else"
	else
		fail "$1: no file written anywhere else" "$stray"
	fi
}

# within DESC MS LIMIT
within() {
	if [ "$2" -le "$3" ]; then
		ok "$1: done in $2 ms (limit $3)"
	else
		fail "$1: done within $3 ms" "took $2 ms"
	fi
}

# matches DESC TEXT REGEX (extended, case-insensitive)
matches() {
	if printf '%s' "$2" | grep -Eqi -- "$3"; then
		ok "$1"
	else
		fail "$1" "expected /$3/" "in: $2"
	fi
}

# fault DESC CODE WHO CAUSE MAX_MS STRAW_ARG...: straw must fail with CODE,
# name WHO and the CAUSE (a regular expression), end within MAX_MS, leave the
# output folder as it was and write nothing anywhere.
fault() {
	local desc=$1 code=$2 who=$3 cause=$4 max=$5 dir=$work/out before after
	shift 5
	prep_out "$dir"
	before=$(snap "$dir")
	run_straw $((max / 1000 + 3)) -o "$dir" "$@"
	check_eq "$desc: exit code $code" "$code" "$rc"
	check_contains "$desc: the message names $who" "$out" "$who"
	matches "$desc: the message gives the cause" "$out" "$cause"
	within "$desc" "$ms" "$max"
	after=$(snap "$dir")
	if [ "$before" = "$after" ]; then
		ok "$desc: output folder unchanged"
	else
		fail "$desc: output folder unchanged" "$(diff <(echo "$before") <(echo "$after") | head -n 20)"
	fi
	nothing_else "$desc"
	diag "$desc: exit $rc in $ms ms: $out"
}

# fault_fake DESC CODE CAUSE MAX_MS VERSION SCENARIO [ARG...]: fault against a
# fresh fake controller playing SCENARIO; VERSION "" negotiates.
fault_fake() {
	local desc=$1 code=$2 cause=$3 max=$4 version=$5
	shift 5
	fake_start f --scenario "$@" || return
	fault "$desc" "$code" "127.0.0.1:${fake_port[f]}" "$cause" "$max" \
		"127.0.0.1:${fake_port[f]}" ${version:+"$version"}
	fake_stop f
}

# served FILE: a slurm.conf only the fake that serves it has.
served=$work/served.conf
printf 'ClusterName=fake%s\nSlurmctldHost=fake(127.0.0.1)\n' "$RANDOM$RANDOM" >"$served"

# ---------------------------------------------------------------- the fake itself
# It answers in every layout (headers A and B, auth or flag 0x40, 20.11's
# fixed strings, lists with and without the execute flag).
fake_start ok --scenario ok "$served"
bad=
for v in 20.11 21.08 22.05 23.02 23.11 24.05 24.11 25.05 25.11 26.05; do
	prep_out "$work/v"
	run_straw 10 -o "$work/v" "127.0.0.1:${fake_port[ok]}" "$v"
	if [ "$rc" -ne 0 ] || ! cmp -s "$served" "$work/v/slurm.conf"; then
		bad="$bad $v(exit $rc: $out)"
	fi
done
check_eq "fake controller: straw fetches from it at every version, 20.11 to 26.05" "" "$bad"
prep_out "$work/v"
run_straw 10 -v -o "$work/v" "127.0.0.1:${fake_port[ok]}"
check_eq "fake controller: negotiated fetch exits 0" "0" "$rc"
check_contains "fake controller: negotiation settles on the newest version" "$out" "protocol 26.05"
check "fake controller: slurm.conf is the served one" cmp "$served" "$work/v/slurm.conf"
if [ ! -e "$work/v/topology.conf" ]; then
	ok "fake controller: topology.conf (exists=0) removed"
else
	fail "fake controller: topology.conf (exists=0) removed"
fi

# IPv6 loopback, where the host has it (some container runtimes leave it out).
if grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null; then
	if fake_start ok6 --ipv6 --scenario ok "$served"; then
		prep_out "$work/v6"
		run_straw 10 -o "$work/v6" "[::1]:${fake_port[ok6]}"
		check_eq "fake controller on ::1: straw fetches over IPv6" "0" "$rc${out:+ $out}"
		fake_stop ok6
	fi
else
	diag "no ::1 on this host: the IPv6 case did not run"
fi

# Captured replies, sent back as they are: the real thing, byte for byte.
for v in 20.11 22.05 23.02 23.11 24.11 26.05; do
	want=$(python3 -c 'import json, sys
for f in json.load(open(sys.argv[1]))["jwt"]["files"]:
    if f["name"] == "slurm.conf": print(f["sha256"])' "$vectors/$v/expected.json")
	fake_start replay --scenario replay "$vectors/$v/response-config-jwt.bin" || continue
	prep_out "$work/replay"
	run_straw 10 -o "$work/replay" "127.0.0.1:${fake_port[replay]}" "$v"
	check_eq "captured $v reply replayed: exit 0, slurm.conf as captured" "0 $want" \
		"$rc${out:+ $out} $(sha256sum <"$work/replay/slurm.conf" | cut -d' ' -f1)"
	fake_stop replay
done
# name VERSION CODE CAUSE: a captured error reply replayed to a fixed version.
for c in '24.11-too-old-version 22.05 5 24\.11' '24.11-bad-token 24.11 4 1007' \
	'22.05-slurmd-flags-by-user 22.05 6 2010' '24.11-slurmd-flags-by-user 24.11 6 2010' \
	'26.05-too-old-version 22.05 5 HTTP'; do
	read -r name v code cause <<<"$c"
	fake_start replay --scenario replay "$vectors/errors/$name.response.bin" || continue
	fault "captured $name replayed" "$code" "127.0.0.1:${fake_port[replay]}" "$cause" $((dl + margin)) \
		"127.0.0.1:${fake_port[replay]}" "$v"
	fake_stop replay
done

# ---------------------------------------------------------------- faults
fix=22.05
fault_fake "refused connect" 3 'refused' $((dl + margin)) $fix refuse
fault_fake "connect timeout (full listen queue)" 3 'timed out|timeout' $((ct + margin)) $fix blackhole
fault_fake "accepts, stays silent" 3 'no reply|timed out|timeout' $((rt + margin)) $fix silent
fault_fake "one byte per second" 3 'no reply|timed out|timeout|stalled' $((rt + margin)) $fix slow
fault_fake "standby 2027 only" 3 '2027' $((dl + margin)) $fix standby 2027
fault_fake "standby 2131 only" 3 '2131' $((dl + margin)) $fix standby 2131
fault_fake "RC 1007 (credential refused)" 4 '1007' $((dl + margin)) $fix rc 1007
fault_fake "RC 2010" 6 '2010' $((dl + margin)) $fix rc 2010
fault_fake "RC 2126 (configless disabled)" 6 '2126.*enable_configless' $((dl + margin)) $fix rc 2126
fault_fake "HTTP/1.1 405 at a fixed version" 5 'HTTP' $((dl + margin)) $fix http405
fault_fake "HTTP/1.1 405 at every version" 5 'HTTP' $((dl + margin)) "" http405
fault_fake "silent close at a fixed version" 5 'no reply|closed' $((dl + margin)) $fix close
fault_fake "silent close at every version" 4 'without a reply' $((dl + margin)) "" close
fault_fake "2 GiB length prefix" 5 'GiB|length' $((dl + margin)) $fix huge-length
fault_fake "wrong message type" 5 'type 2002' $((dl + margin)) $fix wrong-type
fault_fake "garbage" 5 'malformed' $((dl + margin)) $fix garbage
fault_fake "string without its NUL" 5 'NUL' $((dl + margin)) $fix no-nul
fault_fake "RC 1007 in 24.11 to a fixed 22.05" 5 '24\.11' $((dl + margin)) $fix version 24.11
fault_fake "RC 1007, negotiated" 4 '1007' $((dl + margin)) "" rc 1007
for name in '../x' 'a/b' '.' '..' '' 'a\nb' 'caf\xe9.conf' '/etc/passwd'; do
	fault_fake "file name '$name'" 5 'name' $((dl + margin)) $fix names "$name"
done
fault_fake "a NULL file name" 5 'name' $((dl + margin)) $fix names '%NULL'
fault_fake "100 000 entries" 5 'entr|files|too many|limit' $((dl + margin)) $fix many-entries 100000
# A generous reply timeout: the size must be the reason, not the clock.
straw_env=(STRAW_TIMEOUT=5 STRAW_DEADLINE=8)
fault_fake "a 200 MB slurm.conf" 5 'big|large|size|limit|MB|MiB|bytes' $((8000 + margin)) $fix \
	big-conf 200000000
straw_env=()
if printf '%s' "$out" | grep -qE 'cut short|timed out'; then
	fail "a 200 MB slurm.conf: refused for its size, not for a timeout" "$out"
else
	ok "a 200 MB slurm.conf: refused for its size, not for a timeout"
fi

# ---------------------------------------------------------------- truncation
# Close after N bytes, for every N short of a whole captured reply: one fake
# serves them all, connection k getting k bytes.
for v in 22.05 26.05; do
	vec=$vectors/$v/response-config-jwt.bin
	size=$(stat -c %s "$vec")
	fake_start trunc --count "$size" --scenario truncate "$vec" each || continue
	dir=$work/out
	prep_out "$dir"
	before=$(snap "$dir")
	bad=0 worst=0 first_bad=
	rm -rf "$cwd"
	mkdir -p "$cwd"
	for ((n = 0; n < size; n++)); do
		t0=$(now_ms)
		out=$(cd "$cwd" && timeout -k 1 5 "$straw" -o "$dir" "127.0.0.1:${fake_port[trunc]}" "$v" 2>&1)
		rc=$?
		ms=$(($(now_ms) - t0))
		[ "$ms" -le "$worst" ] || worst=$ms
		case $rc:$out in
		5:*"127.0.0.1:${fake_port[trunc]}"*"cut short"* | 5:*"127.0.0.1:${fake_port[trunc]}"*"no reply"*) ;;
		*)
			bad=$((bad + 1))
			[ -n "$first_bad" ] || first_bad="after $n bytes: exit $rc: $out"
			;;
		esac
	done
	check_eq "$v reply cut after each of 0..$((size - 1)) bytes: exit 5 naming the controller and the cut" \
		"0" "$bad${first_bad:+ (first: $first_bad)}"
	within "$v truncations: slowest" "$worst" $((rt + margin))
	check_eq "$v truncations: output folder unchanged" "$before" "$(snap "$dir")"
	nothing_else "$v truncations"
	check_eq "$v truncations: the fake served $size connections" "$size" "$(fake_conns trunc)"
	fake_stop trunc
done

# ---------------------------------------------------------------- failover
# success DESC MAX_MS EXPECTED_CONF ARG...: straw must succeed within MAX_MS
# with EXPECTED_CONF as slurm.conf.
success() {
	local desc=$1 max=$2 conf=$3 dir=$work/ok
	shift 3
	prep_out "$dir"
	run_straw $((max / 1000 + 3)) -o "$dir" "$@"
	check_eq "$desc: exit 0" "0" "$rc${out:+ $out}"
	within "$desc" "$ms" "$max"
	check "$desc: slurm.conf is the live controller's" cmp "$conf" "$dir/slurm.conf"
	check_eq "$desc: the user's own file kept" "mine" "$(cat "$dir/marker.txt" 2>&1)"
	diag "$desc: exit $rc in $ms ms"
}

fake_start refused --scenario refuse
fake_start silent --scenario silent
fake_start hole --scenario blackhole
refused=127.0.0.1:${fake_port[refused]}
silent=127.0.0.1:${fake_port[silent]}
hole=127.0.0.1:${fake_port[hole]}
live=127.0.0.1:${fake_port[ok]}

n0=$(fake_conns silent)
success "failover: refused, silent, then a live fake" $((ct + rt + margin)) "$served" "$refused" "$silent" "$live"
check_eq "failover: the silent controller was tried (9 pings at once)" "$((n0 + 9))" "$(fake_conns silent)"
success "failover: connect timeout, refused, then a live fake" $((ct + margin)) "$served" "$hole" "$refused" "$live"
success "failover: refused, silent, then a live fake, at 22.05" $((ct + rt + margin)) "$served" "$refused" "$silent" "$live" 22.05

for s in 'standby 2027' 'standby 2131' garbage 'truncate 100' huge-length wrong-type 'names ../x' no-nul; do
	read -r -a sc <<<"$s"
	[ "${sc[0]}" != truncate ] || sc=(truncate "$vectors/22.05/response-config-jwt.bin" "${sc[1]}")
	fake_start first --scenario "${sc[@]}" || continue
	success "failover: '$s' first, then a live fake" $((dl + margin)) "$served" \
		"127.0.0.1:${fake_port[first]}" "$live" 22.05
	fake_stop first
done
for s in close http405; do
	fake_start first --scenario "$s" || continue
	success "failover: '$s' first, then a live fake, negotiated" $((dl + margin)) "$served" \
		"127.0.0.1:${fake_port[first]}" "$live"
	success "failover: '$s' first, then a live fake, at 22.05" $((dl + margin)) "$served" \
		"127.0.0.1:${fake_port[first]}" "$live" 22.05
	fake_stop first
done

# Final answers: another controller of the same cluster would say the same.
for s in 'rc 2126:6' 'rc 1007:4' 'rc 2010:6'; do
	read -r -a sc <<<"${s%:*}"
	fake_start first --scenario "${sc[@]}" || continue
	n0=$(fake_conns ok)
	fault "'${s%:*}' first is final" "${s#*:}" "127.0.0.1:${fake_port[first]}" "${sc[1]}" \
		$((dl + margin)) "127.0.0.1:${fake_port[first]}" "$live"
	check_eq "'${s%:*}' first is final: the next controller is not asked" "$n0" "$(fake_conns ok)"
	fake_stop first
done

# Duplicates are folded: a standby fake listed twice is asked once.
fake_start dup --scenario standby 2027
d=127.0.0.1:${fake_port[dup]}
run_straw 5 -o "$work/dup" "$d,$d" 22.05
check_eq "duplicates 'a,a' folded: one connection" "1" "$(fake_conns dup)"
run_straw 5 -o "$work/dup" "$d" "$d" 22.05
check_eq "duplicates 'a a' folded: one more connection" "2" "$(fake_conns dup)"
fake_stop dup

# Version negotiation with a 24.11-like controller: RC 1007 in its own version.
fake_start v2411 --scenario version 24.11
prep_out "$work/v2411"
run_straw 5 -v -o "$work/v2411" "127.0.0.1:${fake_port[v2411]}"
check_eq "24.11-like controller: negotiated fetch exits 0" "0" "$rc"
check_contains "24.11-like controller: settles on 24.11" "$out" "protocol 24.11"
# The first contact pings every version from 21.08 up at once (lib/fetch.c,
# "the version probe"), then asks for the configuration once.
check_eq "24.11-like controller: 9 pings (26.05 to 21.08), then 1 request" "10" "$(fake_conns v2411)"
# Told the version that worked (as the cache does), one connection is enough.
n0=$(fake_conns v2411)
run_straw 5 -o "$work/v2411" "127.0.0.1:${fake_port[v2411]}" 24.11
check_eq "24.11-like controller at its version: one connection" "$((n0 + 1))" "$(fake_conns v2411)"
fake_stop v2411

# ---------------------------------------------------------------- the real controller
user=$(straw_test_user)
# scontrol must not see the fakes' token: it would authenticate with it.
token=$(unset SLURM_JWT && token_for "$user" 600)
# With the defaults: connect 1 s, reply 3 s, deadline 10 s.
straw_env=(-u STRAW_CONNECT_TIMEOUT -u STRAW_TIMEOUT -u STRAW_DEADLINE SLURM_JWT="$token")
success "real controller after a refused and a silent one, default timeouts" $((1000 + 3000 + margin)) \
	"$STRAW_TEST_CONF" "$refused" "$silent" "$STRAW_TEST_SERVER"
success "real controller after a connect timeout, default timeouts" $((1000 + margin)) \
	"$STRAW_TEST_CONF" "$hole" "$STRAW_TEST_SERVER"
straw_env=(SLURM_JWT="$token")
success "real controller after a refused and a silent one, short timeouts" $((ct + rt + margin)) \
	"$STRAW_TEST_CONF" "$refused" "$silent" "$STRAW_TEST_SERVER"
straw_env=()

# A second real controller, configless disabled: RC 2126, final.
for p in 28827 28837 28847 28857; do
	# (without SLURM_JWT: the daemons would take it for their own AuthType)
	if line=$(env -u SLURM_JWT STRAW_TEST_CONFIGLESS=0 STRAW_TEST_CTLD_PORT=$p \
		STRAW_TEST_SLURMD_PORT=$((p + 1)) "$STRAW_TOP/tests/cluster/start.sh" 2>"$work/cluster2.err"); then
		cluster2=${line#STRAW_CLUSTER=}
		break
	fi
	grep -q 'already in use' "$work/cluster2.err" || break
done
if [ -z "$cluster2" ]; then
	fail "a second controller with configless disabled starts" "$(tail -n 20 "$work/cluster2.err")"
else
	# shellcheck disable=SC1091
	conf2=$(. "$cluster2/env.sh" && echo "$STRAW_TEST_CONF")
	# shellcheck disable=SC1091
	server2=$(. "$cluster2/env.sh" && echo "$STRAW_TEST_SERVER")
	token2=$(unset SLURM_JWT && STRAW_TEST_CONF=$conf2 token_for "$user" 600)
	straw_env=(SLURM_JWT="$token2")
	fault "real controller, configless disabled" 6 "$server2" 'enable_configless' \
		$((dl + margin)) "$server2"
	fault "real controller, configless disabled, then a live one: final" 6 "$server2" \
		'2126' $((dl + margin)) "$server2" "$live"
	straw_env=()
fi

finish
