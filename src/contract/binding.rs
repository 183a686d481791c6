//! Where a bound value goes: the typed form of a binding's `input`. `tenancy.plan/v1` keeps its
//! text form (`parameter:X`, `env:X`, `record:field`, `${stack:S:O}`, `${build:P:V}`); reading
//! a plan refuses any other text, so a typo is an error where it used to be an input that no
//! provider asked for.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::contract::Placeholder;

/// Where a binding's value goes. Ordered by its text form, the order `plan.json` has always
/// listed bindings in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum BindingTarget {
    /// A parameter of the step's stack.
    Parameter(String),
    /// An environment variable of the step's build.
    Env(String),
    /// A field of the tenant record the register step writes.
    Record(RecordField),
    /// A placeholder in the step's artifacts, replaced before they are applied.
    Placeholder(Placeholder),
}

/// The fields of a tenant record that come from the tenant's stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RecordField {
    /// `accessRoleArn`: for a tenant of a pooled tier, its cell's tenant-access role, which the
    /// pool's pods assume with the tenant's session tag, from the cell stack's `AccessRoleArn`.
    AccessRoleArn,
    /// `clientId`: the tenant's app client, from the stack output `UserPoolClientId`.
    ClientId,
    /// `issuer`: the token issuer URL the services trust for the tenant, from `IssuerUrl`.
    Issuer,
    /// `roleArn`: the ARN of the role of the tenant's ServiceAccount, from `RoleArn`.
    RoleArn,
    /// `userPoolId`: the user pool the tenant signs in to, from `UserPoolId`.
    UserPoolId,
}

impl RecordField {
    /// Every field, in the order of their attribute names.
    pub const ALL: [RecordField; 5] =
        [Self::AccessRoleArn, Self::ClientId, Self::Issuer, Self::RoleArn, Self::UserPoolId];

    /// The record's attribute name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccessRoleArn => "accessRoleArn",
            Self::ClientId => "clientId",
            Self::Issuer => "issuer",
            Self::RoleArn => "roleArn",
            Self::UserPoolId => "userPoolId",
        }
    }
}

impl Ord for BindingTarget {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.to_string().cmp(&other.to_string())
    }
}

impl PartialOrd for BindingTarget {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for BindingTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Parameter(name) => write!(f, "parameter:{name}"),
            Self::Env(name) => write!(f, "env:{name}"),
            Self::Record(field) => write!(f, "record:{}", field.as_str()),
            Self::Placeholder(placeholder) => write!(f, "{placeholder}"),
        }
    }
}

/// Why a binding's text names no target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "binding input `{0}` is none of parameter:<name>, env:<name>, record:<clientId|issuer|roleArn|userPoolId>, \
     ${{stack:<stack>:<output>}}, ${{build:<project>:<variable>}}"
)]
pub struct UnknownTarget(pub String);

impl FromStr for BindingTarget {
    type Err = UnknownTarget;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let unknown = || UnknownTarget(text.to_owned());
        let name = |rest: &str| {
            (!rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')).then(|| rest.to_owned())
        };
        if let Some(rest) = text.strip_prefix("parameter:") {
            return name(rest).map(Self::Parameter).ok_or_else(unknown);
        }
        if let Some(rest) = text.strip_prefix("env:") {
            return name(rest).map(Self::Env).ok_or_else(unknown);
        }
        if let Some(rest) = text.strip_prefix("record:") {
            return RecordField::ALL.into_iter().find(|f| f.as_str() == rest).map(Self::Record).ok_or_else(unknown);
        }
        match crate::contract::placeholder::placeholders(text).as_slice() {
            [one] if one.to_string() == text => Ok(Self::Placeholder(one.clone())),
            _ => Err(unknown()),
        }
    }
}

impl TryFrom<String> for BindingTarget {
    type Error = UnknownTarget;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<BindingTarget> for String {
    fn from(target: BindingTarget) -> Self {
        target.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_reads_back_from_its_text() {
        let targets = [
            BindingTarget::Parameter("CertificateArn".into()),
            BindingTarget::Env("API_CERTIFICATE_ARN".into()),
            BindingTarget::Record(RecordField::UserPoolId),
            BindingTarget::Placeholder(Placeholder::stack("saas-tenant-acme", "IssuerUrl")),
            BindingTarget::Placeholder(Placeholder::build("saas-images", "IMAGE_DIGEST_ORDER")),
        ];
        let texts: Vec<String> = targets.iter().map(ToString::to_string).collect();
        assert_eq!(
            texts,
            [
                "parameter:CertificateArn",
                "env:API_CERTIFICATE_ARN",
                "record:userPoolId",
                "${stack:saas-tenant-acme:IssuerUrl}",
                "${build:saas-images:IMAGE_DIGEST_ORDER}"
            ]
        );
        for (target, text) in targets.iter().zip(&texts) {
            assert_eq!(&text.parse::<BindingTarget>().unwrap(), target);
            assert_eq!(serde_json::to_string(target).unwrap(), format!("\"{text}\""));
        }
    }

    #[test]
    fn a_typo_is_refused_not_ignored() {
        for typo in [
            "paramter:X",
            "parameter:",
            "env:A B",
            "record:userpoolid",
            "${stack:s}",
            "${stack:s:O} trailing",
            "Parameter:X",
        ] {
            let err = typo.parse::<BindingTarget>().unwrap_err();
            assert_eq!(err.0, typo);
            assert!(serde_json::from_str::<BindingTarget>(&format!("\"{typo}\"")).is_err(), "{typo}");
        }
    }
}
