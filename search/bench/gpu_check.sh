#!/usr/bin/env bash
# The JAX backend's GPU check, in one call on a lent device machine (it has JAX with CUDA, no
# TensorFlow, no Keras, no network). Prepared here, where it cannot run: no task of this round was
# lent a device. Before the call, in the repository root on this machine:
#
#   echo /.whl/ >> .git/info/exclude; echo /.data/ >> .git/info/exclude
#   mkdir -p .data && cp ../shared/data/*.csv .data/
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#       --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
#       -d .whl keras namex optree optuna alembic sqlalchemy colorlog mako
#
# then run `bash search/bench/gpu_check.sh` with carry [".whl", ".data"] and a timeout that leaves
# room for a second try. Figures land in $OUT: the device, the batched bench (JSON), the timed
# LSTM search's lines.
set -uo pipefail
: "${OUT:?this runs on the device machine, where \$OUT is set}"
site="$(mktemp -d)"
python3 -m pip install -q --no-index --find-links .whl --target "$site" keras namex optree optuna alembic \
    sqlalchemy colorlog mako > "$OUT/install.txt" 2>&1 || { echo "install failed"; tail "$OUT/install.txt"; exit 1; }
export PYTHONPATH="$site:$PWD" KERAS_BACKEND=jax BITPREDICT_DATA_DIR="$PWD/.data"
{ nvidia-smi -L; python3 -c "import jax, keras; print(jax.__version__, keras.__version__, jax.devices())"; } \
    > "$OUT/device.txt" 2>&1
timeout 300 python3 -m search.bench --only batched --family dense --family conv1d --family lstm \
    --groups 1 8 32 128 --json > "$OUT/batched.json" 2> "$OUT/batched.err"
echo "batched: exit $?"
runs="$(mktemp -d)"
( time timeout 240 python3 -m search.run --family lstm --trials 100 --no-retrain --runs "$runs" ) \
    > "$OUT/lstm.txt" 2>&1
echo "lstm: exit $?"
tail -3 "$OUT/lstm.txt"
