#!/bin/sh
# vknn tune: the first run times lenet's convolutions into a fresh tuning file, the second finds
# them all there; with VKNN_TUNE=off it refuses (exit 1) and says why.
# usage: tune.sh VKNN DIR
set -eu
vknn=$1
dir=$2
rm -rf "$dir"
VKNN_TUNE=on VKNN_PIPELINE_CACHE_DIR=$dir "$vknn" tune --model lenet --batch 2
ls "$dir"/tune-*.json
out=$(VKNN_TUNE=on VKNN_PIPELINE_CACHE_DIR=$dir "$vknn" tune --model lenet --batch 2)
echo "$out"
echo "$out" | grep -q ' 0 shape(s) tuned now, [1-9][0-9]* known before' || { echo "FAIL: the second run tuned again"; exit 1; }
rc=0
out=$(VKNN_TUNE=off VKNN_PIPELINE_CACHE_DIR=$dir "$vknn" tune --model lenet 2>&1) || rc=$?
echo "$out"
[ $rc -eq 1 ] || { echo "FAIL: VKNN_TUNE=off: exit $rc, expected 1"; exit 1; }
echo "$out" | grep -q 'VKNN_TUNE=off' || { echo "FAIL: the refusal does not name VKNN_TUNE=off"; exit 1; }
echo "tune: OK"
