//! Validated scalar values. Each type can only hold a value that is safe to put into a
//! CloudFormation template, a Kubernetes manifest, a shell command or a handlebars template:
//! ASCII only, from a strict charset, within length limits. Parsing returns what is wrong and
//! how to fix it; the caller adds where.

use std::fmt;

/// Why a value was rejected, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// What is wrong, with the value quoted, its control characters escaped and cut after 80
    /// characters.
    pub message: String,
    /// How to fix it, usually with an example of a valid value.
    pub help: String,
}

impl Invalid {
    fn new(message: impl Into<String>, help: impl Into<String>) -> Self {
        Self { message: message.into(), help: help.into() }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (help: {})", self.message, self.help)
    }
}

impl std::error::Error for Invalid {}

/// Shows a rejected value safely: quoted, control characters escaped, cut when huge.
pub(crate) fn shown(value: &str) -> String {
    const MAX: usize = 80;
    let mut out: String = value.chars().take(MAX).flat_map(char::escape_debug).collect();
    if value.chars().count() > MAX {
        out.push_str("...");
    }
    format!("`{out}`")
}

/// Declares a validated string newtype with `parse`, `as_str`, `Display` and `FromStr`.
macro_rules! validated_string {
    ($(#[$meta:meta])* $name:ident, $check:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// Validates `value`.
            pub fn parse(value: &str) -> Result<Self, Invalid> {
                let check: fn(&str) -> Result<(), Invalid> = $check;
                check(value).map(|()| Self(value.to_owned()))
            }

            /// The value exactly as it was given to `parse`.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = Invalid;
            fn from_str(value: &str) -> Result<Self, Invalid> {
                Self::parse(value)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

/// Checks an RFC 1123 DNS label: lowercase ASCII letters, digits and `-`, starting and ending
/// with a letter or digit, at most `max` characters.
fn dns_label(what: &str, value: &str, max: usize) -> Result<(), Invalid> {
    let help = format!(
        "use 1 to {max} lowercase letters, digits and '-', starting and ending with a letter or digit, e.g. `acme-corp`"
    );
    if value.is_empty() {
        return Err(Invalid::new(format!("{what} is empty"), help));
    }
    if let Some(bad) = value.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')) {
        return Err(Invalid::new(
            format!("{what} {} contains {:?}, which is not allowed in a DNS-1123 label", shown(value), bad),
            help,
        ));
    }
    if value.starts_with('-') || value.ends_with('-') {
        return Err(Invalid::new(format!("{what} {} starts or ends with '-'", shown(value)), help));
    }
    if value.len() > max {
        return Err(Invalid::new(
            format!("{what} {} is {} characters long, more than {max}", shown(value), value.len()),
            help,
        ));
    }
    Ok(())
}

validated_string!(
    /// The platform's short name, a DNS label of at most 20 characters. It prefixes every
    /// account-wide name (stacks, tables, roles), so two platforms can share an account.
    PlatformName,
    |v| dns_label("platform name", v, 20)
);

validated_string!(
    /// A tenant id: a DNS-1123 label. Every per-tenant name is derived from it; the platform
    /// checks that each derived name fits its service's limit (see `model::naming`).
    TenantId,
    |v| dns_label("tenant id", v, 63)
);

validated_string!(
    /// A tier name, a DNS label of at most 30 characters.
    TierName,
    |v| dns_label("tier name", v, 30)
);

validated_string!(
    /// A service name, a DNS label of at most 30 characters.
    ServiceName,
    |v| dns_label("service name", v, 30)
);

validated_string!(
    /// An EKS cluster name, a DNS label of at most 100 characters.
    ClusterName,
    |v| dns_label("cluster name", v, 100)
);

validated_string!(
    /// A 12-digit AWS account id, kept as text so leading zeros survive.
    AccountId,
    |v| {
        if v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit()) {
            Ok(())
        } else {
            Err(Invalid::new(
                format!("account id {} is not 12 digits", shown(v)),
                "write the 12-digit AWS account id as a quoted string, e.g. \"123456789012\"",
            ))
        }
    }
);

validated_string!(
    /// An AWS region code such as `eu-west-1` or `us-gov-west-1`.
    Region,
    |v| {
        let help = "use an AWS region code such as `us-east-1` or `eu-central-1`";
        let parts: Vec<&str> = v.split('-').collect();
        let lower = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase());
        let ok = (3..=4).contains(&parts.len())
            && parts[0].len() == 2
            && parts[..parts.len() - 1].iter().all(lower)
            && parts[parts.len() - 1].len() == 1
            && parts[parts.len() - 1].bytes().all(|b| (b'1'..=b'9').contains(&b));
        if ok { Ok(()) } else { Err(Invalid::new(format!("region {} is not an AWS region code", shown(v)), help)) }
    }
);

impl Region {
    /// The AWS partition the region belongs to.
    pub fn partition(&self) -> &'static str {
        if self.0.starts_with("cn-") {
            "aws-cn"
        } else if self.0.starts_with("us-gov-") {
            "aws-us-gov"
        } else {
            "aws"
        }
    }

    /// The DNS suffix of the region's partition: service endpoints and the ECR registry are
    /// `<...>.<region>.<suffix>` (AWS General Reference, "Service endpoints"; China's regions
    /// answer under `amazonaws.com.cn`).
    pub fn dns_suffix(&self) -> &'static str {
        if self.0.starts_with("cn-") { "amazonaws.com.cn" } else { "amazonaws.com" }
    }
}

