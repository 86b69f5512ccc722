#!/bin/bash
# test_env_token_exec.sh - `straw token`, `straw env` and `straw exec`
# against the real loopback slurmctld 22.05, as the ordinary user
# "strawtest" in a "container" with no munge: a minted token is accepted
# by the controller (straw's fetch and Slurm's own commands); `eval` of
# straw env's output drives an unmodified sinfo; straw exec runs sinfo
# through the loader; a token expiring within the cache TTL gets exactly
# one warning; an expired one is a local error.  No output shows a token.
set -u
. "$STRAW_TOP/tests/lib/common.sh"
cluster_up

. "$STRAW_TOP/tests/lib/valgrind.sh"
# $BUILD/bin/straw, or a wrapper running it under valgrind (STRAW_TEST_WRAPPER).
straw=$(straw_command)
user=$(straw_test_user)
work=$(mktemp -d /tmp/straw-envtok.XXXXXX)
chmod 1777 "$work"
trap 'rm -rf "$work"; cluster_down' EXIT
dead="127.0.0.1:$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
# Under an ASan build the loader needs the sanitizer runtime first in LD_PRELOAD.
asan=
case ${SANITIZE:-} in
*address*)
	asan=$(gcc -print-file-name=libasan.so)
	export ASAN_OPTIONS=detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}
	;;
esac

# claim TOKEN NAME: a claim of the token's payload.
claim() {
	python3 -c 'import base64, json, sys; p = sys.argv[1].split(".")[1]; print(json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))[sys.argv[2]])' "$1" "$2"
}

# no_secret DESC TEXT TOKEN
no_secret() {
	case $2 in
	*"$3"* | *"${3##*.}"*) fail "$1" ;;
	*) ok "$1" ;;
	esac
}

# in the JWT container, as the user, with the token and a private cache
ctr() {
	local tok=$1 cache=$2
	shift 2
	SLURM_JWT=$tok STRAW_SERVERS=${SERVERS:-$STRAW_TEST_SERVER} STRAW_CACHE_DIR=$work/$cache \
		in_container --jwt --as "$user" -- "$@"
}

# ---------------------------------------------------------------- token
check_eq "the cluster's key is private (0600)" "600" "$(stat -c %a "$STRAW_TEST_JWT_KEY")"
token=$("$straw" token --key "$STRAW_TEST_JWT_KEY" --user "$user" 2>"$work/err"); rc=$?
check_eq "token: exit 0" 0 "$rc"
check_eq "token: nothing on stderr" "" "$(cat "$work/err")"
check_eq "token: one line, three parts" "1 3" "$(printf '%s\n' "$token" | wc -l) $(printf '%s' "$token" | awk -F. '{ print NF }')"
check_eq "token: sun is the user" "$user" "$(claim "$token" sun)"
check_eq "token: default lifetime 1800 s" 1800 "$(( $(claim "$token" exp) - $(claim "$token" iat) ))"
short=$("$straw" token --key "$STRAW_TEST_JWT_KEY" --user "$user" --lifetime 120)
check_eq "token --lifetime 120" 120 "$(( $(claim "$short" exp) - $(claim "$short" iat) ))"

out=$(ctr "$token" c-fetch "$straw" -o "$work/fetched" 2>&1); rc=$?
check_eq "token: accepted by the controller (straw fetch)" "0" "$rc${out:+ $out}"
out=$(SLURM_JWT=$token SLURM_CONF=$work/fetched/slurm.conf in_container --jwt --as "$user" -- sinfo -h -o '%P %a' 2>&1); rc=$?
check_eq "token: accepted by Slurm's own sinfo" "0:debug* up" "$rc:$out"

cp "$STRAW_TEST_JWT_KEY" "$work/open.key"
chmod 0640 "$work/open.key"
out=$("$straw" token --key "$work/open.key" --user "$user" 2>"$work/err"); rc=$?
check_eq "token: a group-readable key is refused (exit 2)" 2 "$rc"
check_eq "token: nothing on stdout then" "" "$out"
check_contains "token: the message names the mode" "$(cat "$work/err")" "mode 0640"
check_contains "token: and the fix" "$(cat "$work/err")" "chmod 600 $work/open.key"
"$straw" token --key "$STRAW_TEST_JWT_KEY" >/dev/null 2>&1; rc=$?
check_eq "token: --user missing is a usage error" 2 "$rc"
"$straw" token --key "$STRAW_TEST_JWT_KEY" --user "$user" --lifetime -5 >/dev/null 2>&1; rc=$?
check_eq "token: a negative lifetime is a usage error" 2 "$rc"

