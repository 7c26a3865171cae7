#!/bin/sh
# /init of the matrix's initramfs (tests/vm/vmkernels.py builds it, run-vm boots it), run by the
# static busybox as PID 1. It loads the 9p modules listed in /modules in order, mounts the host's
# / read-only on /newroot (9p tag "root"), the kernel filesystems tracetape uses inside it, the
# writable work share (tag "work") at its host path, and the control share (tag "ctl") on /ctl.
# /ctl/work holds the work share's path, /ctl/cmd.sh the command (a sh script run inside the
# chroot). The command's exit status goes to /ctl/status; then the machine resets, and qemu,
# started with -no-reboot, exits. Any failure before the command prints why and resets at once,
# so run-vm sees no status and says so.
/bin/busybox --install -s /bin
export PATH=/bin

say() { echo "tracetape-vm: $*"; }
die() { say "init: $*"; reboot -f; sleep 10; exit 1; }

mount -t devtmpfs devtmpfs /dev
# The initramfs has no /dev/console node of its own, so the kernel could not give us one.
exec < /dev/console > /dev/console 2>&1
mount -t proc proc /proc || die "cannot mount /proc"
mount -t sysfs sysfs /sys
while read -r m; do
	insmod "/lib/modules/$m" || die "insmod $m failed"
done < /modules

opts=trans=virtio,version=9p2000.L,msize=512000
mount -t 9p -o "$opts,cache=none" ctl /ctl || die "cannot mount the control share"
mount -t 9p -o "$opts,cache=loose,ro" root /newroot || die "cannot mount the host root"
r=/newroot
mount -t proc proc $r/proc
mount -t sysfs sysfs $r/sys
mount -t devtmpfs devtmpfs $r/dev
mkdir -p $r/dev/pts $r/dev/shm 2>/dev/null
mount -t devpts devpts $r/dev/pts
mount -t tmpfs -o mode=1777 tmpfs $r/dev/shm
mount -t tmpfs -o mode=1777 tmpfs $r/tmp
mount -t tmpfs -o mode=755 tmpfs $r/run
mount -t tracefs tracefs $r/sys/kernel/tracing || die "cannot mount tracefs"
mount -t debugfs debugfs $r/sys/kernel/debug || die "cannot mount debugfs"
mount -t bpf bpf $r/sys/fs/bpf || die "cannot mount bpffs"
mount -t cgroup2 cgroup2 $r/sys/fs/cgroup || die "cannot mount cgroup2"
work=$(cat /ctl/work)
if [ -n "$work" ]; then
	# Loose caching keeps one inode per file, as uprobes on binaries in the share need.
	mount -t 9p -o "$opts,cache=loose" work "$r$work" || die "cannot mount the work share on $work"
fi
# Tests talk to servers on 127.0.0.1; there is no other network.
ip link set lo up || die "cannot bring up the loopback interface"
uname -r > /ctl/release
stty -onlcr 2>/dev/null

say "running the command"
chroot $r /bin/sh -c "$(cat /ctl/cmd.sh)" < /dev/null
status=$?
# Whatever the command left running could still write to the work share: stop it, then flush.
kill -9 -1 2>/dev/null
sync
[ -n "$work" ] && umount "$r$work"
echo $status > /ctl/status
sync
umount /ctl
reboot -f
