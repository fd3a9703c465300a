#!/bin/sh
# Two "machines" on one: two network namespaces made here, joined by a veth pair with
# private addresses that exist only inside them, each with its own host name (a UTS
# namespace). mpirun runs in the first and starts rank 1's daemon in the second through a
# plain rsh agent (`ip netns exec`), so the ranks talk over TCP between the namespaces as
# between two hosts. 2 ranks (one per machine) at batch 4 must equal 1 process at batch 8
# after 3 SGD steps of a LeNet, within 1e-5 relative to each tensor's largest magnitude, and
# rank 1 must report the second machine's host name.
# Making namespaces needs CAP_SYS_ADMIN and CAP_NET_ADMIN (root on a machine or a privileged
# container): without them, or without ip(8) and unshare(1), the test is skipped (77).
#   usage: multihost.sh DP_TRAIN_STEP MPIRUN WORK_DIR
set -u
bin=$1 mpirun=$2 dir=$3
rm -rf "$dir" && mkdir -p "$dir" || exit 1
a=vknn-a-$$ b=vknn-b-$$ va=vkna$$ vb=vknb$$
ipa=10.77.0.1 ipb=10.77.0.2
skip() { echo "SKIPPED: $*"; cleanup; exit 77; }
cleanup() { ip netns del "$a" 2>/dev/null; ip netns del "$b" 2>/dev/null; }
trap cleanup EXIT
trap 'exit 1' INT TERM
command -v ip >/dev/null && command -v unshare >/dev/null || skip "ip(8) or unshare(1) not found"
out=$(ip netns add "$a" 2>&1) || skip "cannot make a network namespace: $out"
out=$(ip netns add "$b" 2>&1) || skip "cannot make a network namespace: $out"
out=$(ip link add "$va" type veth peer name "$vb" 2>&1) || skip "cannot make a veth pair: $out"
ip link set "$va" netns "$a" && ip link set "$vb" netns "$b" &&
  ip -n "$a" addr add $ipa/24 dev "$va" && ip -n "$b" addr add $ipb/24 dev "$vb" &&
  ip -n "$a" link set "$va" up && ip -n "$b" link set "$vb" up &&
  ip -n "$a" link set lo up && ip -n "$b" link set lo up || { echo "FAILED: setting up the veth pair"; exit 1; }
out=$(ip netns exec "$a" unshare --uts true 2>&1) || skip "cannot make a UTS namespace: $out"

# The rsh agent: `agent HOST COMMAND...` runs COMMAND on that "machine".
cat >"$dir/agent.sh" <<AGENT
#!/bin/sh
host=\$1
shift
case \$host in
  $ipa) exec ip netns exec $a unshare --uts sh -c "hostname vknn-host-a; \$*" ;;
  $ipb) exec ip netns exec $b unshare --uts sh -c "hostname vknn-host-b; \$*" ;;
esac
echo "agent: no machine \$host" >&2
exit 1
AGENT
chmod +x "$dir/agent.sh"

"$bin" run --batch 8 --steps 3 --bucket-bytes 0 --out "$dir/one.safetensors"
rc=$?
[ $rc -eq 0 ] || exit $rc
start=$(date +%s)
timeout -s KILL 120 "$dir/agent.sh" $ipa "$mpirun" --allow-run-as-root --oversubscribe \
  --mca plm_rsh_agent "$dir/agent.sh" --mca btl tcp,self \
  --mca btl_tcp_if_include 10.77.0.0/24 --mca oob_tcp_if_include 10.77.0.0/24 \
  -H $ipa:1,$ipb:1 -np 2 "$bin" run --batch 8 --steps 3 --bucket-bytes 1024 --out "$dir/two.safetensors" \
  >"$dir/two.log" 2>&1
rc=$?
cat "$dir/two.log"
echo "== 2 ranks on two machines: exit $rc after $(( $(date +%s) - start )) s"
[ $rc -eq 0 ] || { echo "FAILED: mpirun across the namespaces exited $rc"; exit 1; }
grep -q 'rank 0 (host vknn-host-a) of 2 (MPI)' "$dir/two.log" || { echo "FAILED: rank 0 not on vknn-host-a"; exit 1; }
grep -q 'rank 1 (host vknn-host-b) of 2 (MPI)' "$dir/two.log" || { echo "FAILED: rank 1 not on vknn-host-b"; exit 1; }
"$bin" compare "$dir/one.safetensors" "$dir/two.safetensors" --rel 1e-5
