#!/bin/bash
# measure.sh - the measurements of `make bench`, run by bench/run.sh inside a
# private mount namespace where /etc/slurm, /run/slurm, /run/munge and the
# cluster's munge folder are empty: no local Slurm config and no munge, a
# JWT-only "container" as far as Slurm can tell.  Raw results go to
# $BENCH_WORK; bench/report.py turns them into the table.
#
# Not run by hand: bench/run.sh sets BENCH_* and the cluster's variables.
set -eu

: "${BENCH_WORK:?}" "${BENCH_SHM:?}" "${BENCH_BUILD:?}" "${BENCH_TOKEN:?}"
: "${STRAW_TEST_SERVER:?}" "${STRAW_TEST_CONF:?}" "${STRAW_TEST_MUNGE_SOCKET:?}"
runs=${BENCH_RUNS:-100}
herd_n=${BENCH_HERD:-200}
herd_trials=${BENCH_HERD_TRIALS:-3}
refused_port=${BENCH_REFUSED_PORT:-32819}
blackhole_port=${BENCH_BLACKHOLE_PORT:-32820}

here=$(cd "$(dirname "$0")" && pwd)
w=$BENCH_WORK
preload=$BENCH_BUILD/lib/libstraw-preload.so
straw=$BENCH_BUILD/bin/straw
brun=$BENCH_BUILD/bench/brun
firstconf=$BENCH_BUILD/bench/firstconf
empty=$BENCH_BUILD/bench/libempty.so
server=$STRAW_TEST_SERVER
python=/usr/bin/python3

say() {
	printf 'bench: %s\n' "$*" >&2
}

die() {
	say "$*"
	exit 1
}

# --- the "container" --------------------------------------------------------
for d in /etc/slurm /run/slurm /run/munge "${STRAW_TEST_MUNGE_SOCKET%/*}"; do
	mount -t tmpfs -o mode=0755,size=4m bench-hidden "$d"
done

# Every client starts from this environment and nothing else: the caller's
# STRAW_* or SLURM_* never leak in.
cenv=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C "SLURM_JWT=$BENCH_TOKEN")

# REQUEST_CONFIG RPCs the controller has counted so far (sdiag, authenticated
# by the same root JWT; SLURM_CONF set, so sdiag itself asks for no config).
rpcs() {
	local out
	out=$("${cenv[@]}" SLURM_CONF="$STRAW_TEST_CONF" sdiag) || die "sdiag failed"
	printf '%s\n' "$out" | sed -n 's/^[[:space:]]*REQUEST_CONFIG .*count:\([0-9]*\).*/\1/p' |
		grep . || echo 0
}

# hf NAME BLOCKS RUNS PREPARE LABEL CMD [LABEL CMD]...: hyperfine, in BLOCKS
# short batches of RUNS runs of each command (order rotating from batch to
# batch), so that a burst of load from others on a shared machine falls on
# every command alike; report.py pools the batches' times by LABEL.  The
# commands run with the environment "${cenv[@]}" "${hfenv[@]}".
hfenv=()
hf() {
	local name=$1 blocks=$2 n=$3 prep=$4 b i j k
	local -a labels=() cmds=() args
	shift 4
	while [ $# -ge 2 ]; do
		labels+=("$1")
		cmds+=("$2")
		shift 2
	done
	k=${#labels[@]}
	for b in $(seq 0 $((blocks - 1))); do
		args=()
		for i in $(seq 0 $((k - 1))); do
			j=$(((b + i) % k))
			args+=(-n "${labels[$j]}" "${cmds[$j]}")
		done
		"${cenv[@]}" "${hfenv[@]}" hyperfine -N --style basic --warmup 1 --runs "$n" \
			--output null --prepare "$prep" --export-json "$w/$name-b$b.json" "${args[@]}" \
			>>"$w/$name.log" 2>&1 || die "hyperfine ($name) failed: $(tail -5 "$w/$name.log")"
	done
}

# --- set-up: the local copy and a warm cache --------------------------------
local_dir=$BENCH_SHM/local
cache=$BENCH_SHM/cache
mkdir -m 0700 "$cache"
"${cenv[@]}" "$straw" -o "$local_dir" "$server" 2>"$w/setup.err" ||
	die "straw -o could not fetch the local copy: $(cat "$w/setup.err")"
local_conf=$local_dir/slurm.conf
loader_env=(LD_PRELOAD="$preload" STRAW_CACHE_DIR="$cache" SLURM_CONF_SERVER="$server")

# Warm the cache, and prove the warm path is taken (no engine, no fetch).
"${cenv[@]}" "${loader_env[@]}" sinfo >/dev/null 2>"$w/setup.err" || die "loader sinfo failed: $(cat "$w/setup.err")"
"${cenv[@]}" "${loader_env[@]}" STRAW_DEBUG=1 sinfo >/dev/null 2>"$w/warm.debug" || die "loader sinfo failed"
grep -q 'fresh copy' "$w/warm.debug" || die "the warm loader did not take the fresh-copy path: $(cat "$w/warm.debug")"
# The three variants must all work here before they are timed.
"${cenv[@]}" SLURM_CONF="$local_conf" sinfo >/dev/null 2>"$w/setup.err" || die "local sinfo failed: $(cat "$w/setup.err")"
"${cenv[@]}" SLURM_CONF_SERVER="$server" sinfo >/dev/null 2>"$w/setup.err" || die "stock configless sinfo failed: $(cat "$w/setup.err")"

# --- rows 1 and 2: warm loader vs local file vs stock, interleaved -------------
say "rows 1-2: sinfo, $runs interleaved rounds of local / loader / stock"
c0=$(rpcs)
"${cenv[@]}" "$brun" seq -n "$runs" -w 3 -e "$w/r12.err" \
	local SLURM_CONF="$local_conf" sinfo ::: \
	loader "${loader_env[@]}" sinfo ::: \
	stock SLURM_CONF_SERVER="$server" sinfo >"$w/r12.tsv"
c1=$(rpcs)
echo "$((c1 - c0)) $((runs + 3))" >"$w/r12.rpcs"

# Instructions of one warm sinfo (deterministic, unlike wall time on a shared
# machine): local file; local file with an empty library preloaded (what
# LD_PRELOAD itself costs); through the loader.
for v in local empty loader; do
	case $v in
	local) set -- SLURM_CONF="$local_conf" ;;
	empty) set -- SLURM_CONF="$local_conf" LD_PRELOAD="$empty" ;;
	loader) set -- "${loader_env[@]}" ;;
	esac
	for i in 1 2; do
		"${cenv[@]}" "$@" valgrind --tool=callgrind --callgrind-out-file="$w/r1-sinfo-$v-$i.cg" \
			sinfo >/dev/null 2>>"$w/r1-valgrind.log"
	done
