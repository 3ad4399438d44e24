/**
 * The guest's /init (busybox sh), rendered from the list of modules to load. Pure.
 *
 * Protocol: after loading the modules the guest prints one `baseline` report, then polls (with
 * shell builtins only, so a poll costs no fork) a signature of the hot-pluggable PCI devices,
 * their drivers and the number of IRQ descriptors. Whenever the signature changes it prints a
 * `change` report; it also re-prints one every ~2 s of quiet, so a report mangled by kernel
 * console output interleaved on the serial line is repaired without the host having to ask.
 * The host therefore never sleeps: it waits for the report that satisfies what it expects
 * (device bound with its vectors / device gone).
 */
export interface GuestInitOptions {
  /** Paths of .ko files inside the initramfs, in load order (dependencies first). */
  modules: string[];
  /** Poll interval in microseconds (busybox usleep). */
  pollUs?: number;
  /** Polls without change after which the last report is repeated. */
  heartbeatPolls?: number;
}

function shellWord(s: string): string {
  if (!/^[A-Za-z0-9_./+-]+$/.test(s)) throw new Error(`unsafe path for the guest init: ${JSON.stringify(s)}`);
  return s;
}

export function renderGuestInit(opts: GuestInitOptions): string {
  const pollUs = opts.pollUs ?? 50_000;
  const heartbeat = opts.heartbeatPolls ?? 40;
  const mods = opts.modules.map(shellWord).join(" ");
  return `#!/bin/busybox sh
# irqtriage guest init: reports IRQ state on the serial console (see src/qemu/guest-init.ts).
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev /tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
err() { echo "IRQTRIAGE {\\"event\\":\\"error\\",\\"message\\":\\"$1\\"}"; }
for m in ${mods}; do
  insmod "$m" 2>/dev/null || err "insmod $m failed"
done
release=""
read release < /proc/sys/kernel/osrelease
seq=0

# S: cheap signature of the state the host waits on (builtins only).
sig() {
  set -- /sys/kernel/irq/*
  S="$#"
  for d in /sys/bus/pci/devices/*; do
    case "\${d##*/}" in *:00:*) continue;; esac
    [ -e "$d" ] || continue
    S="$S \${d##*/}"
    [ -e "$d/driver" ] && S="\${S}b"
    for c in "$d"/virtio*; do [ -e "$c/driver" ] && S="\${S}v"; done
  done
}

# One report; re-taken until the signature is the same before and after, so that the counts
# and the device states in one line belong to the same moment (a probe can finish mid-report).
report() {
  ev=$1
  while :; do
    sig
    pre=$S
    measure
    sig
    [ "$S" = "$pre" ] && break
  done
  last=$S
  seq=$((seq + 1))
  echo "IRQTRIAGE {\\"event\\":\\"$ev\\",\\"seq\\":$seq,\\"release\\":\\"$release\\",\\"descriptors\\":$n,\\"controllers\\":{$ctl},\\"domains\\":$doms,\\"devices\\":[$devs]}"
}

measure() {
  set -- /sys/kernel/irq/*
  n=$#
  [ -e "$1" ] || n=0
  ctl=$(awk 'NR==1{n=NF;next} $1~/^[0-9]+:$/{c[$(n+2)]++} END{s="";for(k in c){s=s (s==""?"":",") "\\"" k "\\":" c[k]};printf "%s",s}' /proc/interrupts)
  doms=null
  if [ -d /sys/kernel/debug/irq/domains ]; then
    doms=""
    for f in /sys/kernel/debug/irq/domains/*; do
      [ -e "$f" ] || continue
      b=\${f##*/}
      case "$b" in *'"'*|*'\\'*) continue;; esac
      doms="$doms\${doms:+,}\\"$b\\""
    done
    doms="[$doms]"
  fi
  devs=""
  for d in /sys/bus/pci/devices/*; do
    a=\${d##*/}
    case "$a" in *:00:*) continue;; esac
    [ -e "$d" ] || continue
    v=; dv=; irq=
    read v < "$d/vendor" 2>/dev/null
    read dv < "$d/device" 2>/dev/null
    read irq < "$d/irq" 2>/dev/null
    b=0; [ -e "$d/driver" ] && b=1
    vn=""; vb=0
    for c in "$d"/virtio*; do [ -d "$c" ] && { vn=\${c##*/}; [ -e "$c/driver" ] && vb=1; }; done
    il=0
    [ -n "$vn" ] && il=$(grep -c -E "[ ,]$vn(-|,|\\$)" /proc/interrupts)
    set -- "$d"/msi_irqs/*
    m=$#
    [ -e "$1" ] || m=0
    devs="$devs\${devs:+,}{\\"addr\\":\\"$a\\",\\"id\\":\\"\${v#0x}:\${dv#0x}\\",\\"bound\\":$b,\\"virtio\\":\\"$vn\\",\\"vbound\\":$vb,\\"irqlines\\":\${il:-0},\\"msi\\":$m,\\"irq\\":\${irq:-0}}"
  done
}

report baseline
i=0
while :; do
  sig
  if [ "$S" != "$last" ]; then
    report change
    i=0
  else
    i=$((i + 1))
    if [ $i -ge ${heartbeat} ]; then report change; i=0; fi
  fi
  usleep ${pollUs}
done
`;
}
