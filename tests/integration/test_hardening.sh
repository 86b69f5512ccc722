#!/bin/bash
# test_hardening.sh - what a fetch leaves behind in its host process and on
# disk: no new descriptor, no changed signal disposition (SIGPIPE above all),
# every descriptor close-on-exec and every send MSG_NOSIGNAL (strace), and
# the token in no file, no output and no memory once the fetch is over.
#
# The in-process half is tests/integration/inproc_fetch.c (libstraw in this
# very process); the fake controllers are tests/fake/fakectld.c.
set -u
. "$STRAW_TOP/tests/lib/common.sh"
. "$STRAW_TOP/tests/lib/fake.sh"
cluster_up

straw=$BUILD/bin/straw
inproc=$BUILD/tests/inproc_fetch
fakectld=$BUILD/tests/fakectld
work=$(mktemp -d /tmp/straw-hardening.XXXXXX)
secret=$(mktemp -d /tmp/straw-secret.XXXXXX) # the token file lives outside $work
declare -A fake_pid fake_port

_cleanup() {
	local p
	for p in "${fake_pid[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$work" "$secret"
	cluster_down
}
trap _cleanup EXIT

for f in "$straw" "$inproc" "$fakectld"; do
	if [ ! -x "$f" ]; then
		fail "$f is built (make -C tests fake)"
		finish
	fi
done

unset STRAW_SERVERS SLURM_CONF_SERVER STRAW_PROTOCOL STRAW_AUTH STRAW_JWT_FILE SLURM_JWT
unset STRAW_CONNECT_TIMEOUT STRAW_TIMEOUT STRAW_DEADLINE
export STRAW_CACHE_DIR=$work/cache
user=$(straw_test_user)
token=$(token_for "$user" 600)
sig=${token##*.}
if [ -z "$token" ] || [ "$sig" = "$token" ]; then
	fail "a token from the controller"
	finish
fi
printf '%s\n' "$token" >"$secret/token"
chmod 0600 "$secret/token"
sig_hex=$(printf '%s' "$sig" | od -An -tx1 | tr -d ' \n')

fake_start refused --scenario refuse
fake_start silent --scenario silent
fake_start garbage --scenario garbage
fake_start ok --scenario ok
fake_start rc1007 --scenario rc 1007
fake_start names --scenario names ../x
fake_start v2411 --scenario version 24.11
refused=127.0.0.1:${fake_port[refused]}
silent=127.0.0.1:${fake_port[silent]}
garbage=127.0.0.1:${fake_port[garbage]}
live=$STRAW_TEST_SERVER

# ---------------------------------------------------------------- in process
# inproc DESC EXIT ENV... -- ARG...: run inproc_fetch with ENV (env(1)
# arguments); each of its PASS/FAIL lines becomes a result; it must exit EXIT.
n_inproc=0
inproc() {
	local desc=$1 want=$2 rc line passes=0 envs=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	shift
	n_inproc=$((n_inproc + 1))
	(cd "$work" && timeout -k 1 60 env "${envs[@]}" "$inproc" "$@") >"$work/inproc-$n_inproc.out" 2>&1
	rc=$?
	while IFS= read -r line; do
		case $line in
		PASS\ *) passes=$((passes + 1)); ok "$desc: ${line#PASS }" ;;
		FAIL\ *) [ "$want" -ne 0 ] || fail "$desc: ${line#FAIL }" ;;
		esac
	done <"$work/inproc-$n_inproc.out"
	check_eq "$desc: inproc_fetch exits $want" "$want" "$rc"
	if [ "$passes" -lt 4 ]; then
		fail "$desc: the checks ran" "$(tail -n 20 "$work/inproc-$n_inproc.out")"
	fi
}

inproc "real controller, JWT, 3 fetches" 0 STRAW_SERVERS="$live" SLURM_JWT="$token" -- \
	--out "$work/inproc-ok" --repeat 3 --want-socket --sigpipe dfl
check "real controller, JWT: the files were written" cmp "$STRAW_TEST_CONF" "$work/inproc-ok/slurm.conf"
inproc "real controller, host ignores SIGPIPE" 0 STRAW_SERVERS="$live" SLURM_JWT="$token" -- \
	--out "$work/inproc-ok" --want-socket --sigpipe ign
inproc "real controller, munge" 0 STRAW_AUTH=munge STRAW_SERVERS="$live" \
	STRAW_MUNGE_SOCKET="$STRAW_TEST_MUNGE_SOCKET" -- --out "$work/inproc-munge" --repeat 2 --want-socket
inproc "refused controller" 0 STRAW_SERVERS="$refused" SLURM_JWT="$token" -- --expect 3 --repeat 2
inproc "silent controller" 0 STRAW_SERVERS="$silent" SLURM_JWT="$token" STRAW_TIMEOUT=0.3 -- \
	--expect 3 --repeat 2 --want-socket
