#!/usr/bin/env python3
"""Stand-in for cargo, as the rustup-init stand-in installs it ($CARGO_HOME/bin/cargo); never on
the PATH itself (see README.md beside this file).

Accepts: `build --locked --release [-p PACKAGE] --bin tenancy` and `install --locked --path DIR
--bin tenancy --root DIR`, flags in any order. Checks what cargo would refuse before compiling: the
toolchain rustup-init installed (its version against the package's rust-version and edition), the
package (`-p` names a workspace member; without it, the root package), a manifest with a `tenancy`
binary target, the workspace's Cargo.lock that --locked can use (the package and every direct
dependency in it, `workspace = true` ones resolved through the root's [workspace.dependencies]). Then "builds" by copying $TENANCY_EMULATOR_TENANCY_BIN, the tenancy binary
under test: nothing is compiled.
"""

import os
import sys
import tomllib


def _find():
    for d in [os.path.dirname(os.path.realpath(__file__))] + os.environ.get("PATH", "").split(":"):
        if d and os.path.isfile(os.path.join(d, "_standin.py")):
            return d
    return None


sys.dont_write_bytecode = True  # nothing written beside the stand-ins, in the repository
sys.path.insert(0, _find() or ".")
import _standin as s  # noqa: E402
from _standin import Refusal  # noqa: E402

TOOL = "cargo"
EDITIONS = {"2015": (1, 0), "2018": (1, 31), "2021": (1, 56), "2024": (1, 85)}


def version_tuple(text):
    parts = str(text).split(".")
    try:
        return tuple(int(p) for p in parts) + (0,) * (3 - len(parts))
    except ValueError:
        raise Refusal(f"error: invalid version {text!r}")


def toolchain():
    rustup_home = os.environ.get("RUSTUP_HOME") or os.path.join(os.path.expanduser("~"), ".rustup")
    settings = os.path.join(rustup_home, "settings.toml")
    try:
        name = tomllib.load(open(settings, "rb"))["default_toolchain"]
    except (FileNotFoundError, KeyError):
        raise Refusal("error: rustup could not choose a version of cargo to run, because one wasn't specified "
                      "explicitly, and no default is configured.")
    if not os.path.isdir(os.path.join(rustup_home, "toolchains", name)):
        raise Refusal(f"error: toolchain '{name}' is not installed")
    return name.split("-", 1)[0]


def parse(args, allowed):
    opts, i = {}, 0
    while i < len(args):
        arg = args[i]
        name, eq, value = arg.partition("=")
        if name not in allowed:
            raise Refusal(f"error: unexpected argument '{arg}' found (or not emulated by the cargo stand-in)\n\n"
                          "For more information, try '--help'.")
        if allowed[name]:
            if not eq:
                i += 1
                if i >= len(args):
                    raise Refusal(f"error: a value is required for '{name}' but none was supplied")
                value = args[i]
            opts[name] = value
        else:
            opts[name] = True
        i += 1
    if not opts.get("--locked"):
        raise Refusal("cargo stand-in: --locked is required (a build must use the committed Cargo.lock)")
    if opts.get("--bin") != "tenancy":
        raise Refusal(f"cargo stand-in: only --bin tenancy is emulated, not {opts.get('--bin')!r}")
    return opts


def load_manifest(path):
    try:
        return tomllib.load(open(path, "rb"))
    except tomllib.TOMLDecodeError as err:
        raise Refusal(f"error: failed to parse manifest at `{os.path.abspath(path)}`: {err}")


def workspace_root(root):
    """The directory of the workspace `root` belongs to: the nearest one up whose manifest has a
    [workspace] listing it (or `root` itself)."""
    here = os.path.abspath(root)
    d = here
    while True:
        manifest = os.path.join(d, "Cargo.toml")
        if os.path.isfile(manifest):
            ws = load_manifest(manifest).get("workspace")
            if ws is not None:
                members = {os.path.normpath(os.path.join(d, m)) for m in ws.get("members") or []} | {d}
                if here in members:
                    return d
                raise Refusal(f"error: current package believes it's in a workspace when it's not:\n"
                              f"current:   {here}/Cargo.toml\nworkspace: {manifest}")
        parent = os.path.dirname(d)
        if parent == d:
            return here
        d = parent


def member(name):
    """The directory of workspace member `name` (`-p`), from the workspace at the current directory."""
    root = workspace_root(".")
    ws = load_manifest(os.path.join(root, "Cargo.toml")).get("workspace") or {}
    for m in ws.get("members") or ["."]:
        d = os.path.normpath(os.path.join(root, m))
        if (load_manifest(os.path.join(d, "Cargo.toml")).get("package") or {}).get("name") == name:
            return d
    raise Refusal(f"error: package(s) `{name}` not found in workspace `{root}`")


