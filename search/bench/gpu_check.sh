#!/usr/bin/env bash
# The JAX backend's GPU check, in one call on a lent device machine (it has JAX with CUDA, no
# TensorFlow, no Keras, no network). Before the call, in the repository root on this machine:
#
#   echo /.whl/ >> .git/info/exclude; echo /.data/ >> .git/info/exclude
#   mkdir -p .data && cp ../shared/data/*.csv .data/
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#       --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
#       -d .whl keras==3.15.1 namex optree optuna==5.1.0 alembic sqlalchemy colorlog mako
#
# then run `bash search/bench/gpu_check.sh` with carry [".whl", ".data"] and a timeout that leaves
# room for a second try. Figures land in $OUT: the device, the group bench per family (JSON), the
# timed LSTM search's lines and its study. A dry run here (no GPU) takes the sizes from the
# environment: OUT=/tmp/g EPOCHS=3 SIZES="1 2" SEARCH_SECONDS=10 bash search/bench/gpu_check.sh
set -uo pipefail
: "${OUT:?this runs on the device machine, where \$OUT is set}"
EPOCHS="${EPOCHS:-60}" SIZES="${SIZES:-1 8 32 128}" SEARCH_SECONDS="${SEARCH_SECONDS:-180}"
if [ -d .whl ]; then
    site="$(mktemp -d)"
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$site" .whl/*.whl \
        > "$OUT/install.txt" 2>&1 || { echo "install failed"; tail "$OUT/install.txt"; exit 1; }
    export PYTHONPATH="$site:$PWD"
fi
# One process at a time uses the card, but JAX would take 75% of it up front in each.
export KERAS_BACKEND=jax BITPREDICT_DATA_DIR="$PWD/.data" XLA_PYTHON_CLIENT_PREALLOCATE=false PYTHONUNBUFFERED=1
{ nvidia-smi -L; python3 -c "import jax, keras; print(jax.__version__, keras.__version__, jax.devices())"; } \
    > "$OUT/device.txt" 2>&1
for family in dense conv1d lstm; do  # one process each: a family cut off by its timeout loses only itself
    # shellcheck disable=SC2086
    timeout 70 python3 -m search.bench --only batched --groups-only --mode default --family "$family" \
        --groups $SIZES --batched-epochs "$EPOCHS" --json > "$OUT/groups-$family.json" 2>> "$OUT/groups.err"
    echo "groups $family: exit $?"
done
runs="$(mktemp -d)"
( time timeout $((SEARCH_SECONDS + 60)) python3 -m search.run --family lstm --trials 100 --no-retrain --no-stop \
    --seed 0 --timeout "$SEARCH_SECONDS" --runs "$runs" ) > "$OUT/lstm.txt" 2>&1
echo "lstm: exit $?"
cp "$runs/optuna.db" "$OUT/lstm-optuna.db" 2>/dev/null
tail -3 "$OUT/lstm.txt"
