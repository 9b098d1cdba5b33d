#!/usr/bin/env bash
# schemathesis, the OpenAPI fuzzer of the apps' fuzz tests (apps/*/test/fuzz.test.ts), in a
# virtualenv of its own: every distribution pinned by version and sha256 (below), installed
# once into a cache folder named after those pins and the interpreter, and reused after that.
# Concurrent callers (turbo runs the apps' tests side by side) wait for one install.
#
# stdout: the path of the schemathesis CLI (progress goes to stderr), so
#   SCHEMATHESIS=$(bash scripts/ci/fuzz-tools.sh)
# The fuzz tests run this themselves (@flotilla/testkit's fuzz.ts); CI needs only python3 with
# its venv module (Debian: python3-venv).
#
# The hashes are of the wheels pip picks for CPython 3.11 on x86-64 Linux, this machine's. To
# change a pin, or for another interpreter: pip install schemathesis==<version> into a fresh
# venv, `pip freeze` it, `pip download --no-deps -r` the freeze, and put each wheel's sha256
# here.
#
# Environment: FLOTILLA_FUZZ_CACHE (default ~/.cache/flotilla/fuzz-tools).
set -Eeuo pipefail

requirements='
anyio==4.16.0 --hash=sha256:c66ae634e0b8228396b801741beb3294326d4b6102f7bba4041c0dfb58c29026
certifi==2026.10.19.post1 --hash=sha256:1324c476b4811eff41a8bc2122cd0bbd4d9c7234c725446d99ab1612b3a7fdd2
charset-normalizer==3.5.3 --hash=sha256:2a6f937e0b70133d1f826d0a253331b6fe1a4c874808cc12e16f2fb8177042f4
click==8.5.1 --hash=sha256:8bb5376d2006950386f8c6427613334a2acadc5f559cb80e638d00b4df957e37
graphql-core==3.3.2 --hash=sha256:d83f49ee18d2db89fb575dab6ffefa8aa1bf5f60dff8a6781db6f63420041348
harfile==0.6.0 --hash=sha256:0f2209d6ec164a2aea7e8fb2b49d9fef5ddeee51b65dbfd28a4167185c34bb30
hypothesis==6.170.17 --hash=sha256:ba5757621056597fd71d101357fed17b7f200592ca6050b59bf6733869de9fc5
hypothesis-graphql==0.13.5 --hash=sha256:7bf16b290fc5b870539e0181446cda1f2aadc3b233a8b475331abc1764fe4e40
idna==3.20 --hash=sha256:ab7ae7122974553370f0bdb919e1a960b2cd1bc1ef0276416d896db81c14582c
iniconfig==2.3.1 --hash=sha256:9121e2c1fdb355232495be3194c8dfe87ccc2d5dee45947b78e68f499790d7a7
jsonschema_rs==0.60.3 --hash=sha256:326ec5b6800552ccd76a1acca131f70511ac013b377230bdd541db3244adc9fa
markdown-it-py==4.3.0 --hash=sha256:7aa1511a46c39138de78d9eba92ce47e63124d8003fc98b3a351909e04239efa
MarkupSafe==3.0.4 --hash=sha256:6da83a088f8ef93b2d483a8232a4dbf4d69d3d8496b568a03c56becac43e1808
mdurl==0.1.2 --hash=sha256:84008a41e51615a49fc9966191ff91509e3c40b939176e643fd50a5c2196b8f8
packaging==26.4 --hash=sha256:81383611a09c1bc0b08b76e0fd5829d7c6824c65b27a6aee339da133f4233ea2
pluggy==1.7.0 --hash=sha256:7dd7b0d8832ba3cb632c306926ded123429211b83641b35dc5c41ad2d34f9bec
Pygments==2.21.0 --hash=sha256:2363c69b61c4a97c838da3b130dcd6468f4848992b21a82f2a63ec34377137d9
pyrate-limiter==4.5.1 --hash=sha256:bb8dd2926b0679e4ada6629a865e85daa5599268f930c61a8992dafa8bf3ba0d
pytest==9.2.0 --hash=sha256:07acdcf88ec174f907dc01af70bf52d49b014bbab03faeeade31c96b18c2e588
PyYAML==6.0.4 --hash=sha256:622aa875fa6533f25fedcffe23079357d65a690d462200afed5d8e9d0e01ebee
requests==2.34.2 --hash=sha256:2a0d60c172f83ac6ab31e4554906c0f3b3588d37b5cb939b1c061f4907e278e0
rich==15.0.0 --hash=sha256:33bd4ef74232fb73fe9279a257718407f169c09b78a87ad3d296f548e27de0bb
schemathesis==4.32.5 --hash=sha256:5ec7e532ebdf9b0e0239a943df2a565174aecda513b61e564d8ad2a3ac801f22
sortedcontainers==2.4.0 --hash=sha256:a163dcaede0f1c021485e957a39245190e74249897e2ae4b2aa38595db237ee0
typing_extensions==4.16.0 --hash=sha256:481caa481374e813c1b176ada14e97f1f67a4539ce9cfeb3f350d78d6370c2e8
urllib3==2.8.0 --hash=sha256:0cf3cae568d36aa9576b28dfb35f11328f1cb974ca7647d9475ebb86c75ac6e3
Werkzeug==3.1.9 --hash=sha256:6392e50c78460ba618e5b21f08a71f59c99ce99cdc6cf6e3dd7e6ccca8754fab
'

cache=${FLOTILLA_FUZZ_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flotilla/fuzz-tools}
python=$(command -v python3) || { echo "fuzz-tools: python3 is not installed" >&2; exit 1; }
if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
  echo "fuzz-tools: $python has no venv module; on Debian: apt-get install python3-venv" >&2
  exit 1
fi
# A venv belongs to the interpreter that made it: a new Python gets a new folder.
key=$({ "$python" -c 'import sys; print(sys.version)'; printf '%s' "$requirements"; } | sha256sum | cut -c1-16)
venv=$cache/$key
cli=$venv/bin/schemathesis

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [[ ! -f $venv/.complete ]]; then
  echo "fuzz-tools: installing schemathesis into $venv" >&2
  rm -rf "$venv"
  "$python" -m venv "$venv"
  printf '%s' "$requirements" >"$venv/requirements.txt"
  "$venv/bin/pip" install -q --disable-pip-version-check --no-deps --only-binary=:all: \
    --require-hashes -r "$venv/requirements.txt" >&2
  "$cli" --version >&2
  touch "$venv/.complete"
fi
echo "$cli"
