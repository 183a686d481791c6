//! AWS::CertificateManager::Certificate.

use serde::Serialize;

use super::Tag;
use crate::cfn::Expr;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Certificate {
    pub domain_name: Expr,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subject_alternative_names: Vec<Expr>,
    /// Always `DNS`: renewals then need no one to click an email.
    pub validation_method: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub domain_validation_options: Vec<DomainValidationOption>,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DomainValidationOption {
    pub domain_name: Expr,
    pub hosted_zone_id: Expr,
}
