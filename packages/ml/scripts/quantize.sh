#!/usr/bin/env bash
# The int8 variant of ML models: onnxruntime's own dynamic quantization
# (onnxruntime.quantization.quantize_dynamic: MatMul weights as int8 with a scale per output
# channel, activations quantized per run) of <dir>/model.onnx into <dir>/model.int8.onnx,
# served with MODEL_PRECISION=int8. Per channel, because one scale per tensor cost MiniLM's
# embeddings a mean cosine of 0.968 to fp32's (min 0.947), per channel 0.993 (min 0.988), for
# the same speed (npm run quality -w @flotilla/ml prints it). Usage:
#   bash packages/ml/scripts/quantize.sh <model dir> [<model dir> ...]
# A model.int8.onnx newer than its model.onnx is kept. onnxruntime and onnx come from PyPI
# into a virtualenv of their own, every distribution pinned by version and sha256 (below),
# installed once into a cache folder named after those pins and the interpreter.
#
# The hashes are of the wheels pip picks for CPython 3.11 on x86-64 Linux (this machine and
# the Debian bookworm images). To change a pin: pip install onnxruntime==<version> onnx into
# a fresh venv, `pip freeze` it, `pip download --no-deps -r` the freeze, and put each wheel's
# sha256 here. onnxruntime is the version onnxruntime-node runs.
#
# Environment: FLOTILLA_QUANTIZE_CACHE (default ~/.cache/flotilla/quantize-tools).
set -Eeuo pipefail

requirements='
flatbuffers==25.12.19 --hash=sha256:7634f50c427838bb021c2d66a3d1168e9d199b0607e6329399f04846d42e20b4
ml_dtypes==0.6.0 --hash=sha256:6c8e39b53e90afda8ce52859c93de4dba3e02b76d85dcf091cc469f9184c6dae
numpy==2.4.6 --hash=sha256:89cd468399cfd2504718f0ba50e410dca55a170b61a02ad92bb18c8a65186e93
onnx==1.23.2 --hash=sha256:c03ecf6b835d136108eeaeeafbd0026fc7b3cf98661409fbc6b63d5a29361348
onnxruntime==1.30.0 --hash=sha256:fd54b314ea385bcecac69ab431f020ba503e3878dad4ebb645fec5a24b041242
packaging==26.4 --hash=sha256:81383611a09c1bc0b08b76e0fd5829d7c6824c65b27a6aee339da133f4233ea2
protobuf==7.36.2 --hash=sha256:89f23aa53c24553a2416fd4fd1ec06f74fa42b14b546d8883128813f775bbfd2
typing_extensions==4.16.0 --hash=sha256:481caa481374e813c1b176ada14e97f1f67a4539ce9cfeb3f350d78d6370c2e8
'

(($# > 0)) || { echo "usage: quantize.sh <model dir> [<model dir> ...]" >&2; exit 2; }
cache=${FLOTILLA_QUANTIZE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flotilla/quantize-tools}
python=$(command -v python3) || { echo "quantize: python3 is not installed" >&2; exit 1; }
if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
  echo "quantize: $python has no venv module; on Debian: apt-get install python3-venv" >&2
  exit 1
fi
# A venv belongs to the interpreter that made it: a new Python gets a new folder.
key=$({ "$python" -c 'import sys; print(sys.version)'; printf '%s' "$requirements"; } | sha256sum | cut -c1-16)
venv=$cache/$key

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [[ ! -f $venv/.complete ]]; then
  echo "quantize: installing onnxruntime into $venv" >&2
  rm -rf "$venv"
  "$python" -m venv "$venv"
  printf '%s' "$requirements" >"$venv/requirements.txt"
  "$venv/bin/pip" install -q --disable-pip-version-check --no-deps --only-binary=:all: \
    --require-hashes -r "$venv/requirements.txt" >&2
  touch "$venv/.complete"
fi
exec 9>&-

for dir in "$@"; do
  if [[ $dir/model.int8.onnx -nt $dir/model.onnx ]]; then
    echo "quantize: $dir/model.int8.onnx is up to date" >&2
    continue
  fi
  [[ -f $dir/model.onnx ]] || { echo "quantize: $dir has no model.onnx" >&2; exit 1; }
  # Written beside, then renamed: a cut run never leaves a half model that looks newer.
  "$venv/bin/python" - "$dir/model.onnx" "$dir/.model.int8.onnx.tmp" <<'PY'
import logging, sys
from onnxruntime.quantization import QuantType, quantize_dynamic
logging.getLogger().setLevel(logging.ERROR)  # its advice to pre-process is for static quantization
quantize_dynamic(sys.argv[1], sys.argv[2], weight_type=QuantType.QInt8, per_channel=True)
PY
  mv "$dir/.model.int8.onnx.tmp" "$dir/model.int8.onnx"
  echo "quantize: $dir/model.int8.onnx ($(du -h "$dir/model.int8.onnx" | cut -f1), from $(du -h "$dir/model.onnx" | cut -f1))" >&2
done
