#!/bin/bash
# WebGPU checks and benchmarks on the NVIDIA GPU machine (see ../shared/gpu/README.md), in one go.
#
# On the development machine, from the project root:
#   npm run build                     # dist/ (the bench imports dist/src, no node_modules needed)
#   bash ../shared/gpu/prepare.sh     # .gpu/: node, dawn.node, Vulkan loader .debs, unpack.sh
#   cp ../shared/bench/torch_gpu_bench.py .gpu/   # the PyTorch CUDA peer, run in the same session
# Take dist/ and .gpu/ along (both are git-ignored), then on the GPU machine, from the project root:
#   bash scripts/gpu-check.sh [phase ...]     # phases: checks sgemm mlp stress peer (default: all but stress)
#
# Every phase runs in its own Node process, so a driver abort costs one measurement, not the run;
# a phase that dies is rerun once with the mitigations under test (see docs/GPU.md, "The driver
# abort"). All RESULT lines are collected in $OUT (default out/gpu)/results.jsonl.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-out/gpu}
mkdir -p "$out"
log="$out/gpu-check.log"
results="$out/results.jsonl"
: > "$results"

[ -d .gpu ] || { echo "gpu-check: .gpu/ is missing: run ../shared/gpu/prepare.sh on the development machine and bring .gpu/" >&2; exit 2; }
dist=${D2L_DIST:-dist}
[ -f "$dist/src/backend/webgpu/index.js" ] || { echo "gpu-check: $dist/ is missing: run npm run build and bring dist/" >&2; exit 2; }
export D2L_DIST=$dist

bash .gpu/unpack.sh 2>&1 | tail -1
export PATH=/tmp/gpu-node:$PATH
export VK_DRIVER_FILES=${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}
if [ ! -f node_modules/webgpu/dist/linux-x64/dawn.node ]; then export D2L_DAWN_NODE=${D2L_DAWN_NODE:-/tmp/gpu-node/dawn.node}; fi
{
  echo "# $(date -u +%FT%TZ) $(uname -r)"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "# nvidia-smi not found"
  echo "# node $(node --version), dawn ${D2L_DAWN_NODE:-node_modules/webgpu}, ulimit -r $(ulimit -r)"
} | tee "$log"

phases=("$@")
[ ${#phases[@]} -eq 0 ] && phases=(checks sgemm mlp peer)

# run NAME TIMEOUT [VAR=value ...] -- [node flags ...] -- bench args...
run() {
  local name=$1 limit=$2; shift 2
  local envs=() nflags=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do envs+=("$1"); shift; done; shift
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do nflags+=("$1"); shift; done; shift
  echo "== $name (${envs[*]:-} node ${nflags[*]:-})" | tee -a "$log"
  local start=$SECONDS
  timeout "$limit" env "${envs[@]}" node "${nflags[@]}" bench/gpu/bench.mjs "$@" > "$out/$name.out" 2>&1
  local rc=$?
  grep -v 'artificially reduced' "$out/$name.out" | tee -a "$log" | grep '^RESULT ' | sed 's/^RESULT //' >> "$results"
  echo "== $name: exit $rc after $((SECONDS - start)) s" | tee -a "$log"
  echo "{\"workload\":\"phase\",\"case\":\"$name\",\"exit\":$rc,\"seconds\":$((SECONDS - start))}" >> "$results"
  return $rc
}

# A phase that aborts (134 glibc assertion, 139 segfault, 124 hang) is retried once per mitigation:
# serialised V8 GC (no background ArrayBuffer sweeping), then awaiting the GPU after every call,
# then Dawn without robustness transforms and lazy clears.
phase() {
  local name=$1 limit=$2; shift 2
  run "$name" "$limit" -- -- "$@" && return 0
  run "$name-gc1" "$limit" -- --single-threaded-gc --no-concurrent-array-buffer-sweeping -- "$@" && return 0
  run "$name-sync1" "$limit" D2L_SYNC_EVERY=1 -- -- "$@" && return 0
  run "$name-toggles" "$limit" "D2L_DAWN_FLAGS=enable-dawn-features=disable_robustness,disable_workgroup_init;disable-dawn-features=lazy_clear_resource_on_first_use" -- -- "$@"
}

for p in "${phases[@]}"; do
  case "$p" in
    checks) phase checks 120 info checks ;;
    sgemm)
      for n in ${GPU_CHECK_SGEMM_SIZES:-1024 2048 4096}; do
        export D2L_SGEMM_SIZES=$n
        phase "sgemm-$n" 120 sgemm
      done
      unset D2L_SGEMM_SIZES ;;
    mlp) phase mlp 240 mlp ;;
    stress) phase stress 240 stress ;;
    peer)
      peer=""
      for f in .gpu/torch_gpu_bench.py ../shared/bench/torch_gpu_bench.py; do [ -f "$f" ] && peer=$f && break; done
      if [ -n "$peer" ]; then
        echo "== peer: python3 $peer" | tee -a "$log"
        timeout 300 python3 "$peer" all 2>&1 | tee -a "$log" | grep '^RESULT ' | sed 's/^RESULT //' >> "$results"
      else
        echo "== peer: torch_gpu_bench.py not found (copy it into .gpu/)" | tee -a "$log"
      fi ;;
    *) echo "gpu-check: unknown phase $p (checks sgemm mlp stress peer)" >&2; exit 2 ;;
  esac
done
echo "gpu-check: results in $results" | tee -a "$log"