done

# --- row 3: REQUEST_CONFIG per 100 commands -------------------------------------
say "row 3: REQUEST_CONFIG for 100 sinfo through the loader, then 100 stock"
c0=$(rpcs)
"${cenv[@]}" "$brun" seq -n 100 -e "$w/r3.err" loader "${loader_env[@]}" sinfo >"$w/r3-loader.tsv"
c1=$(rpcs)
"${cenv[@]}" "$brun" seq -n 100 -e "$w/r3.err" stock SLURM_CONF_SERVER="$server" sinfo >"$w/r3-stock.tsv"
c2=$(rpcs)
echo "$((c1 - c0)) $((c2 - c1))" >"$w/r3.rpcs"

# --- row 8: peak RSS (GNU time -v), interleaved ---------------------------------
say "row 8: peak RSS of sinfo, loader vs local file"
: >"$w/r8.tsv"
for i in $(seq 1 20); do
	for v in local loader; do
		if [ "$v" = local ]; then
			set -- SLURM_CONF="$local_conf"
		else
			set -- "${loader_env[@]}"
		fi
		"${cenv[@]}" "$@" /usr/bin/time -v -o "$w/r8.one" sinfo >/dev/null 2>>"$w/r8.err"
		kb=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$w/r8.one")
		echo "$v $i $kb" >>"$w/r8.tsv"
	done
done

# --- row 4: cold straw -o DIR vs one sinfo with a local file (hyperfine) -----
say "row 4: cold straw -o DIR (JWT) vs sinfo with a local file"
out4=$BENCH_SHM/out4
cold4=$BENCH_SHM/cold4
# One environment for both: sinfo reads SLURM_CONF; straw is given its
# controller and writes to a folder that the preparation removes each time.
hfenv=(SLURM_CONF="$local_conf" STRAW_CACHE_DIR="$cold4")
hf r4 10 3 "rm -rf $out4 $cold4" \
	sinfo-local "sinfo" \
	straw-cold "$straw -o $out4 $server" \
	straw-cold-version "$straw -o $out4 $server 22.05"

# --- row 7: failover costs (hyperfine) ------------------------------------------
say "row 7: straw with a refused / an unreachable primary"
[ -z "$(ss -Hltn "sport = :$refused_port")" ] || die "port $refused_port is in use; set BENCH_REFUSED_PORT"
[ -z "$(ss -Hltn "sport = :$blackhole_port")" ] || die "port $blackhole_port is in use; set BENCH_BLACKHOLE_PORT"
"$python" "$here/blackhole.py" "$blackhole_port" 300 >"$w/blackhole.out" 2>"$w/blackhole.err" &
bh_pid=$!
trap 'kill "$bh_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
	grep -q ready "$w/blackhole.out" 2>/dev/null && break
	kill -0 "$bh_pid" 2>/dev/null || die "blackhole.py: $(cat "$w/blackhole.err")"
	sleep 0.1