/// Checks a fully qualified, lowercase DNS name of at least two labels.
fn dns_name(what: &str, value: &str) -> Result<(), Invalid> {
    let help = "use a lowercase DNS name such as `saas.example.com`, without a trailing dot or scheme";
    if value.len() > 253 {
        return Err(Invalid::new(format!("{what} {} is longer than 253 characters", shown(value)), help));
    }
    let labels: Vec<&str> = value.split('.').collect();
    if labels.len() < 2 {
        return Err(Invalid::new(format!("{what} {} needs at least two labels", shown(value)), help));
    }
    for label in labels {
        if dns_label("label", label, 63).is_err() {
            return Err(Invalid::new(format!("{what} {} is not a valid DNS name", shown(value)), help));
        }
    }
    Ok(())
}

validated_string!(
    /// The platform's DNS domain, e.g. `saas.example.com`.
    DomainName,
    |v| dns_name("domain", v)
);

validated_string!(
    /// A Route 53 hosted zone id, e.g. `Z0123456789ABCDEFGHIJ`.
    HostedZoneId,
    |v| {
        if v.len() >= 2 && v.len() <= 32 && v.starts_with('Z') && v.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
            Ok(())
        } else {
            Err(Invalid::new(
                format!("hosted zone id {} is not a Route 53 zone id", shown(v)),
                "copy the id from the Route 53 console, e.g. `Z0123456789ABCDEFGHIJ`, without `/hostedzone/`",
            ))
        }
    }
);

validated_string!(
    /// An IAM role or user ARN, e.g. `arn:aws:iam::123456789012:role/PlatformAdmin`: a principal
    /// the cluster gives administrator access (an EKS access entry).
    PrincipalArn,
    |v| {
        let help = "use a role or user ARN such as `arn:aws:iam::123456789012:role/PlatformAdmin` (not an assumed-role session ARN)";
        let parts: Vec<&str> = v.splitn(6, ':').collect();
        let ok = parts.len() == 6
            && parts[0] == "arn"
            && ["aws", "aws-cn", "aws-us-gov"].contains(&parts[1])
            && parts[2] == "iam"
            && parts[3].is_empty()
            && parts[4].len() == 12
            && parts[4].bytes().all(|b| b.is_ascii_digit())
            && (parts[5].starts_with("role/") || parts[5].starts_with("user/"))
            && parts[5].len() > 5
            && parts[5].bytes().all(|b| b.is_ascii_alphanumeric() || b"/+=,.@_-".contains(&b))
            && v.len() <= 2048;
        if ok { Ok(()) } else { Err(Invalid::new(format!("{} is not an IAM role or user ARN", shown(v)), help)) }
    }
);

