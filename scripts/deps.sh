#!/usr/bin/env bash
# The Debian packages corral needs, and how they get installed.
#
#   scripts/deps.sh check     list what is missing; exit 1 if anything is
#   scripts/deps.sh install   install what is missing (as root, or through sudo)
#   scripts/deps.sh ensure    install only when something is missing (make test/demo)
#
# Without root or sudo it stops and prints the exact apt-get line to run.
set -euo pipefail

PACKAGES=(
	gcc make pkg-config      # the build
	binutils                 # objdump: the scan of the JIT's output in `make test`, corral disasm --native
	libcriterion-dev         # unit tests
	clang-19 libclang-rt-19-dev  # libFuzzer harnesses and sanitizers in `make fuzz`
	lld-19 llvm-19           # C guests: ld.lld-19 links them, llvm-ar-19 archives the SDK
	clang-format             # `make format`, and the style check in `make test`
	musl-tools               # musl-gcc: the sandbox's zygote is a static musl program
	libseccomp-dev           # the zygote's seccomp filter is built with libseccomp
	liburing-dev             # the host's event loop over its sandbox workers
	bpftool libbpf-dev       # the eBPF audit: vmlinux.h and the skeleton at build time, libbpf loads it
	# corral bench's peers (make bench; a target whose tools are missing is skipped, saying why):
	nodejs wasi-libc libclang-rt-19-dev-wasm32  # V8: the workloads as wasm32-wasi (clang-19, wasm-ld-19), run by node
	qemu-user gcc-riscv64-linux-gnu libc6-dev-riscv64-cross  # qemu-riscv64: the workloads as static rv64 Linux programs
	gnuplot-nox              # corral bench --plot: the ratios to native as a PNG
)

missing() {
	local pkg
	for pkg in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || echo "$pkg"
	done
}

install() {
	local want=("$@")
	local line="apt-get install -y --no-install-recommends ${want[*]}"
	if [ "$(id -u)" -eq 0 ]; then
		echo "corral: installing Debian packages: ${want[*]}"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive $line
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
		echo "corral: installing Debian packages through sudo: ${want[*]}"
		sudo apt-get update -qq
		sudo DEBIAN_FRONTEND=noninteractive $line
	else
		echo "corral: these packages are missing and I can't install them without root or sudo:" >&2
		echo "    sudo apt-get update && sudo $line" >&2
		exit 1
	fi
}

case "${1:-ensure}" in
check)
	gone=$(missing)
	if [ -n "$gone" ]; then
		echo "missing:" $gone
		exit 1
	fi
	echo "all dependencies are installed"
	;;
install | ensure)
	mapfile -t gone < <(missing)
	if [ "${#gone[@]}" -gt 0 ]; then
		install "${gone[@]}"
	elif [ "$1" = install ]; then
		echo "corral: all dependencies are already installed: ${PACKAGES[*]}"
	fi
	;;
*)
	echo "usage: scripts/deps.sh check|install|ensure" >&2
	exit 2
	;;
esac