inproc "garbage reply" 0 STRAW_SERVERS="$garbage" SLURM_JWT="$token" -- --expect 5 --want-socket
inproc "refused, silent, then the real controller" 0 STRAW_SERVERS="$refused,$silent,$live" \
	SLURM_JWT="$token" STRAW_TIMEOUT=0.3 -- --out "$work/inproc-fo" --want-socket
inproc "the cache" 0 STRAW_SERVERS="$live" SLURM_JWT="$token" -- --cache --repeat 2

# Memory: with the token in a file (the environment is memory too), no copy
# of its signature may be left once the fetches are over.
inproc "token file, memory wiped" 0 STRAW_SERVERS="$live" STRAW_JWT_FILE="$secret/token" -- \
	--out "$work/inproc-mem" --repeat 2 --needle-hex "$sig_hex"
inproc "token file, failover and failures, memory wiped" 0 \
	STRAW_SERVERS="$refused,$silent,$garbage,$live" STRAW_JWT_FILE="$secret/token" STRAW_TIMEOUT=0.3 -- \
	--out "$work/inproc-mem2" --needle-hex "$sig_hex"
# The search must be able to see a token: in SLURM_JWT it is in memory for good.
(cd "$work" && env STRAW_SERVERS="$live" SLURM_JWT="$token" "$inproc" --out "$work/inproc-env" \
	--needle-hex "$sig_hex") >"$work/inproc-env.out" 2>&1
rc=$?
check_eq "the memory search finds a token that is in memory (SLURM_JWT)" "1:1" \
	"$rc:$(grep -c '^FAIL no copy of the token left in memory' "$work/inproc-env.out")"

