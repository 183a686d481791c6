//! Compiles the reference platform's web apps into the binary, as `blueprint::load_reference`
//! reads them: the files each site's build reads (the top of `web/`, `web/shared/` and each
//! site's directory), so that the built-in reference plans the same site steps, with the same
//! digests, as `blueprints/reference.yaml` does in the repository. `include_bytes!` makes cargo
//! rebuild when a file changes; the site directories are watched for files added or removed.

use std::fmt::Write as _;
use std::path::Path;

/// The directories of `web/` a site's build reads (`model::SHARED_DIR` and `model::Site`'s).
const INPUT_DIRS: [&str; 4] = ["shared", "admin", "app", "landing"];

fn main() {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    let mut files = Vec::new();
    // Not the whole of web/: installing its packages (node_modules) would rebuild the core.
    // A file added at its top is seen at the next build that changes anything else.
    println!("cargo:rerun-if-changed={}", web.join("package.json").display());
    if web.is_dir() {
        for entry in sorted(&web) {
            if entry.is_file() && !hidden(&entry) {
                files.push(entry);
            }
        }
        for dir in INPUT_DIRS {
            walk(&web.join(dir), &mut files);
        }
    }
    files.sort();
    let mut out = String::from(
        "/// The reference's web apps: (path under `web/`, bytes).\npub const REFERENCE_WEB: &[(&str, &[u8])] = &[\n",
    );
    for file in &files {
        let relative = file.strip_prefix(&web).expect("under web/").to_string_lossy().replace('\\', "/");
        writeln!(out, "    ({relative:?}, include_bytes!({:?})),", file.display().to_string()).expect("a string");
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("reference_web.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}

/// Not a site's input: hidden entries, installed packages, build output, documentation
/// (`model::sites::is_documentation`).
fn hidden(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_none_or(|n| n.starts_with('.') || n == "node_modules" || n == "dist" || n.ends_with(".md"))
}

fn sorted(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut entries: Vec<_> =
        std::fs::read_dir(dir).into_iter().flatten().filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    entries
}

fn walk(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    if !dir.is_dir() {
        return;
    }
    println!("cargo:rerun-if-changed={}", dir.display());
    for entry in sorted(dir) {
        if hidden(&entry) {
            continue;
        }
        if entry.is_dir() {
            walk(&entry, files);
        } else if entry.is_file() {
            files.push(entry);
        }
    }
}
