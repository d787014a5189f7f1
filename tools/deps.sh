#!/usr/bin/env bash
# make deps: installs, with apt-get, only the Debian packages whose check below fails.
# Each line of the table: CHECK-KIND  WHAT  DEBIAN-PACKAGE
#   pkgconfig NAME  -> `pkg-config --exists NAME`
#   header    PATH  -> the file /usr/include/PATH exists
#   command   NAME  -> NAME is on PATH
#   file      PATH  -> PATH exists
#   python    MOD   -> `python3 -c "import MOD"` works (benchmarks and reference twins only)
# Usage: tools/deps.sh [build|bench]   (bench adds the PyTorch twin's packages)
set -euo pipefail
build_table='
command   pkg-config        pkg-config
command   gcc               gcc
command   g++               g++
command   make              make
command   clang             clang
file      /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a libclang-rt-14-dev
header    dnnl.h            libdnnl-dev
pkgconfig ompi-c            libopenmpi-dev
command   mpirun            openmpi-bin
pkgconfig hdf5-serial       libhdf5-dev
pkgconfig sndfile           libsndfile1-dev
pkgconfig samplerate        libsamplerate0-dev
pkgconfig yaml-0.1          libyaml-dev
pkgconfig sentencepiece     libsentencepiece-dev
command   spm_train         sentencepiece
pkgconfig libpcre2-8        libpcre2-dev
pkgconfig libutf8proc       libutf8proc-dev
pkgconfig libcjson          libcjson-dev
pkgconfig zlib              zlib1g-dev
'
bench_table='
python    torch             python3-torch
file      /usr/lib/x86_64-linux-gnu/libopenblas.so.0 libopenblas0-pthread
python    numpy             python3-numpy
python    soundfile         python3-soundfile
python    regex             python3-regex
'
table=$build_table
[ "${1:-build}" = bench ] && table="$build_table$bench_table"

missing=()
while read -r kind what pkg; do
  [ -z "${kind:-}" ] && continue
  case $kind in
    pkgconfig) command -v pkg-config >/dev/null && pkg-config --exists "$what" && continue ;;
    header)    [ -e "/usr/include/$what" ] && continue ;;
    command)   command -v "$what" >/dev/null && continue ;;
    file)      [ -e "$what" ] && continue ;;
    python)    /usr/bin/python3 -c "import $what" 2>/dev/null && continue ;;
  esac
  missing+=("$pkg")
done <<<"$table"

if [ ${#missing[@]} -eq 0 ]; then echo "deps: all system packages present"; exit 0; fi
# de-duplicate
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
