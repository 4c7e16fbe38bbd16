/** The files of the test image's initramfs besides busybox and the kernel modules: its init, like a tiny cloud image. */

/** Settings baked into the guest files. */
export interface GuestFilesOptions {
  /** Kernel release (`6.1.0-56-amd64`), printed in the first line. */
  readonly kernelRelease: string;
  /** Module files under /lib/modules, in load order (dependencies first). */
  readonly modules: readonly string[];
}

/** A file of the initramfs: its path without leading `/`, content and mode. */
export interface GuestFile {
  readonly path: string;
  readonly content: string;
  readonly mode: number;
}

/** The line the guest prints first on its serial console. */
export const BANNER_START = '=== strata-test-image ready ===';
/** The line that closes the banner. */
export const BANNER_END = '=== end of banner ===';

const INIT = `#!/bin/sh
# First process: mount what busybox init needs, then become busybox init (still pid 1).
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
exec /sbin/init
`;

const INITTAB = `# busybox init: boot script, a shell on the serial console on demand, orderly power off.
::sysinit:/etc/strata/boot
::askfirst:-/bin/sh
tty1::askfirst:-/bin/sh
::ctrlaltdel:/sbin/reboot
::shutdown:/etc/strata/shutdown
`;

const MDEV_CONF = `# mdev -d runs this on every uevent; disks report themselves on the console (hot-plug).
-(vd[a-z]+|sd[a-z]+|hd[a-z]+|sr[0-9]+) 0:0 660 */etc/strata/block-event
.* 0:0 660
`;

const LIST_BLOCK = `#!/bin/sh
# Prints the disks the kernel has, with sizes: "vda 64M, sr0 1M". $1: a disk to leave out.
out=""
for d in /sys/block/*; do
  n=\${d##*/}
  case "$n" in loop*|ram*|zram*) continue;; esac
  [ "$n" = "$1" ] && continue
  s=$(cat "$d/size" 2>/dev/null || echo 0)
  kb=$((s / 2))
  if [ "$kb" -ge 1048576 ]; then sz="$((kb / 1048576))G"; elif [ "$kb" -ge 1024 ]; then sz="$((kb / 1024))M"; else sz="\${kb}K"; fi
  out="\${out:+$out, }$n $sz"
done
echo "\${out:-none}"
`;

const BLOCK_EVENT = `#!/bin/sh
# mdev hook: tell the console when a disk comes or goes (after boot; the banner lists the first ones).
[ -e /run/strata-booted ] || exit 0
case "$ACTION" in
  add) echo "strata-test-image: block device added: $MDEV" > /dev/console
       echo "block devices: $(/etc/strata/list-block)" > /dev/console ;;
  remove) echo "strata-test-image: block device removed: $MDEV" > /dev/console
          echo "block devices: $(/etc/strata/list-block "$MDEV")" > /dev/console ;;
esac
exit 0
`;

const UDHCPC = `#!/bin/sh
# udhcpc hook: apply a lease (address, routes incl. classless static routes, MTU, DNS).
case "$1" in
  deconfig)
    ip -4 addr flush dev "$interface"
    ip link set dev "$interface" up ;;
  bound|renew)
    ip -4 addr flush dev "$interface"
    ip addr add "$ip/\${mask:-24}" dev "$interface"
    [ -n "$mtu" ] && ip link set dev "$interface" mtu "$mtu"
    if [ -n "$staticroutes" ]; then
      set -- $staticroutes
      while [ $# -ge 2 ]; do ip route add "$1" via "$2" dev "$interface" 2>/dev/null; shift 2; done
    fi
    for r in $router; do ip route add default via "$r" dev "$interface" 2>/dev/null && break; done
    : > /etc/resolv.conf
    for d in $dns; do echo "nameserver $d" >> /etc/resolv.conf; done
    [ -e /run/strata-booted ] && echo "strata-test-image: $interface $ip/\${mask:-24}" > /dev/console ;;
esac
exit 0
`;

const POWER_BUTTON = `#!/bin/sh
# busybox acpid runs this on the ACPI power button. Everything lives in RAM, so after the
# shutdown script nothing needs init's two seconds of waiting for processes to end.
echo "strata-test-image: power button pressed, powering off" > /dev/console
/etc/strata/shutdown
poweroff -f
`;

