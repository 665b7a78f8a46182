#!/usr/bin/env bash
# Builds Larder's libFuzzer targets (release, with the address sanitizer) and
# runs each for SECONDS (default 60) on a scratch copy of its seed corpus.
#
#   Fuzz/run.sh [SECONDS] [TARGET...]      (default: every target)
#
# Everything it writes goes under .build-fuzz/fuzz/ (ignored by git):
# corpus/TARGET (seeds plus what the fuzzer found, kept between runs),
# crashes/TARGET (inputs that crashed, timed out or ran out of memory) and
# logs/TARGET.log. Exits 1 when any target crashed.
set -euo pipefail

cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(FuzzCSV FuzzJSONLines FuzzDefinitions FuzzTime FuzzManifest)
fi

export LARDER_FUZZ=1
# Swift's own crash backtracer would race libFuzzer's handler (and trip ASan).
export SWIFT_BACKTRACE=enable=no
build=(swift build -c release --build-path .build-fuzz
       -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing -Xswiftc -use-ld=lld
       -Xcc -fsanitize=fuzzer-no-link,address)
for target in "${targets[@]}"; do
    nice -n 19 "${build[@]}" --product "$target"
done
bin=$("${build[@]}" --show-bin-path)

work=.build-fuzz/fuzz
failed=()
for target in "${targets[@]}"; do
    corpus=$work/corpus/$target
    crashes=$work/crashes/$target
    mkdir -p "$corpus" "$crashes" "$work/logs"
    cp Fuzz/Corpus/"$target"/* "$corpus"/
    dictionary=()
    if [ -f Fuzz/Dictionaries/"$target".dict ]; then
        dictionary=(-dict=Fuzz/Dictionaries/"$target".dict)
    fi
    echo "== $target: ${seconds}s"
    if nice -n 19 "$bin/$target" "$corpus" "${dictionary[@]}" \
        -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$crashes/" >"$work/logs/$target.log" 2>&1; then
        grep -E '^#[0-9]+[[:space:]]+DONE|^stat::(number_of_executed_units|average_exec_per_sec)' \
            "$work/logs/$target.log" || true
        echo "   corpus on disk: $(ls "$corpus" | wc -l) files, $(du -sk "$corpus" | cut -f1) KiB"
    else
        echo "   CRASHED: see $work/logs/$target.log and $crashes/"
        failed+=("$target")
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "crashed: ${failed[*]}"
    exit 1
fi
