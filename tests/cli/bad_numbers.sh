#!/bin/sh
# Numbers on the command line are typed and range-checked before anything runs: each case must
# exit 2 (a usage error) with a message that names the option. None needs a device.
# usage: bad_numbers.sh VKNN
set -u
vknn=$1
failed=0
check() {  # check OPTION-NAMED-IN-MESSAGE ARGS...
  name=$1
  shift
  out=$("$vknn" "$@" 2>&1)
  rc=$?
  if [ $rc -ne 2 ] || ! echo "$out" | grep -q -- "$name"; then
    echo "FAIL: vknn $* -> exit $rc: $out"
    failed=1
  else
    echo "ok: vknn $* -> $(echo "$out" | head -1)"
  fi
}
check --batch train --model lenet --data . --batch 4294967328    # wrapped to 32 by the old parser
check --batch train --model lenet --data . --batch 0
check --batch train --model lenet --data . --batch 12abc
check --batch train --model lenet --data . --batch 0x40          # no hex
check --seed train --model lenet --data . --seed -1              # no wrap into an unsigned
check --seed train --model lenet --data . --seed 18446744073709551616
check --lr train --model lenet --data . --lr nan
check --lr train --model lenet --data . --lr 0
check --momentum train --model lenet --data . --momentum 1.5
check --rule train --model lenet --data . --rule adam
check --limit eval --model lenet --weights w --data . --limit -1
check --num-classes infer --model lenet --weights w --num-classes -3 a.png
check --size bench matmul --size 99999999999999999999
check --iters bench ops --iters 0
check --model train --data .                                      # required
check "unknown command 'trian'" trian --model lenet
exit $failed
