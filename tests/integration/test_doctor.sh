#!/bin/bash
# test_doctor.sh - `straw doctor` against the real loopback slurmctld 22.05,
# as the ordinary user "strawtest" in a "container": a live controller
# reports the negotiated version and exits 0 (JWT and munge); a closed port
# exits 3 naming the refused connection; failover, an expired token, a
# local slurm.conf shadowing the controllers, a missing SLURM_CONF, no
# source at all; and the token never appears in any output.
set -u
. "$STRAW_TOP/tests/lib/common.sh"
cluster_up

. "$STRAW_TOP/tests/lib/valgrind.sh"
# $BUILD/bin/straw, or a wrapper running it under valgrind (STRAW_TEST_WRAPPER).
straw=$(straw_command)
user=$(straw_test_user)
token=$(token_for "$user" 900)
work=$(mktemp -d /tmp/straw-doctor.XXXXXX)
chmod 1777 "$work"
trap 'rm -rf "$work"; cluster_down' EXIT
# A loopback port nobody listens on: bound by the kernel's choice, then closed.
dead="127.0.0.1:$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
# Under an ASan build the loader needs the sanitizer runtime first in LD_PRELOAD.
asan=
case ${SANITIZE:-} in
*address*)
	asan=$(gcc -print-file-name=libasan.so)
	export ASAN_OPTIONS=detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}
	;;
esac

# json EXPR: evaluate EXPR (Python, the document is d) over stdin.
json() {
	python3 -c 'import json, sys; d = json.load(sys.stdin); v = eval(sys.argv[1]); print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)' "$1"
}

# no_token DESC TEXT: TEXT never shows the token (nor its signature).
no_token() {
	case $2 in
	*"$token"* | *"${token##*.}"*) fail "$1" ;;
	*) ok "$1" ;;
	esac
}

# doctor [ENV=VAL...] -- ARGS: doctor in the JWT container as the user.
jwt_doctor() {
	SLURM_JWT=$token STRAW_CACHE_DIR=$work/cache-jwt in_container --jwt --as "$user" -- "$straw" doctor "$@"
}

# --- a live controller, JWT, no munge anywhere
out=$(STRAW_SERVERS=$STRAW_TEST_SERVER jwt_doctor --json 2>"$work/err"); rc=$?
check_eq "live (JWT): exit 0" 0 "$rc"
[ "$rc" -eq 0 ] || diag "$out" "$(cat "$work/err")"
check_eq "live: the document is valid JSON and says ok" "true" "$(printf '%s' "$out" | json 'd["ok"]')"
check_eq "live: negotiated version 22.05" "22.05" "$(printf '%s' "$out" | json 'd["controllers"][0]["protocol"]')"
check_eq "live: every step ok" "ok ok ok ok ok" \
	"$(printf '%s' "$out" | json '" ".join(d["controllers"][0][k] for k in ("resolve", "connect", "version", "auth", "configless"))')"
check_eq "live: the cluster served is named" "straw" "$(printf '%s' "$out" | json 'd["controllers"][0]["cluster_name"]')"
check_eq "live: source is the controllers, from STRAW_SERVERS" "controllers STRAW_SERVERS" \
	"$(printf '%s' "$out" | json 'd["source"]["winner"] + " " + d["source"]["servers_from"]')"
check_eq "live: token user and source" "$user SLURM_JWT" "$(printf '%s' "$out" | json 'd["token"]["user"] + " " + d["token"]["source"]')"
left=$(printf '%s' "$out" | json 'd["token"]["expires_in"]')
[ "$left" -gt 800 ] 2>/dev/null && [ "$left" -le 900 ] && ok "live: token expiry read ($left s left)" || fail "live: token expiry read" "$left"
check_eq "live: no failed check" "[]" "$(printf '%s' "$out" | json '[c["id"] for c in d["checks"] if c["status"] == "fail"]')"
check_eq "live: cache folder is the user's, 0700" "$(id -u "$user") 0700" \
	"$(printf '%s' "$out" | json 'str(d["cache"]["owner"]) + " " + d["cache"]["mode"]')"
no_token "live: --json never shows the token" "$out$(cat "$work/err")"

