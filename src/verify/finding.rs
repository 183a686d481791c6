//! What verify reports: findings, each naming its property, the principal, the action, the
//! resource and the file and line that allows (or lacks) it; the accepted list; and the three
//! renderings (a table for a terminal, JSON for machines, Markdown for a pull-request comment).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::doc::Location;

/// The property a finding breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Property {
    /// A principal of one tenant can act on another tenant's data.
    Isolation,
    /// A pod of one tenant reaches another tenant, the metadata service or the Kubernetes API,
    /// or an Ingress routes outside its tenant.
    Network,
    /// A tenant's tokens or identity settings are not its own.
    Identity,
    /// A call the code makes is not allowed for the principal that makes it.
    Sufficiency,
    /// A grant that no declared call uses (a warning).
    LeastPrivilege,
    /// A file verify cannot read, or a statement it cannot evaluate where it matters.
    CannotProve,
}

impl Property {
    /// Every property, in the order the report's summary lists them.
    pub const ALL: [Property; 6] = [
        Property::Isolation,
        Property::Network,
        Property::Identity,
        Property::Sufficiency,
        Property::LeastPrivilege,
        Property::CannotProve,
    ];

    /// The property's kebab-case name, as the accepted list, the JSON report and the tables
    /// write it.
    pub fn name(self) -> &'static str {
        match self {
            Property::Isolation => "isolation",
            Property::Network => "network",
            Property::Identity => "identity",
            Property::Sufficiency => "sufficiency",
            Property::LeastPrivilege => "least-privilege",
            Property::CannotProve => "cannot-prove",
        }
    }

    /// Whether a finding of this property fails verify (least privilege only warns).
    pub fn fails(self) -> bool {
        self != Property::LeastPrivilege
    }
}

/// One problem, with what a reviewer needs to find and fix it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    /// The property it breaks.
    pub property: Property,
    /// Who: a role ARN, a pod (`tenant-acme/product`), a client.
    pub principal: String,
    /// What: an IAM action, `connect:443/TCP`, `route`, `write custom:tenant-id`.
    pub action: String,
    /// On what: an ARN, a pod or address, a host and path.
    pub resource: String,
    /// The statement or object that allows it (or, for a missing grant, the principal).
    pub at: Location,
    /// What is wrong, in a sentence for the reviewer.
    pub message: String,
    /// The reason from the accepted list, when the finding is accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted: Option<String>,
}

/// One entry of the committed list of accepted findings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Accepted {
    /// The property of the findings it accepts (matched exactly).
    pub property: Property,
    /// IAM-style wildcards (`*`, `?`) allowed in the three fields below.
    pub principal: String,
    /// One action or a list: keep it to the actions meant, so that a new finding is not
    /// accepted by a wildcard written for another.
    pub action: OneOrMany,
    /// The finding's resource, as a wildcard pattern.
    pub resource: String,
    /// Why the finding is acceptable: shown with it in every rendering.
    pub reason: String,
}

/// An accepted entry's `action`: one pattern, or a list of which any may match.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// A single pattern (`action: "s3:GetObject"`).
    One(String),
    /// Several patterns (`action: [a, b]`).
    Many(Vec<String>),
}

impl OneOrMany {
    fn any(&self, f: impl Fn(&str) -> bool) -> bool {
        match self {
            OneOrMany::One(one) => f(one),
            OneOrMany::Many(many) => many.iter().any(|m| f(m)),
        }
    }
}

/// The committed list of accepted findings (`blueprints/accepted-findings.yaml`, or
/// `--accepted`): a finding it matches is reported with its reason and does not fail verify.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptedList {
    /// The entries; a finding takes the reason of the first that matches it.
    pub accepted: Vec<Accepted>,
}

impl AcceptedList {
    /// The reason a finding is accepted, if it is.
    pub fn reason(&self, f: &Finding) -> Option<&str> {
        let m = |p: &str, v: &str| super::iam::wildcard(p, v, false);
        self.accepted
            .iter()
            .find(|a| {
                a.property == f.property
                    && m(&a.principal, &f.principal)
                    && a.action.any(|p| m(p, &f.action))
                    && m(&a.resource, &f.resource)
            })
            .map(|a| a.reason.as_str())
    }
}

/// Everything verify found, and how much it checked.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Every finding; sorted and without repeats once [`Report::finish`] has run.
    pub findings: Vec<Finding>,
    /// How many questions each property asked (requests evaluated, paths checked).
    pub checked: BTreeMap<Property, u64>,
    /// How many tenants were checked (by their own files or by their shape).
    pub tenants: usize,
    /// Accepted findings of tenants proven by their shape (`shapes`): counted, not listed (the
    /// first tenant of the shape lists them).
    pub repeated: BTreeMap<Property, u64>,
    /// Tenants proven by the shape of another.
    pub by_shape: usize,
}

impl Report {
    /// Records that `n` more questions of `property` were asked.
    pub fn count(&mut self, property: Property, n: u64) {
        *self.checked.entry(property).or_default() += n;
    }

