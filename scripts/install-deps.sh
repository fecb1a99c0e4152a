#!/usr/bin/env bash
# Installs every Debian and npm dependency of qiss on a fresh Debian bookworm machine.
# Idempotent: re-running it only installs what is missing. `--bench` adds what the benchmarks
# (bench/run.sh) need on top, `--fuzz` what the fuzzers (scripts/fuzz.sh) need; both may be given.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

DEBS=(
  build-essential cmake pkg-config git ca-certificates
  libtorch-dev                       # model + training
  python3-torch                      # the TorchScript export script's test (scripts/export_torchscript.py)
  libsentencepiece-dev               # multilingual tokenizer
  libfaiss-dev libopenblas-dev       # vector index
  liblmdb-dev                        # metadata + thumbnail store
  libcld2-dev                        # language detection
  libcpp-httplib-dev libssl-dev      # HTTP requests and answers, test client
  libboost-dev                       # HTTP front (Boost.Beast and Asio, header-only)
  libcurl4-openssl-dev               # fetching image URLs
  libsystemd-dev                     # sd_notify: readiness of `qiss serve` under systemd
  prometheus-cpp-dev                 # /metrics: registry and text exposition (core library)
  librsvg2-dev                       # rasterizing the SVG emoji styles (corpus)
  libxapian-dev                      # keyword side of hybrid search
  libicu-dev                         # Unicode classes for CLIP's BPE tokenizer (imported models)
  nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  libopencv-imgcodecs-dev libopencv-imgproc-dev libgif-dev libwebp-dev   # decoding, resizing, thumbnails
  libgtest-dev libgmock-dev libbenchmark-dev                 # tests, benchmarks
  chromium                           # browser test (playwright-core drives Debian's chromium)
  help2man dpkg-dev                  # man page from --help; .deb packaging (CPack, dpkg-shlibdeps)
)

want_bench=0 want_fuzz=0
for arg in "$@"; do
  case "$arg" in
    --bench) want_bench=1 ;;
    --fuzz) want_fuzz=1 ;;
    *) echo "install-deps: unknown option $arg (--bench, --fuzz)" >&2; exit 2 ;;
  esac
done

if [ "$want_bench" -eq 1 ]; then
  DEBS+=(
    wrk                                              # HTTP load (bench/http/, bench/soak/)
    libjpeg-turbo-progs                              # djpeg: the decoder's own limit (bench/ingest/)
    plasma-workspace-wallpapers gnome-backgrounds    # real photographs (bench/ingest/)
    python3-pil python3-numpy python3-matplotlib     # photo derivation, plots (bench/plot.py, bench/soak/)
    python3                                          # scoring (bench/model/nl_queries.sh, standard library only)
    python3-faiss python3-hnswlib                    # the bare libraries as peers (bench/ann/)
    sentencepiece                                    # spm_encode: how a model's tokenizer cuts names (bench/model/tokenizer_fragments.py)
    hunspell hunspell-en-us hunspell-fr hunspell-de-de hunspell-es hunspell-it hunspell-pt-br \
    hunspell-ru hunspell-pl hunspell-nl hunspell-uk hunspell-sv hunspell-ar hunspell-vi \
    hunspell-ko hunspell-tr hunspell-hi                # stems of the query words (bench/model/nl_lemmas.py)
    mythes-en-us mythes-fr mythes-de mythes-es mythes-it mythes-pt-pt mythes-ru mythes-pl \
    mythes-uk mythes-sv                                # their synonyms (bench/model/nl_lemmas.py)
  )
fi
if [ "$want_fuzz" -eq 1 ]; then
  DEBS+=(
    clang libfuzzer-14-dev                           # libFuzzer targets with ASan/UBSan (fuzz/)
  )
fi

missing=()
for p in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js may come from elsewhere (it bundles npm); only install Debian's when there is none.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm: the emoji corpus (images + CLDR annotations), playwright-core, @redocly/cli (the
# OpenAPI linter of the openapi_lint test; it needs Node.js >= 20.19) and, as devDependencies,
# @hey-api/openapi-ts + typescript (the generated client of the openapi_client test; Node.js
# >= 20.19 too), nsfwjs (an ImageNet MobileNetV2 for `qiss model import --tfjs`) and
# @tensorflow/tfjs (its golden test runs the model in TF.js too). Versions are pinned in
# package.json / package-lock.json; a lock newer than the installed tree runs `npm ci` again.
if [ ! -d node_modules/emoji-datasource-twitter ] || [ ! -d node_modules/openmoji ] \
   || [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/@redocly/cli ] \
   || [ ! -d node_modules/@hey-api/openapi-ts ] || [ ! -d node_modules/typescript ] \
   || [ ! -d node_modules/nsfwjs ] || [ ! -d node_modules/@tensorflow/tfjs ] \
   || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "install-deps: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "install-deps: ok"