# ---------------------------------------------------------------- env
out=$(ctr "$token" c-env "$straw" env 2>"$work/err"); rc=$?
check_eq "env: exit 0" 0 "$rc"
check_eq "env: one line on stdout" 1 "$(printf '%s\n' "$out" | wc -l)"
case $out in
"export SLURM_CONF='$work/c-env/"*"/conf/slurm.conf'") ok "env: an sh export of the cache's slurm.conf" ;;
*) fail "env: an sh export of the cache's slurm.conf" "$out" ;;
esac
no_secret "env: no token on stdout or stderr" "$out$(cat "$work/err")" "$token"
# shellcheck disable=SC2016
out=$(ctr "$token" c-env sh -c 'eval "$("$0" env)" && test -f "$SLURM_CONF" && sinfo -h -o "%P %a"' "$straw" 2>&1); rc=$?
check_eq "env: eval, then unmodified sinfo works" "0:debug* up" "$rc:$out"
out=$(ctr "$token" c-env "$straw" env --shell csh 2>&1)
case $out in "setenv SLURM_CONF '$work/c-env/"*"'") ok "env --shell csh" ;; *) fail "env --shell csh" "$out" ;; esac
out=$(ctr "$token" c-env "$straw" env --shell fish 2>&1)
case $out in "set -gx SLURM_CONF '$work/c-env/"*"'") ok "env --shell fish" ;; *) fail "env --shell fish" "$out" ;; esac
ctr "$token" c-env "$straw" env --shell cmd >/dev/null 2>&1; rc=$?
check_eq "env: an unknown shell is a usage error" 2 "$rc"
out=$(SERVERS=$dead ctr "$token" c-dead "$straw" env 2>"$work/err"); rc=$?
check_eq "env: a stopped controller, no cache: exit 3" 3 "$rc"
check_eq "env: nothing on stdout then" "" "$out"

# ---------------------------------------------------------------- the token's lifecycle
soon=$("$straw" token --key "$STRAW_TEST_JWT_KEY" --user "$user" --lifetime 120)
out=$(STRAW_TTL=600 ctr "$soon" c-soon "$straw" env 2>"$work/err"); rc=$?
check_eq "expiring token: env still works" 0 "$rc"
check_eq "expiring token: exactly one warning" 1 "$(grep -c 'expires in' "$work/err")"
check_contains "expiring token: it says why" "$(cat "$work/err")" "before this copy of the configuration goes stale (TTL 600 s)"
no_secret "expiring token: the warning does not show it" "$(cat "$work/err")" "$soon"
out=$(STRAW_TTL=600 ctr "$soon" c-soon "$straw" env 2>"$work/err"); rc=$?
check_eq "expiring token: a fresh cache says nothing more" "0 0" "$rc $(grep -c 'expires in' "$work/err")"
# the loader, on a cold cache: one warning for the one fetch
out=$(STRAW_TTL=600 ctr "$soon" c-soon-loader env LD_PRELOAD="${asan:+$asan }$BUILD/lib/libstraw-preload.so" \
	sinfo -h -o '%P %a' 2>"$work/err"); rc=$?
check_eq "expiring token, loader: sinfo works" "0:debug* up" "$rc:$out"
check_eq "expiring token, loader: one warning" 1 "$(grep -c '^straw: .*expires in' "$work/err")"

old=$("$straw" token --key "$STRAW_TEST_JWT_KEY" --user "$user" --lifetime 1)
sleep 2
out=$(ctr "$old" c-old "$straw" env 2>"$work/err"); rc=$?
check_eq "expired token: env fails with exit 4" 4 "$rc"
check_contains "expired token: a clear local error" "$(cat "$work/err")" "token expired at"
no_secret "expired token: not shown" "$(cat "$work/err")" "$old"

# ---------------------------------------------------------------- exec
# (an ASan build's loader needs the runtime first: straw exec keeps it there)
sx="env ${asan:+LD_PRELOAD=$asan} $straw"
out=$(ctr "$token" c-exec $sx exec sinfo -h -o '%P %a' 2>&1); rc=$?
check_eq "exec: unmodified sinfo through the loader" "0:debug* up" "$rc:$out"
# shellcheck disable=SC2016
out=$(ctr "$token" c-exec env LD_PRELOAD="${asan:+$asan }/opt/none/libother.so" "$straw" exec sh -c 'printf %s "$LD_PRELOAD"' 2>/dev/null)
want="$(cd "$BUILD/lib" && pwd -P)/libstraw-preload.so:/opt/none/libother.so"
[ -n "$asan" ] && want="$asan:$want"
check_eq "exec: the loader is prepended, other entries kept" "$want" "$out"
ctr "$token" c-exec $sx exec sh -c 'exit 7' >/dev/null 2>&1; rc=$?
check_eq "exec: the command's exit status" 7 "$rc"
out=$(ctr "$token" c-exec $sx exec no-such-command-here 2>&1); rc=$?
check_eq "exec: command not found is 127" 127 "$rc"
check_contains "exec: and says so" "$out" "no-such-command-here: command not found"
ctr "$token" c-exec "$straw" exec >/dev/null 2>&1; rc=$?
check_eq "exec: no command is a usage error" 2 "$rc"

straw_wrapper_check
finish
