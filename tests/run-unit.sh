#!/bin/sh
# run-unit.sh - run each cmocka binary given, then print one summary line.
# cmocka prints "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)..." per binary.
passed=0 failed=0 bad=0
for t in "$@"; do
	out=$("$t" 2>&1); rc=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	if [ "$rc" -ne 0 ] && [ -z "$f" ]; then
		echo "unit: $t exited $rc without a cmocka summary" >&2
		failed=$((failed + 1))
	fi
	[ "$rc" -ne 0 ] && bad=1
done
echo "unit: $passed passed, $failed failed"
[ "$bad" -eq 0 ] && [ "$failed" -eq 0 ]
