//! The source bundle: the repository as CodeBuild and the pipeline read it
//! (`s3://<artifacts bucket>/source/tenancy.zip`), with `generated/` at its root.
//!
//! `tenancy source push` zips the files git tracks, as they are in the working tree, into a
//! deterministic archive (sorted entries, fixed timestamps, stored, permissions kept) and
//! uploads it with the digest of the plan it carries as object metadata. The bucket keeps
//! every version, and the upload starts the pipeline. `tenancy apply` then starts each build
//! on the version that carries *its* plan (`sourceVersion`), never on whatever was pushed
//! last: the builds read exactly the reviewed files the apply runs.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The object holding the source bundle, in the artifacts bucket (the projects and the
/// pipeline's source action name the same key).
pub use tenancy::compile::SOURCE_KEY;
/// Object metadata naming the SHA-256 of the bundle's `generated/plan.json`.
pub const PLAN_METADATA: &str = "tenancy-plan-sha256";
/// Object metadata naming the commit the bundle was made from.
pub const COMMIT_METADATA: &str = "tenancy-commit";

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{dir} is not in a git checkout ({message}); the source bundle is the repository's tracked files")]
    NotGit { dir: String, message: String },
    #[error(
        "the working tree has changes that are not committed:\n  {}\ncommit them (the pipeline runs reviewed commits only), or pass --allow-dirty",
        .files.join("\n  ")
    )]
    Dirty { files: Vec<String> },
    #[error("cannot read {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{generated} is not the repository's generated/ ({expected}): the builds read generated/ at the root")]
    Layout { generated: String, expected: String },
}

/// What a bundle is made of: the repository root and its tracked files.
#[derive(Debug, Clone)]
pub struct Checkout {
    pub root: PathBuf,
    pub files: Vec<String>,
    pub commit: String,
    /// Tracked files changed in the working tree, and untracked files not ignored.
    pub changes: Vec<String>,
}

fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, SourceError> {
    let not_git = |message: String| SourceError::NotGit { dir: dir.display().to_string(), message };
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| not_git(format!("cannot run git: {e}")))?;
    if !output.status.success() {
        return Err(not_git(String::from_utf8_lossy(&output.stderr).trim().to_owned()));
    }
    Ok(output.stdout)
}

/// The checkout holding `generated` (the output directory), which must be its `generated/`.
pub fn checkout(generated: &Path) -> Result<Checkout, SourceError> {
    let root = PathBuf::from(String::from_utf8_lossy(&git(generated, &["rev-parse", "--show-toplevel"])?).trim());
    let expected = root.join(tenancy::compile::SOURCE_GENERATED_DIR);
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !same(generated, &expected) {
        return Err(SourceError::Layout {
            generated: generated.display().to_string(),
            expected: expected.display().to_string(),
        });
    }
    let mut files: Vec<String> = String::from_utf8_lossy(&git(&root, &["ls-files", "-z"])?)
        .split('\0')
        .filter(|f| !f.is_empty())
        .map(str::to_owned)
        .collect();
    // A file deleted in the working tree but not from the index is not part of what you see.
    files.retain(|f| root.join(f).is_file());
    files.sort();
    let commit = String::from_utf8_lossy(&git(&root, &["rev-parse", "HEAD"])?).trim().to_owned();
    let changes = String::from_utf8_lossy(&git(&root, &["status", "--porcelain", "-z"])?)
        .split('\0')
        .filter(|line| line.len() > 3)
        .map(|line| line[3..].to_owned())
        .collect();
    Ok(Checkout { root, files, commit, changes })
}

/// The bundle of `checkout`: a zip of its files, the same bytes for the same files.
pub fn bundle(checkout: &Checkout) -> Result<Vec<u8>, SourceError> {
    let mut zip = ZipWriter::default();
    for file in &checkout.files {
        let path = checkout.root.join(file);
        let read = |source| SourceError::Read { path: path.display().to_string(), source };
        let bytes = std::fs::read(&path).map_err(read)?;
        let mode = file_mode(&path).map_err(read)?;
        zip.add(file, &bytes, mode);
    }
    Ok(zip.finish())
}

#[cfg(unix)]
fn file_mode(path: &Path) -> std::io::Result<u32> {
    use std::os::unix::fs::PermissionsExt;
    let executable = std::fs::metadata(path)?.permissions().mode() & 0o111 != 0;
    Ok(if executable { 0o100755 } else { 0o100644 })
}

