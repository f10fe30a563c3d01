#!/usr/bin/env bash
# Fuzz one frame decoder with AFL++ through SharpFuzz.
#
#   tests/TcpToolkit.Fuzz/fuzz.sh <target|all> [seconds]       (default 180 seconds per target)
#   tests/TcpToolkit.Fuzz/fuzz.sh --list
#
# What it does:
#   1. installs afl-fuzz (Debian package afl++) when it is missing, and restores the sharpfuzz tool pinned in
#      .config/dotnet-tools.json;
#   2. publishes TcpToolkit.Fuzz (Release) to tests/TcpToolkit.Fuzz/bin/fuzz-publish and instruments the
#      published TcpToolkit.dll in place with sharpfuzz (only the library gets coverage, not the harness);
#   3. runs afl-fuzz on the target, seeded with corpus/<target>/, for the given time; findings go to the git-ignored
#      findings/<target>/ (an older run there is kept as findings/<target>.<timestamp>);
#   4. prints the run's time, executions, corpus size, crashes and hangs from fuzzer_stats, and the crash files.
#
# A crash is any exception other than FramingException and its subclasses, a broken IFrameDecoder contract
# (ContractViolationException), or an input decoded differently depending on how it was split.
# Reproduce one without AFL, with its stack trace:
#   dotnet tests/TcpToolkit.Fuzz/bin/fuzz-publish/TcpToolkit.Fuzz.dll <target> --replay findings/<target>/default/crashes/id:*
#
# Environment: FUZZ_TIMEOUT_MS (per input, default 5000: a .NET GC pause on a busy machine is not a hang),
# FUZZ_SKIP_BUILD=1 (reuse the instrumented publish output), AFL_* variables are passed on to afl-fuzz.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
publish="$here/bin/fuzz-publish"
findings="$here/findings"
harness=(dotnet "$publish/TcpToolkit.Fuzz.dll")

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

usage() {
  echo "usage: $0 <target|all> [seconds] | --list" >&2
  exit 2
}

build() {
  if [[ "${FUZZ_SKIP_BUILD:-0}" == "1" && -f "$publish/TcpToolkit.Fuzz.dll" ]]; then
    return
  fi

  (cd "$repo" && dotnet tool restore >/dev/null)
  # A fresh folder every time: sharpfuzz refuses an assembly it has already instrumented.
  rm -rf "$publish"
  dotnet publish "$here/TcpToolkit.Fuzz.csproj" -c Release -o "$publish" -nologo -v quiet
  (cd "$repo" && dotnet sharpfuzz "$publish/TcpToolkit.dll")
}

ensure_afl() {
  if command -v afl-fuzz >/dev/null 2>&1; then
    return
  fi

  echo "fuzz: afl-fuzz not found; installing the Debian package afl++" >&2
  apt-get update -qq && apt-get install -y -qq afl++ >/dev/null
}

stat() {
  # fuzzer_stats is "name   : value" per line.
  sed -n "s/^$1 *: *//p" "$2" | head -n 1
}

run_target() {
  local target="$1" seconds="$2"
  local corpus="$here/corpus/$target" out="$findings/$target"
  if [[ ! -d "$corpus" ]]; then
    echo "fuzz: no seed corpus at $corpus" >&2
    exit 2
  fi

  if [[ -d "$out" ]]; then
    mv "$out" "$out.$(date +%Y%m%d-%H%M%S)"
  fi
  mkdir -p "$out"

  local dictionary=()
  if [[ -f "$here/dictionaries/$target.dict" ]]; then
    dictionary=(-x "$here/dictionaries/$target.dict")
  fi

  echo "fuzz: $target for ${seconds}s"
  # SKIP_BIN_CHECK: dotnet itself carries no AFL instrumentation (SharpFuzz reports coverage from managed code).
  # NO_AFFINITY: do not pin to a core; other builds share this machine. MISSING_CRASHES/SKIP_CPUFREQ: containers
  # cannot change core_pattern or the CPU governor. -m none: the CLR reserves far more virtual memory than AFL's default.
  AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 \
  AFL_FORKSRV_INIT_TMOUT="${AFL_FORKSRV_INIT_TMOUT:-30000}" \
    afl-fuzz -i "$corpus" -o "$out" -t "${FUZZ_TIMEOUT_MS:-5000}" -m none -V "$seconds" "${dictionary[@]}" \
    -- "${harness[@]}" "$target" >"$out/afl.log" 2>&1 || {
      echo "fuzz: afl-fuzz failed; the end of $out/afl.log:" >&2
      tail -n 30 "$out/afl.log" >&2
      return 1
    }

  local stats="$out/default/fuzzer_stats"
  local crashes hangs
  crashes="$(stat saved_crashes "$stats")"
  hangs="$(stat saved_hangs "$stats")"
  echo "fuzz: $target: run_time $(stat run_time "$stats")s, executions $(stat execs_done "$stats")" \
    "($(stat execs_per_sec "$stats")/s), corpus $(stat corpus_count "$stats"), crashes $crashes, hangs $hangs"
  if [[ "$crashes" != "0" || "$hangs" != "0" ]]; then
    ls "$out/default/crashes" "$out/default/hangs" | grep -v README || true
    echo "fuzz: replay with: ${harness[*]} $target --replay $out/default/crashes/id:*"
    return 1
  fi
}

[[ $# -ge 1 ]] || usage
if [[ "$1" == "--list" ]]; then
  build
  "${harness[@]}" --list
  exit 0
fi

target="$1"
seconds="${2:-180}"
[[ "$seconds" =~ ^[0-9]+$ ]] || usage

ensure_afl
build

if [[ "$target" == "all" ]]; then
  status=0
  for name in $("${harness[@]}" --list | awk '{print $1}'); do
    run_target "$name" "$seconds" || status=1
  done
  exit "$status"
fi

run_target "$target" "$seconds"
