# Shared by scripts/demo and scripts/test (sourced, not run).

# The number of parallel build and test jobs (the machines have 2 cores).
JOBS="${JOBS:-2}"

# ensure_packages PACKAGE...: installs the Debian packages that are not installed yet.
ensure_packages() {
    local missing=() package
    for package in "$@"; do
        if ! dpkg -s "$package" >/dev/null 2>&1; then
            missing+=("$package")
        fi
    done
    if ((${#missing[@]} == 0)); then
        return 0
    fi
    local sudo=()
    if ((EUID != 0)); then
        sudo=(sudo)
    fi
    echo "== installing missing Debian packages: ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# ensure_command COMMAND PACKAGE: installs PACKAGE when COMMAND is not on the PATH.
ensure_command() {
    if ! command -v "$1" >/dev/null 2>&1; then
        ensure_packages "$2"
    fi
}

# The packages every build needs: a compiler, CMake and make, GoogleTest.
ensure_build_tools() {
    ensure_command cmake cmake
    ensure_command make make
    ensure_command g++ g++
    ensure_packages libgtest-dev
}

# configure BUILD_DIR CMAKE_ARGS...: configures the build directory (kept between runs; re-running
# CMake on it is cheap and rebuilds nothing that did not change).
configure() {
    local dir="$1"
    shift
    echo "== configure $dir: $*"
    cmake -S . -B "$dir" "$@"
}

# build BUILD_DIR [cmake --build args...]
build() {
    local dir="$1"
    shift
    echo "== build $dir"
    cmake --build "$dir" -j "$JOBS" "$@"
}