done
grep -q ready "$w/blackhole.out" || die "blackhole.py did not get ready"
out7=$BENCH_SHM/out7
# With the version given (one round trip: the failover cost alone, not
# drowned in the controller's ~10 ms per refused version), then negotiated.
for mode in version auto; do
	proto=
	[ "$mode" = auto ] || proto=" 22.05"
	hfenv=(STRAW_CACHE_DIR="$BENCH_SHM/cold7")
	hf "r7-$mode" 10 3 "rm -rf $out7" \
		live "$straw -o $out7 $server$proto" \
		refused "$straw -o $out7 127.0.0.1:$refused_port $server$proto" \
		unreachable "$straw -o $out7 127.0.0.1:$blackhole_port $server$proto"
done
# The listener must still be full: a connect to it still hangs.
"$python" - "$blackhole_port" >"$w/blackhole.check" <<'EOF'
import socket, sys
s = socket.socket()
s.settimeout(0.5)
try:
    s.connect(("127.0.0.1", int(sys.argv[1])))
    print("connected")
except socket.timeout:
    print("hang")
except OSError as e:
    print("error", e.errno)
EOF
kill "$bh_pid" 2>/dev/null || true
wait "$bh_pid" 2>/dev/null || true
trap - EXIT

# --- row 5: 200 processes on a cold cache ---------------------------------------
say "row 5: $herd_n processes at once on a cold cache, $herd_trials trials"
: >"$w/r5.rpcs"
for t in $(seq 1 "$herd_trials"); do
	hc=$BENCH_SHM/herd$t
	mkdir -m 0700 "$hc"
	c0=$(rpcs)
	"${cenv[@]}" "$brun" herd -n "$herd_n" -e "$w/r5.err" -o "$w/r5-cold$t.out" \
		herd LD_PRELOAD="$preload" STRAW_CACHE_DIR="$hc" SLURM_CONF_SERVER="$server" \
		"$firstconf" >"$w/r5-cold$t.brun"
	c1=$(rpcs)
	echo "$t $((c1 - c0))" >>"$w/r5.rpcs"
done
# The same herd with the protocol version given: the fetch takes one round
# trip instead of stepping down from the newest version.
hv=$BENCH_SHM/herdv
mkdir -m 0700 "$hv"
c0=$(rpcs)
"${cenv[@]}" STRAW_PROTOCOL=22.05 "$brun" herd -n "$herd_n" -e "$w/r5.err" -o "$w/r5-version.out" \
	herd LD_PRELOAD="$preload" STRAW_CACHE_DIR="$hv" SLURM_CONF_SERVER="$server" \
	"$firstconf" >"$w/r5-version.brun"
c1=$(rpcs)
echo "$((c1 - c0))" >"$w/r5-version.rpcs"
# Baselines on the last trial's now warm cache: one process at a time, and
# (for the note) the same herd with nothing to fetch.
: >"$w/r5-warm1.out"
: >"$w/r5-warm1.brun"
for _ in $(seq 1 30); do
	"${cenv[@]}" "$brun" herd -n 1 -e "$w/r5.err" -o "$w/r5-warm1.out" \
		herd LD_PRELOAD="$preload" STRAW_CACHE_DIR="$hc" SLURM_CONF_SERVER="$server" \
		"$firstconf" >>"$w/r5-warm1.brun"
done
c0=$(rpcs)
"${cenv[@]}" "$brun" herd -n "$herd_n" -e "$w/r5.err" -o "$w/r5-warmherd.out" \
	herd LD_PRELOAD="$preload" STRAW_CACHE_DIR="$hc" SLURM_CONF_SERVER="$server" \
	"$firstconf" >"$w/r5-warmherd.brun"
c1=$(rpcs)
echo "$((c1 - c0))" >"$w/r5-warmherd.rpcs"

# --- row 6: processes that never ask for Slurm config --------------------------
say "row 6: /bin/true and python3 -c pass under callgrind and strace"
for prog in true python; do
	if [ "$prog" = true ]; then
		set -- /bin/true
	else
		set -- "$python" -c pass
	fi
	for v in plain loader empty; do
		case $v in
		plain) ld=() ;;
		loader) ld=(LD_PRELOAD="$preload") ;;
		empty) ld=(LD_PRELOAD="$empty") ;;
		esac
		for i in 1 2 3; do
			"${cenv[@]}" SLURM_CONF_SERVER="$server" "${ld[@]}" \
				valgrind --tool=callgrind --callgrind-out-file="$w/r6-$prog-$v-$i.cg" \
				"$@" 2>>"$w/r6-valgrind.log"
		done
		[ "$v" != empty ] || continue
		"${cenv[@]}" SLURM_CONF_SERVER="$server" "${ld[@]}" \
			strace -f -c -o "$w/r6-$prog-$v.strace-c" "$@"
		"${cenv[@]}" SLURM_CONF_SERVER="$server" "${ld[@]}" \
			strace -f -o "$w/r6-$prog-$v.strace" "$@"
	done
done
say "measurements done"