#[cfg(not(unix))]
fn file_mode(_: &Path) -> std::io::Result<u32> {
    Ok(0o100644)
}

/// A minimal zip writer: stored entries (no compression), a fixed timestamp (1980-01-01, the
/// format's epoch), Unix permissions in the external attributes. Enough for a source bundle
/// of a few megabytes, which CodeBuild and CodePipeline unpack like any zip (PKWARE APPNOTE
/// 6.3: local headers, central directory, end of central directory).
#[derive(Default)]
struct ZipWriter {
    out: Vec<u8>,
    central: Vec<u8>,
    entries: u16,
}

/// DOS date of 1980-01-01 (day 1, month 1, year 0 since 1980) and time 00:00:00.
const DOS_DATE: u16 = (1 << 5) | 1;
const DOS_TIME: u16 = 0;

impl ZipWriter {
    fn add(&mut self, name: &str, bytes: &[u8], mode: u32) {
        let crc = crc32(bytes);
        let size = u32::try_from(bytes.len()).expect("a source file under 4 GiB");
        let offset = u32::try_from(self.out.len()).expect("a bundle under 4 GiB");
        let name_len = u16::try_from(name.len()).expect("a short path");
        let header = |out: &mut Vec<u8>, signature: u32, central: bool| {
            out.extend(signature.to_le_bytes());
            if central {
                out.extend((0x0300u16 | 20).to_le_bytes()); // made by: Unix, spec 2.0
            }
            out.extend(20u16.to_le_bytes()); // version needed
            out.extend(0x0800u16.to_le_bytes()); // flags: UTF-8 names
            out.extend(0u16.to_le_bytes()); // stored
            out.extend(DOS_TIME.to_le_bytes());
            out.extend(DOS_DATE.to_le_bytes());
            out.extend(crc.to_le_bytes());
            out.extend(size.to_le_bytes());
            out.extend(size.to_le_bytes());
            out.extend(name_len.to_le_bytes());
            out.extend(0u16.to_le_bytes()); // extra length
        };
        header(&mut self.out, 0x0403_4b50, false);
        self.out.extend(name.as_bytes());
        self.out.extend(bytes);
        header(&mut self.central, 0x0201_4b50, true);
        self.central.extend(0u16.to_le_bytes()); // comment length
        self.central.extend(0u16.to_le_bytes()); // disk
        self.central.extend(0u16.to_le_bytes()); // internal attributes
        self.central.extend((mode << 16).to_le_bytes());
        self.central.extend(offset.to_le_bytes());
        self.central.extend(name.as_bytes());
        self.entries = self.entries.checked_add(1).expect("fewer than 65,536 files");
    }

    fn finish(mut self) -> Vec<u8> {
        let offset = u32::try_from(self.out.len()).expect("a bundle under 4 GiB");
        let size = u32::try_from(self.central.len()).expect("a small directory");
        self.out.extend(&self.central);
        self.out.extend(0x0605_4b50u32.to_le_bytes());
        self.out.extend([0u8; 4]); // disk numbers
        self.out.extend(self.entries.to_le_bytes());
        self.out.extend(self.entries.to_le_bytes());
        self.out.extend(size.to_le_bytes());
        self.out.extend(offset.to_le_bytes());
        self.out.extend(0u16.to_le_bytes());
        self.out
    }
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as zip uses.
fn crc32(bytes: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 == 1 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
                k += 1;
            }
            table[i] = c;
            i += 1;
        }
        table
    };
    let mut crc = !0u32;
    for &b in bytes {
        crc = TABLE[((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_of_known_strings() {
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn the_same_files_make_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("generated")).unwrap();
        std::fs::write(dir.path().join("generated/plan.json"), "{}\n").unwrap();
        std::fs::write(dir.path().join("a.txt"), "hello").unwrap();
        let checkout = Checkout {
            root: dir.path().to_owned(),
            files: vec!["a.txt".into(), "generated/plan.json".into()],
            commit: "c".into(),
            changes: vec![],
        };
        let one = bundle(&checkout).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(dir.path().join("a.txt"), "hello").unwrap();
        assert_eq!(bundle(&checkout).unwrap(), one, "mtimes do not reach the bundle");
        assert_eq!(&one[..4], b"PK\x03\x04");
        assert_eq!(u16::from_le_bytes([one[one.len() - 12], one[one.len() - 11]]), 2, "two entries");
    }
}