def check_package(root, rustc):
    manifest_path = os.path.join(root, "Cargo.toml")
    if not os.path.isfile(manifest_path):
        raise Refusal(f"error: could not find `Cargo.toml` in `{os.path.abspath(root)}` or any parent directory")
    try:
        manifest = tomllib.load(open(manifest_path, "rb"))
    except tomllib.TOMLDecodeError as err:
        raise Refusal(f"error: failed to parse manifest at `{os.path.abspath(manifest_path)}`: {err}")
    package = manifest.get("package") or {}
    name, version = package.get("name"), package.get("version", "0.0.0")
    if not name:
        raise Refusal(f"error: failed to parse manifest at `{os.path.abspath(manifest_path)}`: no [package] name")
    bins = [b.get("name") for b in manifest.get("bin") or []]
    auto = package.get("autobins", True) and os.path.isfile(os.path.join(root, "src", "main.rs"))
    if "tenancy" not in bins and not (auto and name == "tenancy"):
        raise Refusal("error: no bin target named `tenancy` in default-run packages")
    if name == "tenancy" and "tenancy" not in bins and not os.path.isfile(os.path.join(root, "src", "main.rs")):
        raise Refusal("error: no bin target named `tenancy`: src/main.rs does not exist")
    edition = str(package.get("edition", "2015"))
    if edition not in EDITIONS:
        raise Refusal(f"error: failed to parse manifest: unknown edition `{edition}`")
    if version_tuple(rustc) < EDITIONS[edition] + (0,):
        raise Refusal(f"error: edition {edition} is not supported by rustc {rustc}")
    wanted = package.get("rust-version")
    if wanted and version_tuple(rustc) < version_tuple(wanted):
        raise Refusal(f"error: rustc {rustc} is not supported by the following package:\n  {name}@{version} requires "
                      f"rustc {wanted}")
    ws_root = workspace_root(root)
    lock_path = os.path.join(ws_root, "Cargo.lock")
    if not os.path.isfile(lock_path):
        raise Refusal(f"error: the lock file {os.path.abspath(lock_path)} needs to be updated but --locked was passed to "
                      "prevent this")
    lock = tomllib.load(open(lock_path, "rb"))
    locked = {(p.get("name"), p.get("version")) for p in lock.get("package") or []}
    names = {n for n, _ in locked}
    if (name, version) not in locked:
        raise Refusal(f"error: the lock file {os.path.abspath(lock_path)} needs to be updated but --locked was passed to "
                      f"prevent this ({name} {version} is not in it)")
    sections = [manifest.get(k) or {} for k in ("dependencies", "dev-dependencies", "build-dependencies")]
    for target in (manifest.get("target") or {}).values():
        sections += [target.get(k) or {} for k in ("dependencies", "dev-dependencies", "build-dependencies")]
    workspace_deps = (load_manifest(os.path.join(ws_root, "Cargo.toml")).get("workspace") or {}).get("dependencies") or {}
    for section in sections:
        for dep, spec in section.items():
            real = spec.get("package", dep) if isinstance(spec, dict) else dep
            if isinstance(spec, dict) and spec.get("workspace"):
                if dep not in workspace_deps:
                    raise Refusal(f"error: failed to parse manifest at `{os.path.abspath(manifest_path)}`: dependency "
                                  f"({dep}) specified `{{ workspace = true }}`, but workspace dependencies do not "
                                  f"define it")
                if isinstance(workspace_deps[dep], dict):
                    real = workspace_deps[dep].get("package", dep)
            if real not in names:
                raise Refusal(f"error: the lock file {os.path.abspath(lock_path)} needs to be updated but --locked was "
                              f"passed to prevent this (the dependency {real} is not in it)")
    return name, version


def built_binary():
    path = os.environ.get("TENANCY_EMULATOR_TENANCY_BIN")
    if not path or not os.path.isfile(path):
        raise Refusal("cargo stand-in: TENANCY_EMULATOR_TENANCY_BIN (the tenancy binary under test, which stands for "
                      f"the build's output) is not set or is missing: {path!r}")
    return path


def run(args):
    if not args:
        raise Refusal("cargo stand-in: a command is needed (build or install)")
    rustc = toolchain()
    command, rest = args[0], args[1:]
    if command == "build":
        opts = parse(rest, {"--locked": False, "--release": False, "--bin": True, "-p": True, "--package": True})
        if not opts.get("--release"):
            raise Refusal("cargo stand-in: only --release builds are emulated")
        package = opts.get("-p") or opts.get("--package")
        name, version = check_package(member(package) if package else workspace_root("."), rustc)
        source = built_binary()
        print(f"   Compiling {name} v{version} ({os.getcwd()})", file=sys.stderr)
        target_dir = os.environ.get("CARGO_TARGET_DIR") or "target"
        s.copy_executable(source, os.path.join(target_dir, "release", "tenancy"))
        print("    Finished `release` profile [optimized] target(s) in 0.00s (the cargo stand-in)", file=sys.stderr)
        return 0
    if command == "install":
        opts = parse(rest, {"--locked": False, "--path": True, "--bin": True, "--root": True})
        if "--path" not in opts or "--root" not in opts:
            raise Refusal("cargo stand-in: install takes --path DIR and --root DIR")
        root = opts["--path"]
        if not os.path.isdir(root):
            raise Refusal(f"error: `{root}` is not a directory. --path must point to a directory containing a Cargo.toml file.")
        name, version = check_package(root, rustc)
        source = built_binary()
        target = os.path.join(opts["--root"], "bin", "tenancy")
        print(f"  Installing {name} v{version} ({os.path.abspath(root)})", file=sys.stderr)
        s.copy_executable(source, target)
        print(f"  Installing {target}\n   Installed package `{name} v{version} ({os.path.abspath(root)})` "
              "(executable `tenancy`)", file=sys.stderr)
        return 0
    raise Refusal(f"error: no such command: `{command}` (or not emulated by the cargo stand-in)")


if __name__ == "__main__":
    s.main(TOOL, run)