# ---------------------------------------------------------------- strace
# Every descriptor straw makes is close-on-exec and every send to a
# controller carries MSG_NOSIGNAL, on success and on every kind of failure.
# awk prints one line per violation, then "sockets N sends N".
strace_check() {
	awk -v sanitized="$2" '
	sanitized && /^[0-9]+ +open(at)?\((AT_FDCWD, )?"\/proc\/self\/[a-z]+", O_RDONLY\)/ { next }
	{
		pid = $1
		line = $0
		sub(/^[0-9]+ +/, "", line)
		ret = line
		if (!sub(/.*\) += /, "", ret)) next
		r = ret + 0
		fail = (ret ~ /^-/)
	}
	line ~ /^socket\(/ && !fail {
		if (line !~ /SOCK_CLOEXEC/) print "no SOCK_CLOEXEC: " line
		if (line ~ /^socket\(AF_INET6?,/ && line ~ /SOCK_STREAM/) { tcp[pid "/" r] = 1; sockets++ }
	}
	line ~ /^(openat|open|memfd_create)\(/ && !fail && line !~ /O_CLOEXEC|MFD_CLOEXEC/ { print "not close-on-exec: " line }
	line ~ /^(accept|accept4)\(/ && !fail && line !~ /SOCK_CLOEXEC/ { print "accepted without SOCK_CLOEXEC: " line }
	line ~ /^(pipe|pipe2|socketpair)\(/ && !fail && line !~ /CLOEXEC/ { print "not close-on-exec: " line }
	line ~ /^(dup|dup2)\(/ && !fail { print "dup loses close-on-exec: " line }
	line ~ /^fcntl\([0-9]+, F_DUPFD,/ && !fail { print "F_DUPFD without CLOEXEC: " line }
	line ~ /^(sendto|sendmsg|sendmmsg|write|writev)\(/ {
		fd = line
		sub(/^[a-z]+\(/, "", fd)
		sub(/,.*/, "", fd)
		if (tcp[pid "/" fd]) {
			sends++
			if (line !~ /MSG_NOSIGNAL/) print "may raise SIGPIPE: " line
		}
	}
	line ~ /^close\(/ { fd = line; sub(/^close\(/, "", fd); sub(/\).*/, "", fd); delete tcp[pid "/" fd] }
	END { printf "sockets %d sends %d\n", sockets, sends }
	' "$1"
}

# Under ASan the runtime reads /proc/self/{maps,cmdline,environ,...} without
# O_CLOEXEC before main, and LeakSanitizer cannot run under ptrace: those
# opens are not straw's, and leak checks are for the other tests.
sanitized=0
if [ -n "${SANITIZE:-}" ] || ldd "$straw" 2>/dev/null | grep -q 'lib[at]san\|libubsan'; then
	sanitized=1
fi

# traced DESC EXIT VAR=VALUE... -- CMD...: CMD under strace with VARs set by
# strace itself (env(1) would be traced too, and it sets up locales).
n_traced=0
traced() {
	local desc=$1 want=$2 rc res envs=()
	shift 2
	[ "$sanitized" = 0 ] || envs+=(-E "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0")
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		envs+=(-E "$1")
		shift
	done
	shift
	n_traced=$((n_traced + 1))
	rm -f "$work/strace.txt"
	(cd "$work" && timeout -k 1 60 strace -f -qq -o "$work/strace.txt" "${envs[@]}" \
		-e trace=socket,socketpair,openat,open,memfd_create,accept,accept4,pipe,pipe2,dup,dup2,dup3,fcntl,sendto,sendmsg,sendmmsg,write,writev,close \
		"$@") >"$work/strace-$n_traced.out" 2>&1
	rc=$?
	check_eq "strace, $desc: straw exits $want" "$want" "$rc"
	res=$(strace_check "$work/strace.txt" "$sanitized")
	check_eq "strace, $desc: every descriptor close-on-exec, every send MSG_NOSIGNAL" "" \
		"$(printf '%s\n' "$res" | grep -v '^sockets ')"
	case $res in
	*"sockets 0 "* | *" sends 0") fail "strace, $desc: the trace saw a connection and a send" "$res" ;;
	*) ok "strace, $desc: the trace saw connections and sends (${res##*$'\n'})" ;;
	esac
}

if command -v strace >/dev/null 2>&1; then
	traced "refused, silent, real" 0 SLURM_JWT="$token" STRAW_TIMEOUT=0.3 -- \
		"$straw" -v -v -o "$work/strace-ok" "$refused" "$silent" "$live"
	traced "garbage only" 5 SLURM_JWT="$token" -- "$straw" -v -v -o "$work/strace-bad" "$garbage" 22.05
	traced "token file" 0 STRAW_JWT_FILE="$secret/token" -- "$straw" -v -v -o "$work/strace-file" "$live"
else
	fail "strace is installed (tests/cluster/install-deps.sh)"
fi

# ---------------------------------------------------------------- the token on disk and in output
# Fetches with -v -v, good and bad, from the environment and from a file;
# then no file under $work (outputs, captured stdout and stderr, the cache,
# inproc_fetch's logs) may hold the token or its signature.
n_run=0
straw_run() {
	n_run=$((n_run + 1))
	(cd "$work" && timeout -k 1 30 env "$@") >"$work/run-$n_run.stdout" 2>"$work/run-$n_run.stderr"
	echo $?
}
codes=
codes="$codes $(straw_run SLURM_JWT="$token" "$straw" -v -v -o "$work/tok-env" "$live")"
codes="$codes $(straw_run STRAW_JWT_FILE="$secret/token" "$straw" -v -v -o "$work/tok-file" "$live")"
codes="$codes $(straw_run SLURM_JWT="$token" "$straw" -v -v -o "$work/tok-fake" "127.0.0.1:${fake_port[ok]}")"
codes="$codes $(straw_run SLURM_JWT="$token" "$straw" -v -v -o "$work/tok-2411" "127.0.0.1:${fake_port[v2411]}")"
codes="$codes $(straw_run SLURM_JWT="$token" "$straw" -v -v -o "$work/tok-1007" "127.0.0.1:${fake_port[rc1007]}")"
codes="$codes $(straw_run SLURM_JWT="$token" "$straw" -v -v -o "$work/tok-names" "127.0.0.1:${fake_port[names]}")"
code=$(straw_run SLURM_JWT="$token" STRAW_TIMEOUT=0.3 "$straw" -v -v -o "$work/tok-fo" "$garbage" "$refused" "$silent")
[ "$code" -eq 0 ] || code=F
codes="$codes $code"
codes="$codes $(straw_run SLURM_JWT="$token" "$straw" -v -v -o "$work/tok-26" "$live" 26.05)"
# A token the controller refuses (bad signature) and one that is malformed.
bad=${token%.*}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
codes="$codes $(straw_run SLURM_JWT="$bad" "$straw" -v -v -o "$work/tok-bad" "$live")"
codes="$codes $(straw_run SLURM_JWT="${token}%" "$straw" -v -v -o "$work/tok-junk" "$live")"
check_eq "token runs: exit codes (real, file, fake, 24.11 fake, 1007, ../x, all failing, 26.05 forced, bad signature, junk)" \
	" 0 0 0 0 4 5 F 5 4 4" "$codes"
if [ -n "$(find "$STRAW_CACHE_DIR" -type f 2>/dev/null)" ]; then
	ok "the cache (inproc --cache) holds files to search"
else
	fail "the cache (inproc --cache) holds files to search" "$(find "$STRAW_CACHE_DIR" 2>&1 | head)"
fi
hits=$(grep -rlF -e "$token" -e "$sig" "$work" 2>/dev/null)
check_eq "the token is in no file: outputs, cache, captured stdout/stderr, logs" "" "$hits"
hits=$(grep -rlF -e "${sig:0:24}" "$work" 2>/dev/null)
check_eq "not even the first 24 characters of its signature" "" "$hits"
bad_sig=${bad##*.}
hits=$(grep -rlF -e "$bad_sig" -e "${token}%" "$work" 2>/dev/null)
check_eq "the refused and the malformed tokens are in no output either" "" "$hits"

finish
