#!/bin/bash
# test_fetch.sh - the straw command against the real loopback slurmctld 22.05,
# as an ordinary user in a "container" (no local Slurm config; no munge for
# the JWT runs): exactly the controller's files, byte for byte; the result
# drives an unmodified sinfo; every failure has its exit code.
set -u
. "$STRAW_TOP/tests/lib/common.sh"
cluster_up

. "$STRAW_TOP/tests/lib/valgrind.sh"
# $BUILD/bin/straw, or a wrapper running it under valgrind (STRAW_TEST_WRAPPER).
straw=$(straw_command)
user=$(straw_test_user)
conf_dir=$(dirname "$STRAW_TEST_CONF")
work=$(mktemp -d /tmp/straw-fetch.XXXXXX)
chmod 0777 "$work"
trap 'rm -rf "$work"; cluster_down' EXIT
token=$(token_for "$user" 600)

# same_files DIR: the folder holds exactly slurm.conf (identical to the
# controller's) and plugstack.conf (identical: empty here).
same_files() {
	local d=$1 desc=$2 list
	list=$(cd "$d" && ls -A | tr '\n' ' ')
	check_eq "$desc: exactly the client files" "plugstack.conf slurm.conf " "$list"
	check "$desc: slurm.conf byte-identical to the controller's" cmp "$conf_dir/slurm.conf" "$d/slurm.conf"
	check "$desc: plugstack.conf identical (empty)" cmp "$conf_dir/plugstack.conf" "$d/plugstack.conf"
	check_eq "$desc: slurm.conf mode 0644" "644" "$(stat -c %a "$d/slurm.conf")"
}

# --- JWT, no munge anywhere
out=$(SLURM_JWT=$token in_container --jwt --as "$user" -- "$straw" -v -o "$work/jwt" "$STRAW_TEST_SERVER" 2>&1); rc=$?
check_eq "JWT: straw exits 0" 0 "$rc"
[ "$rc" -eq 0 ] || diag "$out"
same_files "$work/jwt" "JWT"
check_contains "JWT: -v names the negotiated version" "$out" "protocol 22.05"
case $out in *"$token"*) fail "JWT: -v output never shows the token" ;; *) ok "JWT: -v output never shows the token" ;; esac
check_eq "JWT: files owned by the user" "$user" "$(stat -c %U "$work/jwt/slurm.conf")"

out=$(SLURM_JWT=$token SLURM_CONF=$work/jwt/slurm.conf in_container --jwt --as "$user" -- sinfo -h -o '%P %a' 2>&1); rc=$?
check_eq "JWT: unmodified sinfo works with the fetched slurm.conf" "0:debug* up" "$rc:$out"

# --- JWT from a file (STRAW_JWT_FILE), and auto picking it
printf '%s\n' "$token" >"$work/token"
chmod 0644 "$work/token"
out=$(STRAW_JWT_FILE=$work/token in_container --jwt --as "$user" -- "$straw" -o "$work/jwtfile" "$STRAW_TEST_SERVER" 2>&1); rc=$?
check_eq "JWT file: straw exits 0" "0" "$rc${out:+ $out}"
same_files "$work/jwtfile" "JWT file"

# --- munge (the cluster's munged, visible at the default socket path)
out=$(in_container --as "$user" -- "$straw" -v --auth munge -o "$work/munge" "$STRAW_TEST_SERVER" 2>&1); rc=$?
check_eq "munge: straw exits 0" 0 "$rc"
[ "$rc" -eq 0 ] || diag "$out"
same_files "$work/munge" "munge"
out=$(SLURM_CONF=$work/munge/slurm.conf in_container --as "$user" -- sinfo -h -o '%P %a' 2>&1); rc=$?
check_eq "munge: unmodified sinfo works with the fetched slurm.conf" "0:debug* up" "$rc:$out"

# --- older protocol versions the 22.05 controller still speaks (other layouts)
out=$(SLURM_JWT=$token in_container --jwt --as "$user" -- "$straw" -o "$work/v2108" "$STRAW_TEST_SERVER" 21.08 2>&1); rc=$?
check_eq "21.08 layout (header A, list): exit 0" "0" "$rc${out:+ $out}"
check "21.08: slurm.conf identical" cmp "$conf_dir/slurm.conf" "$work/v2108/slurm.conf"
out=$(in_container --as "$user" -- "$straw" --auth munge -o "$work/v2011" "$STRAW_TEST_SERVER" 20.11 2>&1); rc=$?
check_eq "20.11 layout (fixed strings, munge NONE payload): exit 0" "0" "$rc${out:+ $out}"
check "20.11: slurm.conf identical" cmp "$conf_dir/slurm.conf" "$work/v2011/slurm.conf"

# --- failures, each with its exit code
out=$(SLURM_JWT=$token in_container --jwt --as "$user" -- "$straw" -o "$work/new" "$STRAW_TEST_SERVER" 26.05 2>&1); rc=$?
check_eq "a version forced too new: protocol exit code 5" 5 "$rc"
check_contains "too new: the message says so" "$out" "26.05"
[ ! -e "$work/new/slurm.conf" ] && ok "too new: nothing written" || fail "too new: nothing written"

bad=$(printf '%s' "$token" | sed 's/.$/A/;s/\.[^.]*$/.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/')
out=$(SLURM_JWT=$bad in_container --jwt --as "$user" -- "$straw" -o "$work/bad" "$STRAW_TEST_SERVER" 2>&1); rc=$?
check_eq "a token with a bad signature: auth exit code 4" 4 "$rc"
diag "$out"

out=$(STRAW_DNS_SRV=0 SLURM_JWT=$token in_container --jwt --as "$user" -- "$straw" -o "$work/none" 2>&1); rc=$?
check_eq "no controller named: usage exit code 2" 2 "$rc"

port=1 # nothing listens on a privileged port this low on loopback
out=$(SLURM_JWT=$token in_container --jwt --as "$user" -- "$straw" -o "$work/refused" "127.0.0.1:$port" 2>&1); rc=$?
check_eq "a refused connection: unreachable exit code 3" 3 "$rc"
check_contains "refused: the message names the controller" "$out" "127.0.0.1:$port"

out=$(in_container --jwt --as "$user" -- "$straw" -o "$work/nocred" "$STRAW_TEST_SERVER" 2>&1); rc=$?
check_eq "no token and no munge socket: auth exit code 4" 4 "$rc"
diag "$out"

# --- failover: a refused controller first, then the live one
out=$(SLURM_JWT=$token in_container --jwt --as "$user" -- "$straw" -o "$work/failover" "127.0.0.1:$port" "$STRAW_TEST_SERVER" 2>&1); rc=$?
check_eq "refused controller first: the next one answers" "0" "$rc${out:+ $out}"

# --- an existing folder is updated in place; stale files the controller lacks are removed
mkdir -p "$work/update" && echo old >"$work/update/topology.conf" && echo keep >"$work/update/mine.txt"
chown -R "$user" "$work/update"
out=$(SLURM_JWT=$token in_container --jwt --as "$user" -- "$straw" -o "$work/update" "$STRAW_TEST_SERVER" 2>&1); rc=$?
check_eq "update in place: exit 0" "0" "$rc${out:+ $out}"
[ ! -e "$work/update/topology.conf" ] && ok "update: topology.conf (exists=0) removed" || fail "update: topology.conf (exists=0) removed"
[ -e "$work/update/mine.txt" ] && ok "update: unrelated files kept" || fail "update: unrelated files kept"

straw_wrapper_check
finish
