//! Logical ids: the keys of a template's resources, parameters, conditions and outputs.

use std::fmt;

use serde::Serialize;

/// A CloudFormation logical id: 1 to 255 ASCII letters and digits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct LogicalId(String);

impl LogicalId {
    /// Validates `id`.
    pub fn new(id: impl Into<String>) -> Result<Self, InvalidLogicalId> {
        let id = id.into();
        if !id.is_empty() && id.len() <= 255 && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(Self(id))
        } else {
            Err(InvalidLogicalId(id))
        }
    }

    /// A logical id written in the compiler's source. Panics on an invalid literal, which is
    /// a bug in the compiler, caught by every test that compiles a template.
    pub fn fixed(id: &'static str) -> Self {
        Self::new(id).unwrap_or_else(|err| panic!("{err}"))
    }

    /// The id of something named by a DNS label (a service, a site): the label in upper camel
    /// case, then `suffix`, e.g. `("order-history", "Table")` gives
    /// `OrderHistoryTable`. A validated label and an alphanumeric suffix always make a valid id,
    /// so this cannot fail on user input; it panics, naming both, only on a compiler bug.
    pub fn derive(label: &str, suffix: &str) -> Self {
        Self::new(format!("{}{suffix}", pascal_case(label)))
            .unwrap_or_else(|err| panic!("{err} (derived from {label:?} and {suffix:?}: a bug in the compiler)"))
    }

    /// The id as text, as it appears in the template.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LogicalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A string that is not a logical id; holds the rejected string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a logical id: use 1 to 255 ASCII letters and digits")]
pub struct InvalidLogicalId(pub String);

/// Upper camel case of a DNS label: `order-history` becomes `OrderHistory`. Two labels can map
/// to the same id only if they differ in hyphens alone, which callers check where it matters.
pub fn pascal_case(label: &str) -> String {
    label
        .split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logical_ids_are_alphanumeric() {
        assert!(LogicalId::new("TenantTable2").is_ok());
        for bad in ["", "Tenant-Table", "Tenant Table", "Tëst", &"A".repeat(256)] {
            assert!(LogicalId::new(bad).is_err(), "{bad:?}");
        }
        assert_eq!(pascal_case("order-history"), "OrderHistory");
        assert_eq!(pascal_case("product"), "Product");
    }

    #[test]
    fn derived_ids_join_the_label_in_camel_case_and_the_suffix() {
        assert_eq!(LogicalId::derive("order-history", "Table").as_str(), "OrderHistoryTable");
        assert_eq!(LogicalId::derive("AdminSite", "Bucket").as_str(), "AdminSiteBucket");
    }

    #[test]
    #[should_panic(expected = "derived from \"x\" and \"Bad-Suffix\": a bug in the compiler")]
    fn a_derived_id_that_is_not_alphanumeric_is_a_compiler_bug() {
        LogicalId::derive("x", "Bad-Suffix");
    }
}
