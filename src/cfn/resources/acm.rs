//! AWS::CertificateManager::Certificate.

use serde::Serialize;

use super::Tag;
use crate::cfn::Expr;

/// A public ACM certificate, validated through DNS. `Ref` gives its ARN.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Certificate {
    /// The fully qualified name the certificate is for: the platform's apex domain, or the API host.
    pub domain_name: Expr,
    /// Further names the certificate covers, wildcards allowed (`*.<domain>`, `*.app.<domain>`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subject_alternative_names: Vec<Expr>,
    /// Always `DNS`: renewals then need no one to click an email.
    pub validation_method: &'static str,
    /// Where CloudFormation creates the DNS validation records itself; empty when the blueprint gives
    /// no hosted zone id, and the stack then waits until someone creates them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub domain_validation_options: Vec<DomainValidationOption>,
    /// Tags on the certificate.
    pub tags: Vec<Tag>,
}

/// The Route 53 hosted zone in which ACM validates one of the certificate's names.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DomainValidationOption {
    /// A name of the certificate (`DomainName` or one of `SubjectAlternativeNames`).
    pub domain_name: Expr,
    /// The id of the public hosted zone holding that name, where the validation CNAME is written.
    pub hosted_zone_id: Expr,
}
