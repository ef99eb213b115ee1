# Shared by the command line test scripts (source it after setting $work): counters, and the
# check that a command fails the way dptrain promises.

passed=0 failed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
pass() { echo "ok: $*"; passed=$((passed + 1)); }

# What an error line starts with (an extended regular expression); the tests of other programs
# (the Python scripts) set their own.
error_line='^dptrain: error: '

# expect_error NAME PATTERN UNWANTED_FILE -- COMMAND...: a non-zero exit (not a time-out),
# exactly one error line, matching PATTERN, no Python traceback, and neither UNWANTED_FILE (if
# given) nor a temporary file left in $work.
expect_error() {
  local name=$1 pattern=$2 unwanted=$3; shift 4
  local out status lines
  out=$(timeout 120 "$@" 2>&1); status=$?
  lines=$(grep -cE "$error_line" <<<"$out")
  if [ "$status" -eq 0 ] || [ "$status" -eq 124 ]; then
    fail "$name: exit status $status"; echo "$out" | head -20; return
  fi
  if grep -q Traceback <<<"$out"; then fail "$name: traceback"; echo "$out" | tail -5; return; fi
  if [ "$lines" -ne 1 ]; then fail "$name: $lines error lines"; echo "$out" | head -20; return; fi
  if ! grep -E "$error_line" <<<"$out" | grep -q -- "$pattern"; then
    fail "$name: error line does not match '$pattern'"; echo "$out" | head -5; return
  fi
  if [ -n "$unwanted" ] && [ -e "$unwanted" ]; then fail "$name: left $unwanted behind"; return; fi
  if [ -n "$(find "$work" -name '.*.tmp.*')" ]; then fail "$name: left a temporary file"; return; fi
  pass "$name -> $(grep -E "$error_line" <<<"$out")"
}
