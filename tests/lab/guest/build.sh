#!/usr/bin/env bash
# Build the azblink.nfv lab guest: a Debian bookworm kernel + a tiny busybox
# initramfs that boots in seconds under QEMU TCG and answers ping/TCP/HTTP.
#
#   usage: tests/lab/guest/build.sh OUTDIR
#
# Produces OUTDIR/vmlinuz, OUTDIR/initrd.img, OUTDIR/guest.env and
# OUTDIR/SHA256SUMS. Only apt (Debian mirrors) is used for downloads.
# Idempotent: exits quickly when OUTDIR already matches the inputs
# (sources in this directory + candidate versions of the Debian packages).
# Set AZB_GUEST_FORCE=1 to rebuild anyway.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUTDIR=${1:-}
if [[ -z "$OUTDIR" || $# -ne 1 ]]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi

# Kernel modules put into the initramfs (dependencies are added from
# modules.dep). Everything else the guest needs is built into the Debian
# kernel (8250 serial, devtmpfs, af_packet, unix sockets, pcieport ...).
#   virtio_pci  -> virtio, virtio_ring, virtio_pci_legacy_dev, virtio_pci_modern_dev
#   virtio_net  -> net_failover, failover
#   virtio_blk     data disk /dev/vda
#   ext4        -> jbd2, mbcache, crc16 (also mounts ext2, CONFIG_EXT4_USE_FOR_EXT2=y)
#   crc32c_generic ext4 metadata_csum on disks created elsewhere
#   i6300esb    -> watchdog (optional <watchdog model='i6300esb'/>)
#   button, evdev  ACPI power button -> acpid -> poweroff (virsh shutdown)
MODULES=(virtio_pci virtio_net virtio_blk crc32c_generic ext4 i6300esb button evdev)

log() { echo "build.sh: $*" >&2; }
die() { echo "build.sh: ERROR: $*" >&2; exit 1; }

# ------------------------------------------------------------------ host tools
declare -A TOOL_PKG=(
    [apt-get]=apt [apt-cache]=apt [dpkg-deb]=dpkg [depmod]=kmod [cpio]=cpio
    [gzip]=gzip [sha256sum]=coreutils [find]=findutils [awk]=mawk
)
PATH=$PATH:/usr/sbin:/sbin   # depmod lives in /sbin
missing_pkgs=()
for tool in "${!TOOL_PKG[@]}"; do
    command -v "$tool" >/dev/null 2>&1 || missing_pkgs+=("${TOOL_PKG[$tool]}")
done
if ((${#missing_pkgs[@]})); then
    if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        log "installing missing host packages: ${missing_pkgs[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing_pkgs[@]}" >&2 \
            || die "apt-get install ${missing_pkgs[*]} failed"
    else
        die "missing host tools; install Debian packages: ${missing_pkgs[*]}"
    fi
fi

APT_OPTS=(-q)
# apt drops privileges to _apt for downloads; our private temp dir is not
# accessible to it, so download as root (avoids a noisy warning).
[[ $EUID -eq 0 ]] && APT_OPTS+=(-o APT::Sandbox::User=root)

candidate() { apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2; exit}'; }

KMETA_VER=$(candidate linux-image-amd64)
BB_VER=$(candidate busybox-static)
if [[ -z "$KMETA_VER" || "$KMETA_VER" == "(none)" || -z "$BB_VER" || "$BB_VER" == "(none)" ]]; then
    [[ $EUID -eq 0 ]] || die "apt has no candidate for linux-image-amd64/busybox-static (run apt-get update)"
    log "apt lists look empty, running apt-get update"
    apt-get "${APT_OPTS[@]}" update >&2 || die "apt-get update failed"
    KMETA_VER=$(candidate linux-image-amd64)
    BB_VER=$(candidate busybox-static)
fi
[[ -n "$KMETA_VER" && "$KMETA_VER" != "(none)" ]] || die "no candidate for linux-image-amd64"
[[ -n "$BB_VER" && "$BB_VER" != "(none)" ]] || die "no candidate for busybox-static"

# ------------------------------------------------------------------ up to date?
STAMP=$(
    {
        echo "linux-image-amd64=$KMETA_VER busybox-static=$BB_VER modules=${MODULES[*]}"
        cd "$HERE" && find build.sh init.sh rootfs -type f -print0 | LC_ALL=C sort -z \
            | xargs -0 sha256sum
        cd "$HERE" && find rootfs -print0 | LC_ALL=C sort -z | xargs -0 stat -c '%n %a'
    } | sha256sum | awk '{print $1}'
)
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
if [[ "${AZB_GUEST_FORCE:-0}" != 1 && -s "$OUTDIR/vmlinuz" && -s "$OUTDIR/initrd.img" \
      && -s "$OUTDIR/guest.env" && -r "$OUTDIR/.stamp" && "$(cat "$OUTDIR/.stamp")" == "$STAMP" ]] \
   && (cd "$OUTDIR" && sha256sum --quiet -c SHA256SUMS >/dev/null 2>&1); then
    log "up to date: $OUTDIR"
    exit 0
fi

# ------------------------------------------------------------------ download
WORK=$(mktemp -d /tmp/azb-guest-build.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

log "downloading linux-image-amd64=$KMETA_VER busybox-static=$BB_VER"
apt-get "${APT_OPTS[@]}" download "linux-image-amd64=$KMETA_VER" "busybox-static=$BB_VER" >&2 \
    || die "apt-get download failed"
META_DEB=$(ls linux-image-amd64_*.deb)
# Depends: linux-image-6.1.0-NN-amd64 (= 6.1.x-y)
KDEP=$(dpkg-deb -f "$META_DEB" Depends | tr ',' '\n' | grep -o 'linux-image-[0-9][^ ]*' | head -n1)
KDEP_VER=$(dpkg-deb -f "$META_DEB" Depends | tr ',' '\n' | grep "$KDEP" | sed -n 's/.*(= *\([^)]*\)).*/\1/p' | head -n1)
[[ -n "$KDEP" ]] || die "cannot find the kernel package in Depends of $META_DEB"
log "downloading $KDEP${KDEP_VER:+=$KDEP_VER}"
apt-get "${APT_OPTS[@]}" download "$KDEP${KDEP_VER:+=$KDEP_VER}" >&2 || die "apt-get download $KDEP failed"

log "extracting"
mkdir kpkg bbpkg
dpkg-deb -x "$(ls "${KDEP}"_*.deb)" kpkg
dpkg-deb -x "$(ls busybox-static_*.deb)" bbpkg
KVER=$(find kpkg/lib/modules -mindepth 1 -maxdepth 1 -printf '%f\n' | head -n1)
[[ -n "$KVER" && -f "kpkg/boot/vmlinuz-$KVER" ]] || die "no vmlinuz in $KDEP"
BUSYBOX=bbpkg/bin/busybox
[[ -x "$BUSYBOX" ]] || die "no /bin/busybox in busybox-static"

# ------------------------------------------------------------------ modules
depmod -b kpkg "$KVER"
KMOD=kpkg/lib/modules/$KVER
declare -A WANT=()
resolve() { # NAME -> adds the module path and its deps to WANT
    local name=$1 line path dep
    # modules.dep uses file names; '-' and '_' are interchangeable in names
    line=$(grep -E "/(${name}|${name//_/-})\.ko(\.[a-z]+)?:" "$KMOD/modules.dep" | head -n1 || true)
    if [[ -z "$line" ]]; then
        if grep -qE "/(${name}|${name//_/-})\.ko" "$KMOD/modules.builtin"; then
            log "module $name is built into $KVER"
            return 0
        fi
        die "module $name not found in $KVER"
    fi
    path=${line%%:*}
    WANT[$path]=1
    for dep in ${line#*:}; do WANT[$dep]=1; done
}
for m in "${MODULES[@]}"; do resolve "$m"; done

ROOT=$WORK/root
mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,run,tmp,data,mnt,root,var/log,lib/modules/"$KVER"}
for p in "${!WANT[@]}"; do
    install -D -m 0644 "$KMOD/$p" "$ROOT/lib/modules/$KVER/$p"
done
cp "$KMOD"/modules.order "$KMOD"/modules.builtin "$KMOD"/modules.builtin.modinfo "$ROOT/lib/modules/$KVER/"
depmod -b "$ROOT" "$KVER"
# keep only what busybox modprobe reads
find "$ROOT/lib/modules/$KVER" -maxdepth 1 -name 'modules.*' \
    ! -name modules.dep ! -name modules.alias ! -name modules.builtin ! -name modules.order -delete

{
    echo "# generated by build.sh: modules loaded by /init, in order"
    printf '%s\n' "${MODULES[@]}"
} > "$ROOT/etc-azb-modules"

# ------------------------------------------------------------------ rootfs
install -m 0755 "$BUSYBOX" "$ROOT/bin/busybox"
# one symlink per applet, at the path busybox suggests (/bin, /sbin, /usr/...)
"$ROOT/bin/busybox" --list-full | while read -r applet; do
    [[ -e "$ROOT/$applet" || -L "$ROOT/$applet" ]] && continue
    mkdir -p "$ROOT/$(dirname "$applet")"
    ln -s /bin/busybox "$ROOT/$applet"
done
[[ -L "$ROOT/bin/sh" ]] || die "busybox has no sh applet"

cp -a "$HERE/rootfs/." "$ROOT/"
mkdir -p "$ROOT/etc"
mv "$ROOT/etc-azb-modules" "$ROOT/etc/azb-modules"
install -m 0755 "$HERE/init.sh" "$ROOT/init"
echo "root:x:0:0:root:/root:/bin/sh" > "$ROOT/etc/passwd"
echo "root:x:0:" > "$ROOT/etc/group"
: > "$ROOT/etc/resolv.conf"
# /dev/console lets the kernel give /init a console before devtmpfs is
# mounted; /init copes without it (non-root builds cannot mknod).
if ! { mknod -m 600 "$ROOT/dev/console" c 5 1 && mknod -m 666 "$ROOT/dev/null" c 1 3; } 2>/dev/null; then
    log "WARNING: mknod not permitted (not root?): initramfs without /dev/console"
fi
chmod 1777 "$ROOT/tmp"
{
    echo "AZB_GUEST_KERNEL=$KVER"
    echo "AZB_GUEST_KERNEL_PKG=$KDEP=${KDEP_VER:-?}"
    echo "AZB_GUEST_BUSYBOX=$BB_VER"
    echo "AZB_GUEST_BUILT=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} > "$ROOT/etc/azb-guest-release"

# ------------------------------------------------------------------ outputs
log "packing initramfs"
(cd "$ROOT" && find . -mindepth 1 -print0 | LC_ALL=C sort -z \
    | cpio --null -o -H newc --owner=0:0 --quiet) | gzip -9 -n > "$WORK/initrd.img"
install -m 0644 "kpkg/boot/vmlinuz-$KVER" "$WORK/vmlinuz"

cat > "$WORK/guest.env" <<EOF
# azblink.nfv lab guest - generated by tests/lab/guest/build.sh
# Boot: direct kernel boot (QEMU -kernel/-initrd/-append, libvirt <os><kernel>/<initrd>/<cmdline>).
AZB_GUEST_KERNEL_VERSION=$KVER
AZB_GUEST_KERNEL_PKG=$KDEP=${KDEP_VER:-?}
AZB_GUEST_BUSYBOX_PKG=busybox-static=$BB_VER
AZB_GUEST_MODULES="$(printf '%s ' "${!WANT[@]}" | xargs -n1 basename | sed 's/\.ko$//' | LC_ALL=C sort | xargs)"
AZB_GUEST_KERNEL_FILE=vmlinuz
AZB_GUEST_INITRD_FILE=initrd.img
# base kernel command line; append the azb.* keys below
AZB_GUEST_CMDLINE_BASE="console=ttyS0,115200 quiet mitigations=off panic=5"
# azb.ip=CIDR azb.gw=IP azb.dns=IP[,IP]  static IPv4 on eth0 (default: DHCP via udhcpc)
# azb.ip1=CIDR (eth1)  azb.forward  azb.return=IP  a routed hop (see README.md)
# azb.hostname=NAME  azb.iface=eth0  azb.dhcp_wait=20
# azb.nodisk  azb.nowatchdog  azb.wdt_timeout=20  azb.debug
# data disk: first virtio disk /dev/vda, ext2-formatted only if blank, mounted at /data
AZB_GUEST_READY_PATTERN="AZB-GUEST READY "
AZB_GUEST_TCP_PORTS="7 80"
AZB_GUEST_HTTP_PATHS="/ /cgi-bin/status /cgi-bin/marker /cgi-bin/set-marker?VALUE /cgi-bin/hang"
EOF

(cd "$WORK" && sha256sum vmlinuz initrd.img guest.env > SHA256SUMS)
for f in vmlinuz initrd.img guest.env SHA256SUMS; do
    install -m 0644 "$WORK/$f" "$OUTDIR/.$f.new"
    mv -f "$OUTDIR/.$f.new" "$OUTDIR/$f"
done
echo "$STAMP" > "$OUTDIR/.stamp"
log "done: $OUTDIR ($(du -h "$OUTDIR/vmlinuz" | cut -f1) vmlinuz, $(du -h "$OUTDIR/initrd.img" | cut -f1) initrd.img, kernel $KVER)"