    /// Adds `other`'s findings and counts to this report's (a tenant's into the fleet's).
    pub fn merge(&mut self, other: Report) {
        self.findings.extend(other.findings);
        for (p, n) in other.checked {
            self.count(p, n);
        }
        self.tenants += other.tenants;
        self.by_shape += other.by_shape;
        for (p, n) in other.repeated {
            *self.repeated.entry(p).or_default() += n;
        }
    }

    /// Sorted, deduplicated, and marked with the accepted list's reasons.
    pub fn finish(mut self, accepted: Option<&AcceptedList>) -> Self {
        self.findings.sort();
        self.findings.dedup();
        if let Some(list) = accepted {
            for f in &mut self.findings {
                f.accepted = list.reason(f).map(str::to_owned);
            }
        }
        self
    }

    /// Whether verify fails: a failing property's finding that is not accepted.
    pub fn failed(&self) -> bool {
        self.findings.iter().any(|f| f.property.fails() && f.accepted.is_none())
    }

    fn summary(&self) -> Vec<(Property, u64, usize, usize)> {
        Property::ALL
            .iter()
            .map(|p| {
                let of: Vec<&Finding> = self.findings.iter().filter(|f| f.property == *p).collect();
                let listed = of.iter().filter(|f| f.accepted.is_some()).count();
                let repeated = self.repeated.get(p).copied().unwrap_or(0) as usize;
                (*p, self.checked.get(p).copied().unwrap_or(0), of.len() - listed, listed + repeated)
            })
            .collect()
    }

    /// The report for a terminal: each finding with its principal, action, resource and
    /// location, then a per-property summary and the verdict.
    pub fn table(&self) -> String {
        let mut out = String::new();
        for f in &self.findings {
            let tag = if f.accepted.is_some() {
                " (accepted)"
            } else if !f.property.fails() {
                " (warning)"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "{}: {}{tag}\n  principal: {}\n  action:    {}\n  resource:  {}\n  at:        {}",
                f.property.name(),
                f.message,
                f.principal,
                f.action,
                f.resource,
                f.at
            );
            if let Some(reason) = &f.accepted {
                let _ = writeln!(out, "  accepted:  {reason}");
            }
        }
        let _ = writeln!(out, "{:<16} {:>9} {:>9} {:>9}", "property", "checked", "findings", "accepted");
        for (p, checked, open, accepted) in self.summary() {
            let _ = writeln!(out, "{:<16} {checked:>9} {open:>9} {accepted:>9}", p.name());
        }
        let _ = writeln!(
            out,
            "{} tenants ({} proven by the shape of another): {}",
            self.tenants,
            self.by_shape,
            if self.failed() { "verify FAILED" } else { "every property holds" }
        );
        out
    }

    /// The report as Markdown for a pull-request comment: the verdict, the per-property
    /// summary table, then a table of the findings.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let verdict = if self.failed() {
            "❌ `tenancy verify` found problems"
        } else {
            "✅ `tenancy verify`: every property holds"
        };
        let _ = writeln!(
            out,
            "### {verdict}\n\n{} tenants ({} proven by the shape of another).\n",
            self.tenants, self.by_shape
        );
        let _ = writeln!(out, "| property | checked | findings | accepted |\n|---|---:|---:|---:|");
        for (p, checked, open, accepted) in self.summary() {
            let _ = writeln!(out, "| {} | {checked} | {open} | {accepted} |", p.name());
        }
        if !self.findings.is_empty() {
            let _ = writeln!(
                out,
                "\n| | property | principal | action | resource | at | why |\n|---|---|---|---|---|---|---|"
            );
            for f in &self.findings {
                let mark = if f.accepted.is_some() {
                    "accepted"
                } else if f.property.fails() {
                    "❌"
                } else {
                    "warning"
                };
                let cell = |s: &str| s.replace('|', "\\|");
                let why = match &f.accepted {
                    Some(reason) => format!("{} (accepted: {reason})", f.message),
                    None => f.message.clone(),
                };
                let _ = writeln!(
                    out,
                    "| {mark} | {} | `{}` | `{}` | `{}` | `{}` | {} |",
                    f.property.name(),
                    cell(&f.principal),
                    cell(&f.action),
                    cell(&f.resource),
                    f.at,
                    cell(&why)
                );
            }
        }
        out
    }

    /// The report as pretty JSON for machines: `ok`, `tenants`, `by_shape`, `checked` (by
    /// property name) and `findings`.
    pub fn json(&self) -> String {
        #[derive(Serialize)]
        struct Out<'a> {
            ok: bool,
            tenants: usize,
            by_shape: usize,
            checked: BTreeMap<&'static str, u64>,
            findings: &'a [Finding],
        }
        let out = Out {
            ok: !self.failed(),
            tenants: self.tenants,
            by_shape: self.by_shape,
            checked: self.checked.iter().map(|(p, n)| (p.name(), *n)).collect(),
            findings: &self.findings,
        };
        serde_json::to_string_pretty(&out).expect("serializable") + "\n"
    }
}