validated_string!(
    /// An email address, restricted to a conservative ASCII subset.
    EmailAddress,
    |v| {
        let help = "use an address like `admin@acme.example` (ASCII letters, digits and . _ % + - before the @)";
        let bad = || Err(Invalid::new(format!("email address {} is not valid", shown(v)), help));
        let Some((local, domain)) = v.split_once('@') else { return bad() };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && local.bytes().all(|b| b.is_ascii_alphanumeric() || b"._%+-".contains(&b))
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..");
        if local_ok && dns_name("email domain", &domain.to_ascii_lowercase()).is_ok() && domain == domain.to_ascii_lowercase() {
            Ok(())
        } else {
            bad()
        }
    }
);

validated_string!(
    /// A human-readable name: ASCII letters, digits, spaces and `.,&()_+-`, 1 to 64 characters,
    /// no leading or trailing space. Nothing that a shell or template could interpret.
    DisplayName,
    |v| {
        let help = "use 1 to 64 ASCII letters, digits, spaces and . , & ( ) _ + -";
        let ok = !v.is_empty()
            && v.len() <= 64
            && v.trim() == v
            && v.bytes().all(|b| b.is_ascii_alphanumeric() || b" .,&()_+-".contains(&b));
        if ok { Ok(()) } else { Err(Invalid::new(format!("display name {} is not allowed", shown(v)), help)) }
    }
);

validated_string!(
    /// A Kubernetes version `1.N`, e.g. `1.33`.
    KubernetesVersion,
    |v| {
        let ok = v
            .strip_prefix("1.")
            .is_some_and(|minor| !minor.is_empty() && minor.len() <= 3 && minor.bytes().all(|b| b.is_ascii_digit()) && !minor.starts_with('0'));
        if ok {
            Ok(())
        } else {
            Err(Invalid::new(
                format!("Kubernetes version {} is not of the form 1.N", shown(v)),
                "write the minor version as a quoted string, e.g. \"1.33\"",
            ))
        }
    }
);

impl KubernetesVersion {
    /// The minor version number.
    pub fn minor(&self) -> u32 {
        self.0[2..].parse().expect("validated at parse")
    }
}

validated_string!(
    /// A route path prefix such as `/products`: `/` followed by lowercase segments.
    RoutePath,
    |v| {
        let ok = v.len() <= 100
            && v.strip_prefix('/').is_some_and(|rest| {
                rest.split('/').all(|seg| dns_label("segment", seg, 63).is_ok())
            });
        if ok {
            Ok(())
        } else {
            Err(Invalid::new(
                format!("route path {} is not a path prefix", shown(v)),
                "use `/` followed by lowercase segments, e.g. `/products`, without a trailing slash",
            ))
        }
    }
);

validated_string!(
    /// A DynamoDB key attribute name such as `TenantId`.
    AttributeName,
    |v| {
        let ok = !v.is_empty()
            && v.len() <= 64
            && v.as_bytes()[0].is_ascii_alphabetic()
            && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if ok {
            Ok(())
        } else {
            Err(Invalid::new(
                format!("attribute name {} is not allowed", shown(v)),
                "use 1 to 64 ASCII letters, digits and '_', starting with a letter, e.g. `TenantId`",
            ))
        }
    }
);

validated_string!(
    /// An EC2 instance type such as `m6i.large`.
    InstanceType,
    |v| {
        let ok = v.len() <= 32
            && v.split_once('.').is_some_and(|(family, size)| {
                !family.is_empty() && !size.is_empty() && !size.contains('.')
                    && family.bytes().chain(size.bytes()).all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            });
        if ok {
            Ok(())
        } else {
            Err(Invalid::new(format!("instance type {} is not an EC2 instance type", shown(v)), "use a type such as `m6i.large`"))
        }
    }
);

