# shellcheck shell=bash
# fake.sh - start and stop tests/fake/fakectld from a test script (source it
# after common.sh).  The caller sets $work (a scratch folder) and $fakectld
# (the binary) and declares the arrays:  declare -A fake_pid fake_port
#
#   fake_start NAME [fakectld options] --scenario S [ARG...]
#                        a fake controller on a free loopback port, its port
#                        in fake_port[NAME], its log in $work/fake-NAME.log
#   fake_stop NAME       stop it
#   fake_conns NAME      how many connections it accepted

fake_start() {
	local name=$1 pf i=0
	shift
	pf=$work/fake-$name.port
	rm -f "$pf"
	"$fakectld" --port 0 "$@" >"$pf" 2>"$work/fake-$name.log" &
	fake_pid[$name]=$!
	while [ ! -s "$pf" ]; do
		i=$((i + 1))
		if [ "$i" -gt 500 ] || ! kill -0 "${fake_pid[$name]}" 2>/dev/null; then
			fail "fake controller $name ($*) starts" "$(cat "$work/fake-$name.log")"
			fake_port[$name]=1
			return 1
		fi
		sleep 0.01
	done
	fake_port[$name]=$(head -n 1 "$pf")
}

fake_stop() {
	kill "${fake_pid[$1]}" 2>/dev/null
	wait "${fake_pid[$1]}" 2>/dev/null
	unset "fake_pid[$1]"
}

fake_conns() {
	grep -c ': connection [0-9]* from ' "$work/fake-$1.log"
}
