# The stage runner of .ci/run (sourced by it, and by tests/test_ci.py with stand-in stages):
#   stage NAME COMMAND [ARG...]   run COMMAND under a header, whatever the stages before it did
#   stages_summary                print the table of stages; status 1 if any of them failed
# A stage runs in a subshell with `set -e`: its first failing command ends that stage, and only it.
# So the caller must not `set -e` itself, and must not call `stage` inside an if, || or && (bash then
# ignores `set -e` inside the stage).

stage_rows=()
stages_failed=()

stage() {
  local name=$1 start=$SECONDS status result
  shift
  printf '\n===== stage %s: %s\n' "$name" "$*"
  (set -e; "$@")
  status=$?
  if [ "$status" -eq 0 ]; then result=pass; else result="FAIL (exit $status)"; stages_failed+=("$name"); fi
  printf '===== stage %s: %s in %d s\n' "$name" "$result" $((SECONDS - start))
  stage_rows+=("$(printf '%-10s %-14s %7d' "$name" "$result" $((SECONDS - start)))")
}

stages_summary() {
  printf '\n===== CI stages\n%-10s %-14s %7s\n' stage result seconds
  printf '%s\n' "${stage_rows[@]}"
  if [ ${#stages_failed[@]} -eq 0 ]; then
    echo "===== every stage passed (${#stage_rows[@]})"
  else
    echo "===== ${#stages_failed[@]} of ${#stage_rows[@]} stages failed: ${stages_failed[*]}"
    return 1
  fi
}