const SHUTDOWN = `#!/bin/sh
# Run by busybox init before an orderly power off or reboot, and by the power button handler.
echo "strata-test-image: shutting down" > /dev/console
killall udhcpc acpid dropbear 2>/dev/null
umount /mnt/config 2>/dev/null
sync
`;

function boot(options: GuestFilesOptions): string {
  return `#!/bin/sh
# The boot script (sysinit): modules, devices, network, metadata, user data, banner.
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mkdir -p /dev/pts /dev/shm /run /tmp /var/log /var/run /mnt/config /root/.ssh
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
echo "strata-test-image: booting (kernel ${options.kernelRelease})"
# strata.trace on the kernel command line prints the time of each step.
trace() { :; }
grep -q strata.trace /proc/cmdline && trace() { echo "strata-test-image: [$(cut -d' ' -f1 /proc/uptime)] $1"; }

# Drivers for virtio, IDE/AHCI/SCSI disks and CD-ROMs, NICs, ISO 9660/FAT and the power button.
# insmod returns once the module's devices are probed (scsi_mod.scan=sync on the command line).
for m in $(cat /etc/strata/modules); do insmod "/lib/modules/$m" 2>/dev/null; done
ip link set dev lo up
trace "modules loaded"

# devtmpfs made the device nodes; mdev only reports disks that come and go (no -s scan: 0.3 s under TCG).
mdev -d
acpid -c /etc/acpi -l /var/log/acpid.log
trace "mdev and acpid started"

# Config drive (label config-2, ISO 9660 or FAT), else any disk that carries openstack/latest.
md=""
source=""
mount_config() {
  mount -o ro -t iso9660 "$1" /mnt/config 2>/dev/null || mount -o ro -t vfat "$1" /mnt/config 2>/dev/null || return 1
  if [ -f /mnt/config/openstack/latest/meta_data.json ]; then return 0; fi
  umount /mnt/config
  return 1
}
dev=$(findfs LABEL=config-2 2>/dev/null)
if [ -n "$dev" ] && mount_config "$dev"; then
  source="config-drive ($dev)"
else
  for d in /dev/sr[0-9]* /dev/vd[b-z] /dev/sd[b-z] /dev/hd[a-z]; do
    [ -b "$d" ] || continue
    if mount_config "$d"; then source="config-drive ($d)"; break; fi
  done
fi
if [ -n "$source" ]; then
  md=/mnt/config/openstack/latest/meta_data.json
  [ -f /mnt/config/openstack/latest/user_data ] && cp /mnt/config/openstack/latest/user_data /run/user-data
fi

trace "config drive search done"
# Network: DHCP on every NIC; a NIC without an answer keeps trying in the background.
for n in /sys/class/net/*; do
  i=\${n##*/}
  [ "$i" = lo ] && continue
  ip link set dev "$i" up
  udhcpc -i "$i" -s /etc/strata/udhcpc -t 3 -T 1 -A 10 -b -p "/run/udhcpc.$i.pid" -O mtu -O staticroutes >/dev/null 2>&1
done

trace "dhcp done"
# No config drive: the metadata service. (busybox-static's wget crashes in Debian; nc does HTTP/1.0.)
# busybox's nc hangs up when its input ends, before the answer comes: the input stays open for a second.
http_get() {
  { printf 'GET %s HTTP/1.0\r\nHost: 169.254.169.254\r\nConnection: close\r\n\r\n' "$1"; sleep 1; } | nc -w 3 169.254.169.254 80 > /run/http.out 2>/dev/null || return 1
  head -n 1 /run/http.out | grep -q ' 200 ' || return 1
  cr=$(printf '\r')
  sed "1,/^$cr\$/d" /run/http.out > "$2"
}
if [ -z "$source" ] && ip -4 route | grep -q .; then
  if http_get /openstack/latest/meta_data.json /run/meta_data.json; then
    md=/run/meta_data.json
    source="metadata service (169.254.169.254)"
    http_get /openstack/latest/user_data /run/user-data || rm -f /run/user-data
  fi
fi

field() { sed -n "s/.*\\"$1\\"[[:space:]]*:[[:space:]]*\\"\\([^\\"]*\\)\\".*/\\1/p" "$md" | head -n 1; }
host=strata-test
uuid=unknown
keys=""
if [ -n "$md" ]; then
  h=$(field hostname); [ -n "$h" ] && host="$h"
  u=$(field uuid); [ -n "$u" ] && uuid="$u"
  sed -n 's/.*"public_keys"[[:space:]]*:[[:space:]]*{\\([^}]*\\)}.*/\\1/p' "$md" | sed 's/"[[:space:]]*,[[:space:]]*"/"\\n"/g' > /run/keys
  sed -n 's/^[[:space:]]*"[^"]*"[[:space:]]*:[[:space:]]*"\\(.*\\)"[[:space:]]*$/\\1/p' /run/keys > /root/.ssh/authorized_keys
  keys=$(sed -n 's/^[[:space:]]*"\\([^"]*\\)"[[:space:]]*:.*/\\1/p' /run/keys | tr '\\n' ' ' | sed 's/ *$//')
fi
hostname "$host"
trace "metadata read"
echo "$host" > /etc/hostname

# SSH: dropbear makes its host key on the first connection (-R); root logs in with the metadata's keys.
ssh="none"
if [ -x /usr/sbin/dropbear ]; then
  mkdir -p /etc/dropbear
  dropbear -R -s -p 22 -P /run/dropbear.pid 2>/dev/null && ssh="port 22 (dropbear, keys only)"
fi
trace "ssh started"

addrs=$(ip -o addr show | awk '$2 != "lo" { printf "%s%s %s", sep, $2, $4; sep = ", " }')
echo "${BANNER_START}"
echo "hostname: $host"
echo "instance-id: $uuid"
echo "metadata: \${source:-none}"
echo "addresses: \${addrs:-none}"
echo "block devices: $(/etc/strata/list-block)"
echo "public keys: \${keys:-none}"
echo "ssh: $ssh"
echo "kernel: $(uname -r), up $(cut -d' ' -f1 /proc/uptime) s"
echo "${BANNER_END}"
touch /run/strata-booted

# user_data runs when it is a script (starts with #!), like cloud-init's user scripts.
if [ -s /run/user-data ]; then
  if [ "$(head -c 2 /run/user-data)" = '#!' ]; then
    chmod 0700 /run/user-data
    ( /run/user-data > /dev/console 2>&1; echo "strata-test-image: user-data exited with $?" > /dev/console ) &
  else
    echo "strata-test-image: user-data is not a script, not run"
  fi
fi
exit 0
`;
}