out=$(STRAW_SERVERS=$STRAW_TEST_SERVER jwt_doctor -v 2>&1); rc=$?
check_eq "live, human: exit 0" 0 "$rc"
check_contains "live, human: the version line" "$out" "speaks protocol 22.05"
check_contains "live, human: OK lines" "$out" "OK    auth $STRAW_TEST_SERVER: accepts the auth/jwt credential"
check_contains "live, human: a verdict" "$out" "result: a Slurm command would work here"
no_token "live, human: never shows the token" "$out"

# --- munge (the cluster's munged at the default socket path)
out=$(STRAW_SERVERS=$STRAW_TEST_SERVER STRAW_CACHE_DIR=$work/cache-munge in_container --as "$user" -- "$straw" doctor --json 2>&1); rc=$?
check_eq "live (munge): exit 0" 0 "$rc"
check_eq "munge: auth/munge accepted at 22.05" "munge ok 22.05" \
	"$(printf '%s' "$out" | json 'd["controllers"][0]["auth_type"] + " " + d["controllers"][0]["auth"] + " " + d["controllers"][0]["protocol"]')"
check_eq "munge: the socket answers" "true" "$(printf '%s' "$out" | json 'd["munge"]["answers"]')"

# --- a stopped controller: a closed loopback port
out=$(STRAW_SERVERS=$dead jwt_doctor --json 2>&1); rc=$?
check_eq "stopped: exit 3 (unreachable)" 3 "$rc"
check_eq "stopped: the document says so" "false 3" "$(printf '%s' "$out" | json 'str(d["ok"]).lower() + " " + str(d["exit_code"])')"
check_eq "stopped: connect failed, later steps skipped" "ok failed skipped" \
	"$(printf '%s' "$out" | json '" ".join(d["controllers"][0][k] for k in ("resolve", "connect", "version"))')"
check_contains "stopped: names the connection failure" "$(printf '%s' "$out" | json 'd["controllers"][0]["error"]')" "Connection refused"
out=$(STRAW_SERVERS=$dead jwt_doctor 2>&1); rc=$?
check_eq "stopped, human: exit 3" 3 "$rc"
check_contains "stopped, human: a FAIL line naming the controller and the refusal" "$out" "FAIL  connect $dead: TCP connect to 127.0.0.1 failed: Connection refused"
check_contains "stopped, human: with a fix" "$out" "fix: start slurmctld"

# --- failover: the dead one is a warning when the next one answers
out=$(STRAW_SERVERS="$dead,$STRAW_TEST_SERVER" jwt_doctor --json 2>&1); rc=$?
check_eq "failover: exit 0" 0 "$rc"
check_eq "failover: first refused (warn), second answers" "warn ok" \
	"$(printf '%s' "$out" | json '[c["status"] for c in d["checks"] if c["id"] == "connect"][0] + " " + d["controllers"][1]["configless"]')"

# --- answers a live controller can give, from the scripted fake controller
fakectld=$BUILD/tests/fakectld
[ -x "$fakectld" ] || make -s -C "$STRAW_TOP/tests" BUILD="$BUILD" SANITIZE="${SANITIZE:-}" "$fakectld" >"$work/make.log" 2>&1
# fake SCENARIO [ARG...]: start it on a free port (into port); it ends by itself.
fake() {
	local pf=$work/fake.port i=0
	rm -f "$pf"
	"$fakectld" --port 0 --lifetime 60 --scenario "$@" >"$pf" 2>"$work/fake.log" &
	fake_pid=$!
	while [ ! -s "$pf" ] && [ "$i" -lt 500 ]; do
		sleep 0.01
		i=$((i + 1))
	done
	port=$(head -n 1 "$pf")
}
if [ -x "$fakectld" ]; then
	fake rc 2126
	out=$(STRAW_SERVERS=127.0.0.1:$port jwt_doctor --json 2>&1); rc=$?
	kill "$fake_pid" 2>/dev/null; wait "$fake_pid" 2>/dev/null
	check_eq "configless off: exit 6" 6 "$rc"
	check_eq "configless off: version and auth ok, configless failed, rc 2126" "ok ok failed 2126" \
		"$(printf '%s' "$out" | json '" ".join(str(d["controllers"][0][k]) for k in ("version", "auth", "configless", "slurm_rc"))')"
	check_contains "configless off: the fix names enable_configless" \
		"$(printf '%s' "$out" | json '[c["fix"] for c in d["checks"] if c["id"] == "configless"][0]')" "enable_configless"
	fake standby 2027
	out=$(STRAW_SERVERS=127.0.0.1:$port jwt_doctor 2>&1); rc=$?
	kill "$fake_pid" 2>/dev/null; wait "$fake_pid" 2>/dev/null
	check_eq "only a standby controller: exit 3" 3 "$rc"
	check_contains "standby: said" "$out" "ESLURM_IN_STANDBY_MODE"
	fake http405
	out=$(STRAW_SERVERS=127.0.0.1:$port jwt_doctor 2>&1); rc=$?
	kill "$fake_pid" 2>/dev/null; wait "$fake_pid" 2>/dev/null
	check_eq "HTTP at every version: exit 5" 5 "$rc"
	check_contains "HTTP: said" "$out" "FAIL  protocol 127.0.0.1:$port: answered every protocol version"
