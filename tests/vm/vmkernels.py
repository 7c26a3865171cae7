# SPDX-License-Identifier: MIT
"""The kernels of the matrix: fetching Debian's images and building an initramfs for each.

Used by tests/vm/fetch-kernels and tests/vm/run-vm (both run by Debian's /usr/bin/python3).

A kernel is a Debian suite's current `linux-image-amd64`: the versioned image package that the
metapackage depends on is downloaded (never installed), and only what a guest needs is kept:
vmlinuz, config, modules.builtin and the module folders of virtio, 9p, netfs and fscache, about
10 MB of the package's 100-400 MB. Suites other than the machine's own are seen only through a
private apt configuration (its own sources list, lists, cache and an empty status file), so the
machine's apt never learns about trixie or bullseye and never offers them as upgrades.

Everything lives under ${TT_VM_CACHE:-/var/cache/tracetape-vm}, outside the clone, so that every
clone on the machine shares it:

  apt/<suite>/            the private apt configuration and state of one suite
  kernels/<name>/         one kernel: vmlinuz, config, modules.builtin, modules/, kernel.json
  kernels/<name>/initramfs-<hash>.cpio
                          static busybox + init.sh + the modules, named by a hash of its inputs

A kernel already in the cache is used as it is: a second run reads no network. `fetch-kernels
--refresh` asks the archive again for the current version. Concurrent runs serialize on a lock.
"""
import fcntl
import hashlib
import json
import lzma
import os
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("TT_VM_CACHE") or "/var/cache/tracetape-vm")
MIRROR = os.environ.get("TT_VM_MIRROR") or "http://deb.debian.org/debian"
SECURITY_MIRROR = os.environ.get("TT_VM_SECURITY_MIRROR") or "http://deb.debian.org/debian-security"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
BUSYBOX = "/bin/busybox"

# name -> (apt configuration, [(mirror, suite)]): the suites a default install of that Debian
# release takes its kernel from, security updates included.
KERNELS = {
    "6.1": ("bookworm", [(MIRROR, "bookworm"), (SECURITY_MIRROR, "bookworm-security")]),
    "6.12": ("trixie", [(MIRROR, "trixie"), (SECURITY_MIRROR, "trixie-security")]),
    "5.10": ("bullseye", [(MIRROR, "bullseye"), (SECURITY_MIRROR, "bullseye-security")]),
}
# The guest mounts its root through 9p over virtio-pci; these modules (with what they depend on,
# unless built in) are loaded by the initramfs, in this order of roots.
ROOT_MODULES = ["virtio_pci", "9pnet_virtio", "9p"]
# The folders of lib/modules/<release>/kernel/ that hold those modules and their dependencies.
MODULE_DIRS = ["drivers/virtio", "net/9p", "fs/9p", "fs/netfs", "fs/fscache"]

APT_TIMEOUT_S = 600        # one apt-get update or download; the archive answers in seconds
APT_TRIES = 3              # a flaky mirror gets two more chances, 10 s apart
LOCK_WAIT_S = 1800         # another run fetching every kernel takes a few minutes at most


class VmError(Exception):
    """A failure with a message for the user; the scripts print it and exit 1."""


def log(msg):
    print(f"tracetape-vm: {msg}", file=sys.stderr, flush=True)


def check_name(name):
    if name not in KERNELS:
        raise VmError(f"unknown kernel '{name}' (expected one of {', '.join(KERNELS)})")