/** Every file the guest needs, with content and mode. */
export function guestFiles(options: GuestFilesOptions): GuestFile[] {
  return [
    { path: 'init', content: INIT, mode: 0o755 },
    { path: 'etc/inittab', content: INITTAB, mode: 0o644 },
    { path: 'etc/mdev.conf', content: MDEV_CONF, mode: 0o644 },
    { path: 'etc/strata/boot', content: boot(options), mode: 0o755 },
    { path: 'etc/strata/shutdown', content: SHUTDOWN, mode: 0o755 },
    { path: 'etc/strata/list-block', content: LIST_BLOCK, mode: 0o755 },
    { path: 'etc/strata/block-event', content: BLOCK_EVENT, mode: 0o755 },
    { path: 'etc/strata/udhcpc', content: UDHCPC, mode: 0o755 },
    { path: 'etc/strata/modules', content: `${options.modules.join('\n')}\n`, mode: 0o644 },
    { path: 'etc/acpi/PWRF/00000080', content: POWER_BUTTON, mode: 0o755 },
    { path: 'etc/hostname', content: 'strata-test\n', mode: 0o644 },
    { path: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\n', mode: 0o644 },
    { path: 'etc/group', content: 'root:x:0:\n', mode: 0o644 },
    { path: 'etc/shells', content: '/bin/sh\n', mode: 0o644 },
    { path: 'etc/nsswitch.conf', content: 'passwd: files\ngroup: files\nshadow: files\n', mode: 0o644 },
    { path: 'etc/resolv.conf', content: '', mode: 0o644 },
  ];
}

/** The syslinux configuration: boot the kernel at once, console on the serial port. */
export function syslinuxConfig(): string {
  return [
    'CONSOLE 0',
    'DEFAULT strata',
    'PROMPT 0',
    'TIMEOUT 0',
    'LABEL strata',
    '  KERNEL /vmlinuz',
    '  INITRD /initrd.gz',
    '  APPEND console=ttyS0,115200n8 quiet scsi_mod.scan=sync panic=-1 cryptomgr.notests no_timer_check nowatchdog i8042.noaux 8250.nr_uarts=1',
    '',
  ].join('\n');
}
