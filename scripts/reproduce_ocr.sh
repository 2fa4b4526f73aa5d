#!/bin/sh
# Reproduce the shipped OCR (models/plate_ocr_int8.tflite, "run 7") from scratch: the chain of
# four scripts/train_ocr.py runs that made it, each starting from the previous one's weights
# (models/plate_ocr.md, "Training procedure"). About 3 hours on a 2-core machine.
#
#   scripts/reproduce_ocr.sh /path/to/us-plate-crops [OUT_DIR] [WORK_DIR]
#
# OUT_DIR (default: models/) receives plate_ocr_int8.tflite; WORK_DIR (default: a new temporary
# folder) keeps each run's weights and log. Runs 1 to 3 were trained on 48 x 96 crops, run 7 on
# 48 x 192. The runs stop on wall-clock budgets and the first three used the generator of their
# day, so the result is a model of the same recipe, not a byte-identical file.
set -eu

if [ $# -lt 1 ]; then
    echo "usage: $0 /path/to/us-plate-crops [OUT_DIR] [WORK_DIR]" >&2
    exit 2
fi
DATA=$1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${2:-$ROOT/models}
WORK=${3:-$(mktemp -d /tmp/alpr-ocr-chain.XXXXXX)}
mkdir -p "$WORK"
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
[ -x "$PYTHON" ] || PYTHON=python3

train() {
    name=$1
    shift
    echo "== $name: $*  (log: $WORK/$name.log)"
    PYTHONPATH="$ROOT:$ROOT/scripts" "$PYTHON" "$ROOT/scripts/train_ocr.py" --data "$DATA" \
        --weights-out "$WORK/$name.weights.h5" "$@" >"$WORK/$name.log" 2>&1
    tail -n 1 "$WORK/$name.log"
}

train run1 --width 96 --out "$WORK/run1"
train run2 --width 96 --out "$WORK/run2" --init "$WORK/run1.weights.h5" --lr 1e-3 --time-budget-min 38 \
    --synthetic 16000 --seed 99 --real-repeats 24
train run3 --width 96 --out "$WORK/run3" --init "$WORK/run2.weights.h5" --lr 4e-4 --time-budget-min 22 \
    --synthetic 12000 --seed 7 --real-repeats 24
train run7 --width 192 --out "$OUT" --init "$WORK/run3.weights.h5" --lr 1e-3 --time-budget-min 55 \
    --synthetic 16000 --seed 41 --real-repeats 24
echo "shipped-recipe OCR written to $OUT/plate_ocr_int8.tflite (weights and logs in $WORK)"
