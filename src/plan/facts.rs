//! What the plan needs to know of an artifact: its digest and the deploy-time values it reads.
//!
//! The plan never holds artifact text. Synth computes these facts as each file is produced and
//! drops the bytes, which is what keeps memory flat at fleet scale; a cached file's facts are
//! reused without reading it again.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::contract::placeholder::Placeholder;

/// The facts of one artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactFacts {
    /// SHA-256 of the bytes, lowercase hex.
    pub sha256: String,
    /// Every placeholder in the text (`contract::placeholder`), in order of appearance, without
    /// repeats.
    pub placeholders: Vec<Placeholder>,
}

impl ArtifactFacts {
    /// The facts of one artifact's text: its digest and its distinct placeholders.
    pub fn of(text: &str) -> Self {
        let mut seen = BTreeSet::new();
        let placeholders =
            crate::contract::placeholder::placeholders(text).into_iter().filter(|p| seen.insert(p.clone())).collect();
        Self { sha256: hex_digest(text.as_bytes()), placeholders }
    }
}

/// The facts of every file in `files` (path -> text).
pub fn facts_of(files: &BTreeMap<String, String>) -> BTreeMap<String, ArtifactFacts> {
    files.iter().map(|(path, text)| (path.clone(), ArtifactFacts::of(text))).collect()
}

/// SHA-256 of `bytes`, lowercase hex.
pub fn hex_digest(bytes: &[u8]) -> String {
    to_hex(&Sha256::digest(bytes))
}

pub(crate) fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_and_placeholders() {
        let facts = ArtifactFacts::of("a: ${stack:s:X}\nb: ${stack:s:X} ${build:t:Y}\n");
        assert_eq!(facts.placeholders, [Placeholder::stack("s", "X"), Placeholder::build("t", "Y")]);
        // The well-known digest of the empty string.
        assert_eq!(ArtifactFacts::of("").sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }
}