validated_string!(
    /// A Kubernetes resource quantity such as `500m`, `2`, `4Gi` or `1e3`.
    Quantity,
    |v| {
        if parse_quantity(v).is_some() {
            Ok(())
        } else {
            Err(Invalid::new(
                format!("quantity {} is not a Kubernetes quantity", shown(v)),
                "use a number with an optional suffix: m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei (e.g. \"500m\", \"2\", \"4Gi\")",
            ))
        }
    }
);

impl Quantity {
    /// The quantity's value in its base unit (cores, bytes), for comparisons.
    pub fn value(&self) -> f64 {
        parse_quantity(&self.0).expect("validated at parse")
    }
}

/// Parses a Kubernetes quantity (non-negative; decimal, binary or exponent suffix).
fn parse_quantity(v: &str) -> Option<f64> {
    const SUFFIXES: [(&str, f64); 14] = [
        ("Ki", 1024.0),
        ("Mi", 1_048_576.0),
        ("Gi", 1_073_741_824.0),
        ("Ti", 1_099_511_627_776.0),
        ("Pi", 1_125_899_906_842_624.0),
        ("Ei", 1_152_921_504_606_846_976.0),
        ("m", 1e-3),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
        ("E", 1e18),
        ("", 1.0),
    ];
    if v.is_empty() || v.len() > 32 {
        return None;
    }
    let digits_end = v.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(v.len());
    let (number, suffix) = v.split_at(digits_end);
    let number_ok =
        !number.is_empty() && number.matches('.').count() <= 1 && !number.starts_with('.') && !number.ends_with('.');
    if !number_ok {
        return None;
    }
    let base: f64 = number.parse().ok()?;
    if let Some(exponent) = suffix.strip_prefix(['e', 'E']).filter(|e| !e.is_empty()) {
        let exponent: i32 = exponent.parse().ok()?;
        return (exponent.abs() <= 18).then(|| base * 10f64.powi(exponent));
    }
    SUFFIXES.iter().find(|(s, _)| *s == suffix).map(|(_, factor)| base * factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok<T>(parse: fn(&str) -> Result<T, Invalid>, values: &[&str]) {
        for v in values {
            assert!(parse(v).is_ok(), "{v:?} should be accepted");
        }
    }

    fn bad<T: fmt::Debug>(parse: fn(&str) -> Result<T, Invalid>, values: &[&str]) {
        for v in values {
            let err = parse(v).expect_err(&format!("{v:?} should be rejected"));
            assert!(!err.help.is_empty());
        }
    }

    #[test]
    fn tenant_ids_are_dns_labels() {
        ok(TenantId::parse, &["acme", "a", "acme-corp", "t1", "0day", &"a".repeat(63)]);
        bad(
            TenantId::parse,
            &[
                "",
                "Acme",
                "-acme",
                "acme-",
                "acme_corp",
                "acme.corp",
                "acme corp",
                "acmé",
                "аcme",
                &"a".repeat(64),
                "$(rm -rf /)",
                "${AWS::Region}",
                "{{x}}",
            ],
        );
    }

    #[test]
    fn rejected_values_are_shown_safely() {
        let err = TenantId::parse("a\nb\u{1b}[31m").unwrap_err();
        assert!(err.message.contains("a\\nb\\u{1b}[31m"), "{}", err.message);
        let huge = "x".repeat(10_000);
        assert!(TenantId::parse(&huge).unwrap_err().message.len() < 300);
    }

    #[test]
    fn account_ids_are_twelve_digits() {
        ok(AccountId::parse, &["123456789012", "000000000001"]);
        bad(AccountId::parse, &["12345678901", "1234567890123", "12345678901a", ""]);
    }

    #[test]
    fn regions() {
        ok(Region::parse, &["us-east-1", "eu-central-2", "ap-southeast-4", "us-gov-west-1", "cn-north-1"]);
        bad(Region::parse, &["us-east", "useast1", "US-EAST-1", "us-east-0", "us-east-12", "u-east-1", "us--1", ""]);
        assert_eq!(Region::parse("cn-north-1").unwrap().partition(), "aws-cn");
        assert_eq!(Region::parse("us-gov-west-1").unwrap().partition(), "aws-us-gov");
        assert_eq!(Region::parse("eu-west-1").unwrap().partition(), "aws");
    }

    #[test]
    fn domains() {
        ok(DomainName::parse, &["example.com", "saas.example.co.uk"]);
        bad(
            DomainName::parse,
            &["example", "Example.com", "example.com.", "-a.com", "a..com", "https://example.com", "exämple.com"],
        );
    }

    #[test]
    fn emails() {
        ok(EmailAddress::parse, &["admin@acme.example", "first.last+saas@mail.acme.example"]);
        bad(
            EmailAddress::parse,
            &[
                "admin",
                "@acme.example",
                "admin@",
                "admin@acme",
                "a b@acme.example",
                "admin@@acme.example",
                ".a@acme.example",
                "a;rm@acme.example",
                "admin@ACME.example",
            ],
        );
    }

    #[test]
    fn display_names() {
        ok(DisplayName::parse, &["Acme Corp", "Globex (EU) & Co.", "A"]);
        bad(
            DisplayName::parse,
            &["", " Acme", "Acme ", "Acme $(id)", "Acme `x`", "{{name}}", "Ac\"me", "Ac'me", "Acmé", &"A".repeat(65)],
        );
    }

    #[test]
    fn quantities() {
        ok(Quantity::parse, &["1", "500m", "2.5", "4Gi", "128Mi", "1e3", "10G", "0"]);
        bad(Quantity::parse, &["", "-1", "1.2.3", "4gb", "Gi", "1 Gi", ".5", "5.", "1e", "1e99"]);
        assert_eq!(Quantity::parse("500m").unwrap().value(), 0.5);
        assert_eq!(Quantity::parse("2Gi").unwrap().value(), 2.0 * 1024.0 * 1024.0 * 1024.0);
        assert_eq!(Quantity::parse("1e3").unwrap().value(), 1000.0);
    }

    #[test]
    fn kubernetes_versions() {
        ok(KubernetesVersion::parse, &["1.33", "1.9"]);
        bad(KubernetesVersion::parse, &["1", "1.", "2.30", "1.3a", "v1.33", "1.033"]);
        assert_eq!(KubernetesVersion::parse("1.33").unwrap().minor(), 33);
    }

    #[test]
    fn small_names() {
        ok(RoutePath::parse, &["/products", "/api/v1-orders"]);
        bad(RoutePath::parse, &["products", "/", "/products/", "/Products", "/a//b"]);
        ok(AttributeName::parse, &["TenantId", "order_id"]);
        bad(AttributeName::parse, &["", "1d", "Tenant-Id", "Tenant Id"]);
        ok(InstanceType::parse, &["m6i.large", "c7g.2xlarge"]);
        bad(InstanceType::parse, &["m6i", ".large", "m6i.large.x", "M6I.large"]);
        ok(HostedZoneId::parse, &["Z0123456789ABCDEFGHIJ"]);
        ok(
            PrincipalArn::parse,
            &["arn:aws:iam::123456789012:role/PlatformAdmin", "arn:aws:iam::123456789012:user/ops/ana"],
        );
        bad(
            PrincipalArn::parse,
            &[
                "arn:aws:sts::123456789012:assumed-role/Admin/me",
                "arn:aws:iam::12345:role/x",
                "arn:aws:iam::123456789012:group/x",
                "arn:aws:iam::123456789012:role/",
                "role/x",
                "arn:aws:iam::123456789012:role/$(id)",
            ],
        );
        bad(HostedZoneId::parse, &["/hostedzone/Z01", "z01", "Z"]);
    }
}