else
	fail "the fake controller $fakectld is built" "$(cat "$work/make.log")"
fi

# --- an expired token: a local error, exit 4
old=$(token_for "$user" 1)
sleep 2
out=$(SLURM_JWT=$old STRAW_SERVERS=$STRAW_TEST_SERVER STRAW_CACHE_DIR=$work/cache-jwt in_container --jwt --as "$user" -- "$straw" doctor 2>&1); rc=$?
check_eq "expired token: exit 4" 4 "$rc"
check_contains "expired token: the token line fails" "$out" "FAIL  token: the JWT from SLURM_JWT (user $user) expired at"
case $out in *"$old"* | *"${old##*.}"*) fail "expired token: never shown" ;; *) ok "expired token: never shown" ;; esac

# --- a local slurm.conf of another cluster shadows the controllers
out=$(STRAW_SERVERS=$STRAW_TEST_SERVER SLURM_JWT=$token STRAW_CACHE_DIR=$work/cache-root in_container --jwt -- \
	sh -c 'printf "ClusterName=other\nSlurmctldHost=ctl9(127.0.0.9)\n" >/etc/slurm/slurm.conf; exec "$@"' sh \
	"$straw" doctor --json 2>&1); rc=$?
check_eq "shadow: exit 2" 2 "$rc"
check_eq "shadow: the local file wins" "local /etc/slurm/slurm.conf" "$(printf '%s' "$out" | json 'd["source"]["winner"] + " " + d["source"]["path"]')"
check_contains "shadow: fails, naming both clusters" \
	"$(printf '%s' "$out" | json '[c["message"] for c in d["checks"] if c["id"] == "shadow" and c["status"] == "fail"]')" \
	"ClusterName=other, controllers ctl9:6817) differs from the configuration of $STRAW_TEST_SERVER (ClusterName=straw"
out=$(STRAW_SERVERS=$STRAW_TEST_SERVER SLURM_JWT=$token STRAW_CACHE_DIR=$work/cache-root in_container --jwt -- \
	sh -c 'cp "$0" /etc/slurm/slurm.conf; shift; exec "$@"' "$STRAW_TEST_CONF" sh "$straw" doctor 2>&1); rc=$?
check_eq "same cluster locally: exit 0" 0 "$rc"
check_contains "same cluster locally: shadow OK" "$out" "OK    shadow: /etc/slurm/slurm.conf names the same cluster (straw)"

# --- SLURM_CONF naming nothing; no source at all
out=$(SLURM_CONF=$work/nothing.conf STRAW_SERVERS=$STRAW_TEST_SERVER jwt_doctor 2>&1); rc=$?
check_eq "SLURM_CONF to a missing file: exit 2" 2 "$rc"
check_contains "SLURM_CONF to a missing file: said" "$out" "FAIL  source: SLURM_CONF=$work/nothing.conf is set but is not a readable file"
out=$(STRAW_DNS_SRV=0 jwt_doctor 2>&1); rc=$?
check_eq "no source: exit 2" 2 "$rc"
check_contains "no source: said, with a fix" "$out" "fix: set STRAW_SERVERS"

# --- under the loader, doctor sees it and does not trigger it
out=$(STRAW_SERVERS=$STRAW_TEST_SERVER LD_PRELOAD="${asan:+$asan }$BUILD/lib/libstraw-preload.so" jwt_doctor --json 2>&1); rc=$?
check_eq "loader preloaded: exit 0" 0 "$rc"
check_eq "loader preloaded: reported" "true LD_PRELOAD" "$(printf '%s' "$out" | json 'str(d["source"]["loader"]).lower() + " " + d["source"]["loader_from"]')"

straw_wrapper_check
finish
