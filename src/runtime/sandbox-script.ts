/**
 * The shell scripts that build environment sandboxes (namespaces level), in two steps so that an
 * environment costs a handful of mounts rather than dozens of processes.
 *
 * TEMPLATE_SCRIPT runs once per engine, as root in a mount namespace of its own (inside a user
 * namespace of its own on the `user-namespaces` level) held open by a sleeping process, and builds the root every environment shares, read-only:
 *
 *   /usr /etc (and /bin /lib … or their merged-usr links)   the system, nosuid, nodev
 *   /opt/lambdata/{bin/node,dist,node_modules}              the runtime
 *   /node_modules → /opt/lambdata/node_modules              where an ES module handler's bare
 *                                                           imports (`@aws-sdk/…`) end their walk
 *                                                           up from /var/task (NODE_PATH is CJS only)
 *   /dev/{null,zero,full,random,urandom}, /dev/shm → /tmp   devices
 *   /.stage/functions (0711)                                every function's code dir, for a blank
 *                                                           runtime to be handed one at init (each
 *                                                           function's dir belongs to its own group;
 *                                                           not on the user-namespaces level, where
 *                                                           environments cannot have users of their own)
 *   /tmp /proc /var                                         empty mount points
 *
 * ENVIRONMENT_SCRIPT runs for each environment as root, as PID 1 of a new PID namespace inside a
 * new mount and IPC namespace copied from the template's: it joins the environment's cgroups, mounts
 * its own /tmp (a tmpfs of the function's ephemeral storage), /proc and /var (with the code at
 * /var/task when the function is known, and its own grant directory read-only at /var/grants:
 * read-grants.ts), and pivots into the template root, leaving the data dir,
 * the engine's /proc and the rest of the host out of sight. It stays PID 1 — its parent-death
 * signal (`unshare --kill-child`) survives, and when PID 1 dies the kernel kills the whole
 * namespace — and starts the command as the function's user, or as root for a blank runtime, whose
 * bootstrap drops to the function's user at init; in a user namespace (uid `-`) it stays the one
 * mapped user and gives up every capability. It exits with the command's status (a runtime
 * killed by a signal therefore shows as exit status 128 + the signal's number). The script runs
 * with the engine's clean environment: a function's variables (LD_PRELOAD, PATH …) reach only its
 * own process, in the init message or, for a custom runtime, read from fd 4 (a file the engine
 * wrote and the script removes at once) after root is given up.
 */
export const TEMPLATE_SCRIPT = `set -eu
root=$1 dist=$2 modules=$3 node=$4 functions=$5
ro=ro,nosuid,nodev
mount -t tmpfs -o size=1m,mode=755 lambdata-root "$root"
cd "$root"
for d in usr etc bin sbin lib lib32 lib64 libx32; do
  if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "$d"
  elif [ -d "/$d" ]; then mkdir "$d"; mount --bind -o "$ro" "/$d" "$d"; fi
done
mkdir -p opt/lambdata/bin opt/lambdata/dist opt/lambdata/node_modules tmp proc dev var .stage/functions .old
touch opt/lambdata/bin/node dev/null dev/zero dev/full dev/random dev/urandom
ln -s /proc/self/fd dev/fd
ln -s /tmp dev/shm
mount --bind -o "$ro" "$node" opt/lambdata/bin/node
mount --bind -o "$ro" "$dist" opt/lambdata/dist
if [ -d "$modules" ]; then mount --bind -o "$ro" "$modules" opt/lambdata/node_modules; fi
ln -s /opt/lambdata/node_modules node_modules
for n in null zero full random urandom; do mount --bind "/dev/$n" "dev/$n"; done
if [ -n "$functions" ]; then mount --bind -o "$ro" "$functions" .stage/functions; fi
chmod 711 .stage
mount -o remount,bind,ro "$root"
echo ready
exec sleep infinity
`;

export const ENVIRONMENT_SCRIPT = `set -eu
root=$1 procs=$2 tmpsize=$3 task=$4 uid=$5 gid=$6 envfile=$7 grants=$8
shift 8
if [ -n "$envfile" ]; then exec 4< "$envfile"; rm -f "$envfile"; fi
for f in $procs; do echo 1 > "$f"; done
mount -t tmpfs -o "size=$tmpsize,mode=1777,nosuid,nodev" lambdata-tmp "$root/tmp"
mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
mount -t tmpfs -o size=64k,mode=755,nosuid,nodev lambdata-var "$root/var"
if [ -n "$task" ]; then
  mkdir "$root/var/task"
  mount --bind -o ro,nosuid,nodev "$task" "$root/var/task"
fi
if [ -n "$grants" ]; then
  mkdir "$root/var/grants"
  mount --bind -o ro,nosuid,nodev,noexec "$grants" "$root/var/grants"
fi
cd "$root"
pivot_root . .old
umount -l /.old
cd /var/task 2>/dev/null || cd /
if [ "$uid" = - ]; then
  # a user namespace maps one user only: stay that user, without any capability, for good
  drop="setpriv --no-new-privs --inh-caps=-all --bounding-set=-all --securebits=+noroot,+noroot_locked,+no_setuid_fixup,+no_setuid_fixup_locked --"
else
  drop="setpriv --reuid=$uid --regid=$gid --clear-groups --no-new-privs --inh-caps=-all --bounding-set=-all --"
fi
if [ "$uid" = 0 ]; then
  "$@" &
elif [ -n "$envfile" ]; then
  $drop /bin/sh -c 'eval "$(cat <&4)"; exec 4<&-; exec "$@"' lambdata-env "$@" &
else
  $drop "$@" &
fi
wait $! && exit 0 || exit $?
`;