class CacheLock:
    """An exclusive flock on the cache, waited for at most LOCK_WAIT_S seconds."""

    def __enter__(self):
        try:
            CACHE.mkdir(parents=True, exist_ok=True)
            self.fd = os.open(CACHE / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise VmError(f"cannot use the cache {CACHE}: {e.strerror} "
                          "(run as root, or set TT_VM_CACHE to a writable directory)") from e
        deadline = time.monotonic() + LOCK_WAIT_S
        waited = False
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(self.fd)
                    raise VmError(f"{CACHE}/.lock still held after {LOCK_WAIT_S} s by another run")
                if not waited:
                    log(f"waiting for another run to release {CACHE}/.lock")
                    waited = True
                time.sleep(1)

    def __exit__(self, *exc):
        os.close(self.fd)


# ---------------------------------------------------------------------------------------------
# apt, privately


def _host_network_options():
    """The machine's apt options that say how to reach the archive (proxies, date checks).

    The private configuration reads no apt.conf.d (whose hooks, such as docker-clean's, act on
    the machine's own apt state), so it copies these lines from `apt-config dump`."""
    r = subprocess.run(["apt-config", "dump"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       text=True, timeout=60)
    keep = re.compile(r"^Acquire::(https?|ftp|socks)::|"
                      r"^Acquire::(Check-Valid-Until|Check-Date|Retries|ForceIPv4|ForceIPv6) ")
    return [line for line in r.stdout.splitlines() if keep.match(line)]


def apt_env(suite_dir, sources):
    """Write the private apt configuration of one suite; return the environment that selects it."""
    d = suite_dir
    for sub in ("lists/partial", "cache/archives/partial", "etc/sources.list.d",
                "etc/preferences.d", "etc/apt.conf.d", "etc/trusted.gpg.d"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    (d / "status").touch()
    (d / "etc/sources.list").write_text(
        "".join(f"deb [signed-by={KEYRING}] {m} {s} main\n" for m, s in sources))
    conf = [
        f'Dir::Etc::Main "{d}/etc/apt.conf";',
        f'Dir::Etc::Parts "{d}/etc/apt.conf.d";',
        f'Dir::Etc::SourceList "{d}/etc/sources.list";',
        f'Dir::Etc::SourceParts "{d}/etc/sources.list.d";',
        f'Dir::Etc::Preferences "{d}/etc/preferences";',
        f'Dir::Etc::PreferencesParts "{d}/etc/preferences.d";',
        f'Dir::Etc::Trusted "{d}/etc/trusted.gpg";',
        f'Dir::Etc::TrustedParts "{d}/etc/trusted.gpg.d";',
        f'Dir::State "{d}";',
        f'Dir::State::Lists "{d}/lists";',
        f'Dir::State::status "{d}/status";',
        f'Dir::Cache "{d}/cache";',
        # no 40 MB binary caches per suite on disk: apt builds them in memory in a second
        'Dir::Cache::pkgcache "";',
        'Dir::Cache::srcpkgcache "";',
        'APT::Architecture "amd64";',
        'APT::Architectures { "amd64"; };',
        'Acquire::Languages "none";',
        'Acquire::GzipIndexes "true";',
        'Acquire::IndexTargets::deb::DEP-11::DefaultEnabled "false";',
        'Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled "false";',
        'Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled "false";',
        *_host_network_options(),
    ]
    (d / "apt.conf").write_text("\n".join(conf) + "\n")
    env = dict(os.environ, APT_CONFIG=str(d / "apt.conf"), LC_ALL="C")
    env.pop("APT_LISTCHANGES_FRONTEND", None)
    return env


def _apt(args, env, cwd=None):
    """Run an apt command, up to APT_TRIES times; return its stdout."""
    err = ""
    for attempt in range(1, APT_TRIES + 1):
        try:
            r = subprocess.run(args, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               timeout=APT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            err = f"no answer in {APT_TIMEOUT_S} s"
        else:
            if r.returncode == 0 and "\nW: Failed to fetch" not in "\n" + r.stderr:
                return r.stdout
            err = r.stderr.strip() or f"exit status {r.returncode}"
        if attempt < APT_TRIES:
            log(f"{' '.join(args[:2])} failed (attempt {attempt} of {APT_TRIES}), retrying: {err}")
            time.sleep(10)
    raise VmError(f"{' '.join(args)} failed {APT_TRIES} times: {err}")


def resolve_image(env):
    """The versioned image package the suite's linux-image-amd64 depends on: (package, version)."""
    out = _apt(["apt-cache", "show", "--no-all-versions", "linux-image-amd64"], env)
    m = re.search(r"^Depends:.*?\b(linux-image-[0-9][^ ,]*-amd64)\s*\(=\s*([^)\s]+)\)", out, re.M)
    if not m:
        raise VmError(f"linux-image-amd64 names no versioned image package:\n{out}")
    return m.group(1), m.group(2)


# ---------------------------------------------------------------------------------------------
# extracting the kernel


_MEMBER = re.compile(r"^\./(?:usr/)?(?:boot/(?P<boot>vmlinuz|config)-(?P<rel>[^/]+)"
                     r"|lib/modules/(?P<mrel>[^/]+)/(?:(?P<builtin>modules\.builtin)"
                     r"|kernel/(?P<mod>(?:" + "|".join(map(re.escape, MODULE_DIRS)) +
                     r")/[^/]+\.ko(?:\.xz|\.zst)?)))$")


def extract(deb, dest):
    """Extract vmlinuz, config, modules.builtin and MODULE_DIRS from the image package deb.

    The package's data is streamed through `dpkg-deb --fsys-tarfile`, so nothing else touches
    the disk. Returns the kernel release (`uname -r`)."""
    p = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE)
    release = None
    found = set()
    try:
        with tarfile.open(fileobj=p.stdout, mode="r|") as tar:
            for member in tar:
                m = _MEMBER.match(member.name)
                if not m or not member.isfile():
                    continue
                if m.group("boot"):
                    release = m.group("rel")
                    out = dest / m.group("boot")
                elif m.group("builtin"):
                    out = dest / "modules.builtin"
                else:
                    out = dest / "modules" / m.group("mod")
                out.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                found.add(out.name if not m.group("mod") else "module")
    finally:
        p.stdout.close()
        rc = p.wait(timeout=600)
    if rc != 0:
        raise VmError(f"dpkg-deb --fsys-tarfile {deb} failed (exit {rc})")
    missing = {"vmlinuz", "config", "modules.builtin", "module"} - found
    if missing or not release:
        raise VmError(f"{deb} lacks {', '.join(sorted(missing)) or 'a release name'}")
    return release


# ---------------------------------------------------------------------------------------------
# modules


def _norm(name):
    return name.replace("-", "_")


def module_bytes(path):
    """A module's ELF image, decompressed (xz with Python's lzma, zstd with the zstd program)."""
    if path.name.endswith(".xz"):
        return lzma.decompress(path.read_bytes())
    if path.name.endswith(".zst"):
        r = subprocess.run(["zstd", "-dc", str(path)], stdout=subprocess.PIPE, timeout=60)
        if r.returncode != 0:
            raise VmError(f"zstd -dc {path} failed (scripts/deps.sh kernels installs zstd)")
        return r.stdout
    return path.read_bytes()


def modinfo(image):
    """The key=value strings of a 64-bit little-endian ELF module's .modinfo section."""
    if image[:4] != b"\x7fELF" or image[4] != 2 or image[5] != 1:
        raise VmError("not a 64-bit little-endian ELF module")
    shoff, = struct.unpack_from("<Q", image, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", image, 0x3a)

    def section(i):
        # sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size
        name, _, _, _, off, size = struct.unpack_from("<IIQQQQ", image, shoff + i * shentsize)
        return name, off, size

    _, stroff, _ = section(shstrndx)
    for i in range(shnum):
        name, off, size = section(i)
        end = image.index(b"\0", stroff + name)
        if image[stroff + name:end] == b".modinfo":
            info = {}
            for item in image[off:off + size].split(b"\0"):
                k, sep, v = item.decode("utf-8", "replace").partition("=")
                if sep:
                    info.setdefault(k, v)
            return info
    raise VmError("module has no .modinfo section")


def module_plan(kdir):
    """The modules to insmod, dependencies first: [(name, path)] for ROOT_MODULES' closure.

    Debian ships no modules.dep in the parts we keep, so each module's `depends=` is read from
    its .modinfo; a dependency that is built in (modules.builtin) needs nothing."""
    builtin = {_norm(Path(line.strip()).name.split(".ko")[0])
               for line in (kdir / "modules.builtin").read_text().splitlines() if line.strip()}
    files = {_norm(p.name.split(".ko")[0]): p for p in (kdir / "modules").rglob("*.ko*")}
    order, state = [], {}

    def visit(name, chain):
        if name in builtin or state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            raise VmError(f"module dependency cycle: {' -> '.join(chain + [name])}")
        if name not in files:
            raise VmError(f"module {name} (needed by {' -> '.join(chain) or 'the initramfs'}) "
                          f"is neither built in nor in {', '.join(MODULE_DIRS)}")
        state[name] = "visiting"
        deps = modinfo(module_bytes(files[name])).get("depends", "")
        for dep in filter(None, deps.split(",")):
            visit(_norm(dep), chain + [name])
        state[name] = "done"
        order.append((name, files[name]))

    for root in ROOT_MODULES:
        visit(root, [])
    return order


# ---------------------------------------------------------------------------------------------
# fetch


def kernel_dir(name):
    return CACHE / "kernels" / name


def cached(name):
    """kernel.json of a fetched kernel, or None."""
    meta = kernel_dir(name) / "kernel.json"
    try:
        return json.loads(meta.read_text())
    except (OSError, ValueError):
        return None


def fetch(name, refresh=False):
    """Make kernel `name` ready in the cache; return its kernel.json contents.

    Without refresh, a kernel already there is returned without any network I/O. With refresh,
    the suite's lists are updated and the kernel is downloaded again only if its package or
    version changed."""
    check_name(name)
    meta = cached(name)
    if meta and not refresh:
        return meta
    with CacheLock():
        meta = cached(name)
        if meta and not refresh:
            return meta
        suite, sources = KERNELS[name]
        env = apt_env(CACHE / "apt" / suite, sources)
        log(f"{name}: apt-get update for {', '.join(s for _, s in sources)} (private lists)")
        _apt(["apt-get", "update", "-q"], env)
        package, version = resolve_image(env)
        if meta and (meta["package"], meta["version"]) == (package, version):
            log(f"{name}: {package} {version} is already the current one")
            return meta
        log(f"{name}: downloading {package} {version}")
        (CACHE / "kernels").mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=CACHE / "kernels"))
        try:
            _apt(["apt-get", "download", "-q", f"{package}={version}"], env, cwd=tmp)
            debs = list(tmp.glob("*.deb"))
            if len(debs) != 1:
                raise VmError(f"apt-get download {package}={version} left {len(debs)} packages")
            kdir = tmp / "kernel"
            kdir.mkdir()
            release = extract(debs[0], kdir)
            plan = module_plan(kdir)
            meta = {"name": name, "suite": suite, "package": package, "version": version,
                    "release": release, "deb_sz": debs[0].stat().st_size,
                    "modules": [str(p.relative_to(kdir)) for _, p in plan]}
            (kdir / "kernel.json").write_text(json.dumps(meta, indent=1) + "\n")
            old = kernel_dir(name)
            if old.exists():
                shutil.rmtree(old)
            kdir.rename(old)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        log(f"{name}: {package} {version} ({release}) ready in {kernel_dir(name)}")
        return meta


# ---------------------------------------------------------------------------------------------
# initramfs


def _static_busybox():
    try:
        with open(BUSYBOX, "rb") as f:
            image = f.read()
    except OSError as e:
        raise VmError(f"{BUSYBOX}: {e.strerror} (scripts/deps.sh kernels installs busybox-static)")
    # A static executable has no PT_INTERP (program header type 3).
    phoff, = struct.unpack_from("<Q", image, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", image, 0x36)
    if any(struct.unpack_from("<I", image, phoff + i * phentsize)[0] == 3 for i in range(phnum)):
        raise VmError(f"{BUSYBOX} is dynamically linked (scripts/deps.sh kernels installs "
                      "busybox-static)")
    return image


def initramfs(name):
    """Path of kernel name's initramfs (fetched kernel required), built if its inputs changed.

    It holds the static busybox, tests/vm/init.sh as /init, and the root modules decompressed,
    listed in load order in /modules. The file name carries a hash of all of that, so a clone
    with another init.sh gets its own, and a rebuilt one replaces the others."""
    meta = cached(name)
    if not meta:
        raise VmError(f"kernel {name} is not fetched (tests/vm/fetch-kernels {name})")
    kdir = kernel_dir(name)
    busybox = _static_busybox()
    init = (HERE / "init.sh").read_bytes()
    mods = [(Path(m).name.split(".ko")[0] + ".ko", module_bytes(kdir / m)) for m in meta["modules"]]
    h = hashlib.sha256(busybox + init)
    for mname, image in mods:
        h.update(mname.encode() + b"\0" + image)
    out = kdir / f"initramfs-{h.hexdigest()[:16]}.cpio"
    if out.exists():
        return out
    with CacheLock():
        if out.exists():
            return out
        with tempfile.TemporaryDirectory(prefix=".initramfs-", dir=kdir) as tmp:
            root = Path(tmp) / "root"
            for d in ("bin", "dev", "proc", "sys", "newroot", "ctl", "lib/modules"):
                (root / d).mkdir(parents=True)
            (root / "bin/busybox").write_bytes(busybox)
            (root / "bin/busybox").chmod(0o755)
            (root / "bin/sh").symlink_to("busybox")
            (root / "init").write_bytes(init)
            (root / "init").chmod(0o755)
            for mname, image in mods:
                (root / "lib/modules" / mname).write_bytes(image)
            (root / "modules").write_text("".join(m + "\n" for m, _ in mods))
            files = sorted(str(p.relative_to(root)) for p in root.rglob("*"))
            part = Path(tmp) / "initramfs.cpio"
            with open(part, "wb") as f:
                r = subprocess.run(["cpio", "--quiet", "-o", "-H", "newc", "--reproducible"],
                                   cwd=root, input="\n".join(files) + "\n", text=True,
                                   stdout=f, stderr=subprocess.PIPE, timeout=120)
            if r.returncode != 0:
                raise VmError(f"cpio failed: {r.stderr.strip()}")
            for old in kdir.glob("initramfs-*.cpio"):
                old.unlink()
            part.rename(out)
    return out
