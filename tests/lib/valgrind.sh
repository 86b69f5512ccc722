# shellcheck shell=bash
# valgrind.sh - run the straw command of the integration tests under a
# checker (valgrind memcheck in CI), without changing how tests call it.
#
#   . "$STRAW_TOP/tests/lib/valgrind.sh"      (after common.sh)
#   straw=$(straw_command)                    instead of straw=$BUILD/bin/straw
#   ... "$straw" ARGS, also through in_container --as USER -- "$straw" ...
#   straw_wrapper_check                       just before finish
#
# STRAW_TEST_WRAPPER picks the checker:
#   unset or empty   straw_command prints $BUILD/bin/straw itself; nothing changes
#   valgrind         memcheck: any error, and any definite or indirect leak, makes
#                    straw exit 99 (so the test's exit code check fails right there)
#                    and straw_wrapper_check fails, showing the report
#   anything else    a command prefix, split on spaces ("strace -f -o /tmp/s")
#
# straw_command writes a small executable script that execs the checker on
# straw, so it works wherever a path does: in a variable, through
# in_container (which execs its command as another user), from sh -c.  Its
# folder is world-readable and the log folder world-writable, as the tests
# run straw as an ordinary user.  STRAW_VALGRIND_OPTS adds memcheck options
# (a suppression file, say).

# Made here, in the test's own shell: straw_command runs in a $(...) subshell.
_straw_wrap_dir=
if [ -n "${STRAW_TEST_WRAPPER:-}" ]; then
	_straw_wrap_dir=$(mktemp -d /tmp/straw-wrap.XXXXXX) &&
		chmod 0755 "$_straw_wrap_dir" &&
		mkdir -m 1777 "$_straw_wrap_dir/logs" ||
		echo "valgrind.sh: cannot make a folder for the wrapper" >&2
fi

# straw_command [BIN]: print the command to run for straw (default $BUILD/bin/straw).
straw_command() {
	local bin=${1:-$BUILD/bin/straw} w=${STRAW_TEST_WRAPPER:-} script prefix
	if [ -z "$w" ]; then
		printf '%s\n' "$bin"
		return 0
	fi
	[ -d "$_straw_wrap_dir/logs" ] || return 1
	if [ "$w" = valgrind ]; then
		command -v valgrind >/dev/null 2>&1 || {
			echo "straw_command: STRAW_TEST_WRAPPER=valgrind but valgrind is not installed" >&2
			return 1
		}
		prefix="valgrind --quiet --error-exitcode=99 --leak-check=full"
		prefix="$prefix --errors-for-leak-kinds=definite,indirect"
		prefix="$prefix --show-leak-kinds=definite,indirect --track-origins=yes"
		prefix="$prefix --log-file=$_straw_wrap_dir/logs/memcheck.%p.log ${STRAW_VALGRIND_OPTS:-} --"
	else
		prefix=$w
	fi
	script=$_straw_wrap_dir/$(basename "$bin")
	printf '#!/bin/sh\n# from tests/lib/valgrind.sh\nexec %s %s "$@"\n' "$prefix" "$bin" >"$script"
	chmod 0755 "$script"
	printf '%s\n' "$script"
}

# straw_wrapper_check: under valgrind, one test: every run of straw had a
# clean memcheck report (and at least one ran).  Otherwise no test; the
# wrapper's folder is removed either way.
straw_wrapper_check() {
	local logs=() bad=() f
	if [ "${STRAW_TEST_WRAPPER:-}" != valgrind ]; then
		[ -n "$_straw_wrap_dir" ] && rm -rf "$_straw_wrap_dir"
		_straw_wrap_dir=
		return 0
	fi
	if [ -n "$_straw_wrap_dir" ]; then
		for f in "$_straw_wrap_dir"/logs/memcheck.*.log; do
			[ -e "$f" ] || continue
			logs+=("$f")
			# --quiet leaves a log empty unless memcheck had something to say.
			[ -s "$f" ] && bad+=("$f")
		done
	fi
	if [ "${#logs[@]}" -eq 0 ]; then
		fail "valgrind: straw ran under memcheck" "no memcheck log: did the test use straw_command?"
	elif [ "${#bad[@]}" -eq 0 ]; then
		ok "valgrind: ${#logs[@]} runs of straw, no memcheck error or leak"
	else
		fail "valgrind: ${#logs[@]} runs of straw, no memcheck error or leak" \
			"${#bad[@]} runs with a report:" "$(head -n 60 "${bad[@]}")"
	fi
	rm -rf "$_straw_wrap_dir"
	_straw_wrap_dir=
	return 0
}
