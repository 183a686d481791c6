//! Every AWS call the code makes is declared where it is made, so that `tests/permissions.rs`
//! (and `tenancy verify`) can prove the generated IAM grants it: a new call without a
//! declaration fails here.
//!
//! - SDK calls. Every Rust file under `src/` and `services/*/src/` is read; in a file that
//!   names an SDK crate (`aws_sdk_<service>::…`), every call of one of that client's operation
//!   methods (`client.describe_stacks()`, `self.client.put_item()`, …: the fluent builders,
//!   which take no argument) is found, with its line. The operation methods are read from the
//!   SDK crates Cargo.lock pins (`src/client/<op>.rs`: `pub fn <op>(&self)`; waiters from
//!   `src/client.rs` and `src/waiters/`), so a call of any operation is recognized. In a file
//!   that names no SDK crate (a client obtained elsewhere), a call of any SDK's operation whose
//!   chain reaches `.send()` counts. Comments, string literals and `#[cfg(test)]` items are not
//!   code. Each operation maps to its IAM action (`<prefix>:<ApiName>`, with the exceptions of
//!   `EXCEPTIONS`), which one of the file's `*IAM_ACTIONS` tables must hold.
//! - Declared actions no call of the file needs are printed as warnings (a table may state an
//!   action a resource needs for other reasons); a table that declares another file's calls
//!   (`FOREIGN_TABLES`) must match calls of that file.
//! - Buildspec commands: every `aws …` command of every generated buildspec must be in
//!   `tenancy::buildspec::aws_cli::AWS_CLI_ACTIONS`, and every other program in its
//!   `TOOL_ACTIONS` or `NO_AWS_PROGRAMS`.
//! - `tenancy::verify::calls` mirrors the services' tables; the mirror must equal its source.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn root() -> PathBuf {
    crate::common::root()
}

// ---------------------------------------------------------------------------------------------
// What each operation needs.

/// How an operation's IAM actions follow from the call.
enum Rule {
    /// These, whatever the request.
    Fixed(&'static [&'static str]),
    /// The first for the current version of an object, the second when the request names a
    /// version (`.version_id(…)` / `.set_version_id(…)` in the call's chain).
    Versioned(&'static [&'static str], &'static [&'static str]),
    /// DynamoDB TransactWriteItems: the actions of the item kinds the file builds (`Put`,
    /// `Update`, `Delete`, `ConditionCheck`).
    TransactItems,
    /// Depends on the request in a way this test cannot read: map the call by hand.
    Unmapped(&'static str),
}

/// Operations whose IAM action is not `<prefix>:<ApiName>`. Sources: the Service Authorization
/// Reference (SAR), "Actions defined by Amazon S3" / "… Amazon DynamoDB", and the
/// "Permissions" section of each API's reference page.
const EXCEPTIONS: &[(&str, &str, Rule)] = &[
    // DynamoDB Developer Guide, "Using IAM with DynamoDB transactions": "Permissions for Put,
    // Update, Delete, and Get actions are governed by the permissions used for the underlying
    // PutItem, UpdateItem, DeleteItem, and GetItem operations. For the ConditionCheck action,
    // you can use the dynamodb:ConditionCheckItem permission". The SAR has no Transact* action.
    ("dynamodb", "transact_write_items", Rule::TransactItems),
    ("dynamodb", "transact_get_items", Rule::Fixed(&["dynamodb:GetItem"])),
    // SAR: PartiQL statements need dynamodb:PartiQLSelect / PartiQLInsert / PartiQLUpdate /
    // PartiQLDelete by the statement's verb.
    ("dynamodb", "execute_statement", Rule::Unmapped("PartiQL: dynamodb:PartiQL<Verb> by the statement")),
    ("dynamodb", "batch_execute_statement", Rule::Unmapped("PartiQL: dynamodb:PartiQL<Verb> by each statement")),
    ("dynamodb", "execute_transaction", Rule::Unmapped("PartiQL: dynamodb:PartiQL<Verb> by each statement")),
    // S3 API Reference, GetObject / HeadObject, "Permissions": s3:GetObject; "If you include a
    // versionId in your request header, you must have the s3:GetObjectVersion permission".
    ("s3", "get_object", Rule::Versioned(&["s3:GetObject"], &["s3:GetObjectVersion"])),
    ("s3", "head_object", Rule::Versioned(&["s3:GetObject"], &["s3:GetObjectVersion"])),
    // SAR: GetObjectAttributes → s3:GetObjectAttributes, of a version s3:GetObjectVersionAttributes.
    ("s3", "get_object_attributes", Rule::Versioned(&["s3:GetObjectAttributes"], &["s3:GetObjectVersionAttributes"])),
    ("s3", "get_object_acl", Rule::Versioned(&["s3:GetObjectAcl"], &["s3:GetObjectVersionAcl"])),
    ("s3", "put_object_acl", Rule::Versioned(&["s3:PutObjectAcl"], &["s3:PutObjectVersionAcl"])),
    ("s3", "get_object_tagging", Rule::Versioned(&["s3:GetObjectTagging"], &["s3:GetObjectVersionTagging"])),
    ("s3", "put_object_tagging", Rule::Versioned(&["s3:PutObjectTagging"], &["s3:PutObjectVersionTagging"])),
    ("s3", "delete_object_tagging", Rule::Versioned(&["s3:DeleteObjectTagging"], &["s3:DeleteObjectVersionTagging"])),
    // S3 API Reference, DeleteObject: s3:DeleteObject; a version: s3:DeleteObjectVersion.
    ("s3", "delete_object", Rule::Versioned(&["s3:DeleteObject"], &["s3:DeleteObjectVersion"])),
    // S3 API Reference, DeleteObjects: s3:DeleteObject (s3:DeleteObjectVersion for the objects
    // named with a version id, which this test does not read).
    ("s3", "delete_objects", Rule::Fixed(&["s3:DeleteObject"])),
    // S3 API Reference, ListObjects / ListObjectsV2 / HeadBucket: "permission to perform the
    // s3:ListBucket action".
    ("s3", "list_objects", Rule::Fixed(&["s3:ListBucket"])),
    ("s3", "list_objects_v2", Rule::Fixed(&["s3:ListBucket"])),
    ("s3", "head_bucket", Rule::Fixed(&["s3:ListBucket"])),
    // S3 API Reference, ListObjectVersions: s3:ListBucketVersions.
    ("s3", "list_object_versions", Rule::Fixed(&["s3:ListBucketVersions"])),
    // SAR: ListBuckets → s3:ListAllMyBuckets; ListMultipartUploads →
    // s3:ListBucketMultipartUploads; ListParts → s3:ListMultipartUploadParts.
    ("s3", "list_buckets", Rule::Fixed(&["s3:ListAllMyBuckets"])),
    ("s3", "list_multipart_uploads", Rule::Fixed(&["s3:ListBucketMultipartUploads"])),
    ("s3", "list_parts", Rule::Fixed(&["s3:ListMultipartUploadParts"])),
    // S3 API Reference, CreateMultipartUpload / UploadPart / CompleteMultipartUpload: s3:PutObject.
    ("s3", "create_multipart_upload", Rule::Fixed(&["s3:PutObject"])),
    ("s3", "upload_part", Rule::Fixed(&["s3:PutObject"])),
    ("s3", "complete_multipart_upload", Rule::Fixed(&["s3:PutObject"])),
    // S3 API Reference, CopyObject / UploadPartCopy: s3:GetObject on the source, s3:PutObject on
    // the destination.
    ("s3", "copy_object", Rule::Fixed(&["s3:GetObject", "s3:PutObject"])),
    ("s3", "upload_part_copy", Rule::Fixed(&["s3:GetObject", "s3:PutObject"])),
    // SAR: SelectObjectContent → s3:GetObject.
    ("s3", "select_object_content", Rule::Fixed(&["s3:GetObject"])),
    // SAR: the bucket configuration APIs whose action is named after the configuration.
    ("s3", "get_bucket_encryption", Rule::Fixed(&["s3:GetEncryptionConfiguration"])),
    ("s3", "put_bucket_encryption", Rule::Fixed(&["s3:PutEncryptionConfiguration"])),
    ("s3", "delete_bucket_encryption", Rule::Fixed(&["s3:PutEncryptionConfiguration"])),
    ("s3", "get_bucket_lifecycle_configuration", Rule::Fixed(&["s3:GetLifecycleConfiguration"])),
    ("s3", "put_bucket_lifecycle_configuration", Rule::Fixed(&["s3:PutLifecycleConfiguration"])),
    ("s3", "delete_bucket_lifecycle", Rule::Fixed(&["s3:PutLifecycleConfiguration"])),
    ("s3", "get_bucket_notification_configuration", Rule::Fixed(&["s3:GetBucketNotification"])),
    ("s3", "put_bucket_notification_configuration", Rule::Fixed(&["s3:PutBucketNotification"])),
    ("s3", "get_bucket_replication", Rule::Fixed(&["s3:GetReplicationConfiguration"])),
    ("s3", "put_bucket_replication", Rule::Fixed(&["s3:PutReplicationConfiguration"])),
    ("s3", "delete_bucket_replication", Rule::Fixed(&["s3:PutReplicationConfiguration"])),
    ("s3", "get_bucket_cors", Rule::Fixed(&["s3:GetBucketCORS"])),
    ("s3", "put_bucket_cors", Rule::Fixed(&["s3:PutBucketCORS"])),
    ("s3", "delete_bucket_cors", Rule::Fixed(&["s3:PutBucketCORS"])),
    ("s3", "delete_bucket_tagging", Rule::Fixed(&["s3:PutBucketTagging"])),
    ("s3", "get_public_access_block", Rule::Fixed(&["s3:GetBucketPublicAccessBlock"])),
    ("s3", "put_public_access_block", Rule::Fixed(&["s3:PutBucketPublicAccessBlock"])),
    ("s3", "delete_public_access_block", Rule::Fixed(&["s3:PutBucketPublicAccessBlock"])),
    ("s3", "get_object_lock_configuration", Rule::Fixed(&["s3:GetBucketObjectLockConfiguration"])),
    ("s3", "put_object_lock_configuration", Rule::Fixed(&["s3:PutBucketObjectLockConfiguration"])),
    ("s3", "delete_bucket_ownership_controls", Rule::Fixed(&["s3:PutBucketOwnershipControls"])),
];

/// The S3 operations whose IAM action is checked to be `s3:<ApiName>` (SAR). S3's actions
/// often differ from its API names, so an S3 operation in neither this list nor `EXCEPTIONS`
/// fails until someone looks it up.
const S3_ONE_TO_ONE: &[&str] = &[
    "abort_multipart_upload",
    "create_bucket",
    "delete_bucket",
    "delete_bucket_policy",
    "delete_bucket_website",
    "get_bucket_acl",
    "get_bucket_location",
    "get_bucket_logging",
    "get_bucket_ownership_controls",
    "get_bucket_policy",
    "get_bucket_policy_status",
    "get_bucket_request_payment",
    "get_bucket_tagging",
    "get_bucket_versioning",
    "get_bucket_website",
    "get_object_legal_hold",
    "get_object_retention",
    "put_bucket_acl",
    "put_bucket_logging",
    "put_bucket_ownership_controls",
    "put_bucket_policy",
    "put_bucket_request_payment",
    "put_bucket_tagging",
    "put_bucket_versioning",
    "put_bucket_website",
    "put_object",
    "put_object_legal_hold",
    "put_object_retention",
    "restore_object",
];

/// Actions a call needs besides its operation's when its chain sets a field: (service,
/// operation, setter, action).
const CHAIN_EXTRAS: &[(&str, &str, &str, &str)] = &[
    // S3 API Reference, PutObject, "Permissions": "If the x-amz-acl header is used, s3:PutObjectAcl";
    // "If x-amz-tagging is used, s3:PutObjectTagging".
    ("s3", "put_object", "acl", "s3:PutObjectAcl"),
    ("s3", "put_object", "grant_full_control", "s3:PutObjectAcl"),
    ("s3", "put_object", "grant_read", "s3:PutObjectAcl"),
    ("s3", "put_object", "tagging", "s3:PutObjectTagging"),
];

/// The IAM service prefix of an SDK crate where it is not the crate's name (SAR, each
/// service's "service prefix").
const PREFIXES: &[(&str, &str)] = &[
    ("cloudwatchlogs", "logs"),
    ("cognitoidentityprovider", "cognito-idp"),
    ("elasticloadbalancingv2", "elasticloadbalancing"),
    ("eventbridge", "events"),
    ("sfn", "states"),
];

/// `*IAM_ACTIONS` tables that declare the calls of another file: (file, table, the file whose
/// calls it declares). Each of its actions must be needed by a call there.
const FOREIGN_TABLES: &[(&str, &str, &str)] = &[
    // The order service prices lines through `product::DynamoProducts::get`.
    ("services/order/src/store.rs", "PRODUCT_IAM_ACTIONS", "services/product/src/store.rs"),
    // The offboarding job purges a pooled tenant's users through `Users::purge`.
    ("src/contract/calls.rs", "PURGE_IAM_ACTIONS", "crates/tenancy-registry/src/users.rs"),
];

/// A file's own tables, held in another file: (file, table, the file whose calls they declare).
/// They count as that file's tables in every respect (an action no call needs is a warning).
const HELD_TABLES: &[(&str, &str, &str)] = &[
    // `tenancy apply`'s calls are declared in the core, where `verify` reads them too.
    ("src/contract/calls.rs", "STATE_IAM_ACTIONS", "crates/tenancy-apply/src/aws/state.rs"),
    ("src/contract/calls.rs", "BOOTSTRAP_IAM_ACTIONS", "crates/tenancy-apply/src/aws/bootstrap.rs"),
    ("src/contract/calls.rs", "STACK_IAM_ACTIONS", "crates/tenancy-apply/src/aws/cloudformation.rs"),
    ("src/contract/calls.rs", "TEMPLATE_IAM_ACTIONS", "crates/tenancy-apply/src/aws/cloudformation.rs"),
    ("src/contract/calls.rs", "BACKUP_IAM_ACTIONS", "crates/tenancy-apply/src/aws/cloudformation.rs"),
    ("src/contract/calls.rs", "BUILD_IAM_ACTIONS", "crates/tenancy-apply/src/aws/codebuild.rs"),
    ("src/contract/calls.rs", "REGISTER_IAM_ACTIONS", "crates/tenancy-apply/src/aws/register.rs"),
    ("src/contract/calls.rs", "LIFECYCLE_IAM_ACTIONS", "crates/tenancy-registry/src/dynamo.rs"),
    ("src/contract/calls.rs", "LISTING_IAM_ACTIONS", "crates/tenancy-registry/src/dynamo.rs"),
    ("src/contract/calls.rs", "EVENTS_IAM_ACTIONS", "crates/tenancy-registry/src/events.rs"),
    ("src/contract/calls.rs", "ONBOARDING_IAM_ACTIONS", "crates/tenancy-registry/src/jobs.rs"),
    ("src/contract/calls.rs", "REGISTRY_IAM_ACTIONS", "crates/tenancy-apply/src/aws/registry.rs"),
    ("src/contract/calls.rs", "DIRECTORY_IAM_ACTIONS", "crates/tenancy-registry/src/directory.rs"),
    ("src/contract/calls.rs", "USERS_IAM_ACTIONS", "crates/tenancy-registry/src/users.rs"),
    ("src/contract/calls.rs", "SOURCE_IAM_ACTIONS", "crates/tenancy-apply/src/aws/source.rs"),
];

/// Calls not declared today, reported to the lead and not yet decided: (file, action, what is
/// known). The generated IAM grants each (the deployer statements of
/// `src/compile/deploy_roles.rs`), but no table states it, so no test proves the grant. An
/// entry that no longer matches an undeclared call fails: remove it.
const KNOWN_GAPS: &[(&str, &str, &str)] = &[];

// ---------------------------------------------------------------------------------------------
// The SDK clients, read from the crates Cargo.lock pins.

struct Sdk {
    /// service (`aws_sdk_<service>`) → operation method → API operation name (PascalCase).
    clients: BTreeMap<String, BTreeMap<String, String>>,
}

impl Sdk {
    fn operation(&self, service: &str, method: &str) -> Option<&String> {
        self.clients.get(service)?.get(method)
    }
}

fn sdk() -> &'static Sdk {
    static SDK: OnceLock<Sdk> = OnceLock::new();
    SDK.get_or_init(load_sdk)
}

fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME or CARGO_HOME is set")).join(".cargo"))
}

/// `(service, version)` of every `aws-sdk-*` package in Cargo.lock.
fn locked_sdks() -> Vec<(String, String)> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).expect("Cargo.lock");
    let mut found = Vec::new();
    let mut name: Option<String> = None;
    for line in lock.lines() {
        if let Some(value) = line.strip_prefix("name = ") {
            name = value.trim_matches('"').strip_prefix("aws-sdk-").map(str::to_owned);
        } else if let (Some(service), Some(version)) = (&name, line.strip_prefix("version = ")) {
            found.push((service.clone(), version.trim_matches('"').to_owned()));
            name = None;
        }
    }
    found
}

fn load_sdk() -> Sdk {
    let registry = cargo_home().join("registry/src");
    let indexes: Vec<PathBuf> = std::fs::read_dir(&registry)
        .unwrap_or_else(|e| panic!("{}: {e} (the SDK crates' sources are read from there)", registry.display()))
        .map(|e| e.unwrap().path())
        .collect();
    let mut clients = BTreeMap::new();
    for (service, version) in locked_sdks() {
        let dir = indexes
            .iter()
            .map(|index| index.join(format!("aws-sdk-{service}-{version}")))
            .find(|dir| dir.is_dir())
            .unwrap_or_else(|| panic!("aws-sdk-{service} {version} is not under {} (cargo fetch)", registry.display()));
        let operations = client_operations(&dir);
        assert!(operations.len() > 5, "{}: no operations read", dir.display());
        clients.insert(service.replace('-', "_"), operations);
    }
    assert!(clients.len() >= 5, "SDK crates in Cargo.lock: {:?}", clients.keys());
    Sdk { clients }
}

fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

fn ident_prefix(text: &str) -> &str {
    let end = text.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(text.len());
    &text[..end]
}

/// The operation methods of one SDK crate's client: `src/client/<op>.rs` holds
/// `pub fn <op>(&self) -> crate::operation::<op>::builders::<Op>FluentBuilder`; the waiters
/// (`wait_until_<x>`, in `src/client.rs`) poll the operation their `src/waiters/<x>.rs` sends.
fn client_operations(crate_dir: &Path) -> BTreeMap<String, String> {
    let mut operations = BTreeMap::new();
    for entry in std::fs::read_dir(crate_dir.join("src/client")).expect("src/client") {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = squeeze(&std::fs::read_to_string(&path).unwrap());
        for (at, _) in text.match_indices("pubfn") {
            let rest = &text[at + "pubfn".len()..];
            let method = ident_prefix(rest);
            let Some(rest) = rest[method.len()..]
                .strip_prefix("(&self)->crate::operation::")
                .or_else(|| rest[method.len()..].strip_prefix("(&self,)->crate::operation::"))
            else {
                continue;
            };
            let module = ident_prefix(rest);
            let Some(rest) = rest[module.len()..].strip_prefix("::builders::") else { continue };
            let Some(name) = ident_prefix(rest).strip_suffix("FluentBuilder") else { continue };
            operations.insert(method.to_owned(), name.to_owned());
        }
    }
    let client = squeeze(&std::fs::read_to_string(crate_dir.join("src/client.rs")).unwrap_or_default());
    let mut waiters = BTreeMap::new();
    for (at, _) in client.match_indices("fnwait_until_") {
        let rest = &client[at + "fn".len()..];
        let method = ident_prefix(rest);
        let after = &rest[method.len()..];
        let Some(rest) = after
            .strip_prefix("(&self)->crate::waiters::")
            .or_else(|| after.strip_prefix("(&self,)->crate::waiters::"))
        else {
            continue;
        };
        let module = ident_prefix(rest);
        let waiter =
            squeeze(&std::fs::read_to_string(crate_dir.join(format!("src/waiters/{module}.rs"))).unwrap_or_default());
        if let Some(at) = waiter.find("crate::operation::") {
            let polled = ident_prefix(&waiter[at + "crate::operation::".len()..]);
            if let Some(name) = operations.get(polled) {
                waiters.insert(method.to_owned(), name.clone());
            }
        }
    }
    operations.extend(waiters);
    operations
}

fn iam_prefix(service: &str) -> &str {
    PREFIXES.iter().find(|(crate_name, _)| *crate_name == service).map_or(service, |(_, prefix)| prefix)
}

// ---------------------------------------------------------------------------------------------
// Reading Rust source.

/// `text` with comments and the contents of string and char literals blanked, byte for byte
/// (newlines kept, delimiters kept), so what remains is code at the same offsets and lines.
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for byte in &mut out[from..to.min(b.len())] {
            if *byte != b'\n' {
                *byte = b' ';
            }
        }
    };
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = text[i..].find('\n').map_or(b.len(), |n| i + n);
                blank(&mut out, i, end);
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let (mut depth, mut j) = (1, i + 2);
                while j < b.len() && depth > 0 {
                    if b[j] == b'/' && b.get(j + 1) == Some(&b'*') {
                        depth += 1;
                        j += 1;
                    } else if b[j] == b'*' && b.get(j + 1) == Some(&b'/') {
                        depth -= 1;
                        j += 1;
                    }
                    j += 1;
                }
                blank(&mut out, i, j);
                i = j;
            }
            b'r' if (i == 0 || !ident(b[i - 1]) || (b[i - 1] == b'b' && (i < 2 || !ident(b[i - 2]))))
                && matches!(b.get(i + 1), Some(b'"' | b'#')) =>
            {
                let hashes = b[i + 1..].iter().take_while(|c| **c == b'#').count();
                if b.get(i + 1 + hashes) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let open = i + 1 + hashes + 1;
                let close = format!("\"{}", "#".repeat(hashes));
                let end = text[open..].find(&close).map_or(b.len(), |n| open + n);
                blank(&mut out, open, end);
                i = end + close.len();
            }
            b'"' => {
                let mut j = i + 1;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                blank(&mut out, i + 1, j);
                i = j + 1;
            }
            b'\'' => {
                // A char literal ('a', '\n', '\u{1F600}', 'é'), or a lifetime.
                let end = if b.get(i + 1) == Some(&b'\\') {
                    // The escaped character, then the closing quote.
                    text.get(i + 3..).and_then(|rest| rest.find('\'')).map(|n| i + 3 + n)
                } else {
                    let next = text[i + 1..].chars().next().map_or(1, char::len_utf8);
                    (b.get(i + 1 + next) == Some(&b'\'')).then_some(i + 1 + next)
                };
                match end {
                    Some(end) => {
                        blank(&mut out, i + 1, end);
                        i = end + 1;
                    }
                    None => i += 1,
                }
            }
            c if !c.is_ascii() => {
                out[i] = b' ';
                i += 1;
            }
            _ => i += 1,
        }
    }
    String::from_utf8(out).expect("ASCII where it was changed")
}

/// `code` without its `#[cfg(test)]` items (blanked, newlines kept).
fn without_tests(code: &str) -> String {
    let mut out = code.as_bytes().to_vec();
    let mut from = 0;
    while let Some(at) = code[from..].find("#[cfg(test)]").map(|n| from + n) {
        let b = code.as_bytes();
        let mut j = at + "#[cfg(test)]".len();
        // The item ends at its `;` or its closing brace, whichever comes first.
        let mut depth = 0;
        while j < b.len() {
            match b[j] {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        j += 1;
                        break;
                    }
                }
                b';' if depth == 0 => {
                    j += 1;
                    break;
                }
                _ => {}
            }
            j += 1;
        }
        for byte in &mut out[at..j] {
            if *byte != b'\n' {
                *byte = b' ';
            }
        }
        from = j;
    }
    String::from_utf8(out).expect("ASCII")
}

fn line_of(code: &str, at: usize) -> usize {
    code[..at].bytes().filter(|b| *b == b'\n').count() + 1
}

fn is_ident_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn skip_space(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// The rest of the expression from `at`: up to a `;` or `,` outside brackets, or the bracket
/// that closes around it.
fn chain_from(code: &str, at: usize) -> &str {
    let b = code.as_bytes();
    let mut depth = 0usize;
    let mut j = at;
    while j < b.len() {
        match b[j] {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' if depth == 0 => break,
            b')' | b']' | b'}' => depth -= 1,
            b';' | b',' if depth == 0 => break,
            _ => {}
        }
        j += 1;
    }
    &code[at..j]
}

/// The identifier just before the `.` at `dot` (`client` in `self.client.put_item()`).
fn receiver(code: &str, dot: usize) -> &str {
    let b = code.as_bytes();
    let mut end = dot;
    while end > 0 && b[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    let mut start = end;
    while start > 0 && is_ident_byte(b[start - 1]) {
        start -= 1;
    }
    &code[start..end]
}

/// Which SDK client each local name is, as far as the file says: `use aws_sdk_x::Client` (or
/// `use aws_sdk_x::{Client, …}`) for a bare `Client`; `let name = …aws_sdk_x::Client…;` or
/// `let name = Client::…;`; `name: Client`, `name: &aws_sdk_x::Client`.
fn bindings(code: &str, services: &BTreeSet<String>) -> BTreeMap<String, String> {
    let squeezed = squeeze(code);
    let imports = |service: &str| {
        let path = format!("useaws_sdk_{service}::");
        squeezed.match_indices(&path).any(|(at, _)| {
            let rest = &squeezed[at + path.len()..];
            ident_prefix(rest) == "Client"
                || rest
                    .strip_prefix('{')
                    .and_then(|r| r.split_once('}'))
                    .is_some_and(|(items, _)| items.split(',').any(|item| item == "Client"))
        })
    };
    let bare: Option<&String> = services.iter().find(|s| imports(s));
    let service_of = |text: &str| -> Option<String> {
        if let Some(service) = services.iter().find(|s| text.contains(&format!("aws_sdk_{s}::Client"))) {
            return Some(service.clone());
        }
        let b = text.as_bytes();
        let bare_client =
            text.match_indices("Client").any(|(at, _)| at == 0 || !(is_ident_byte(b[at - 1]) || b[at - 1] == b':'));
        if bare_client { bare.cloned() } else { None }
    };
    let mut out = BTreeMap::new();
    for statement in code.split([';', '{', '}']) {
        let words: Vec<&str> = statement.split_whitespace().collect();
        if let Some(at) = words.iter().position(|w| *w == "let")
            && let Some(name) = words.get(at + 1).filter(|w| **w != "mut").or(words.get(at + 2))
            && let Some(service) = service_of(statement)
        {
            out.insert(ident_prefix(name).to_owned(), service);
        }
        for part in statement.split(',').chain(statement.split('(')) {
            if let Some((name, ty)) = part.split_once(':')
                && let (name, ty) = (name.trim(), squeeze(ty))
                && !name.is_empty()
                && name.bytes().all(is_ident_byte)
                && (ty.trim_start_matches('&') == "Client" || ty.ends_with("::Client"))
                && let Some(service) = service_of(&ty)
            {
                out.insert(name.to_owned(), service);
            }
        }
    }
    out
}

#[derive(Debug, Clone)]
struct Call {
    line: usize,
    service: String,
    method: String,
    actions: Vec<String>,
}

#[derive(Debug, Clone)]
struct Table {
    /// The file that holds it (another file's, for a table of `FOREIGN_TABLES`).
    file: String,
    name: String,
    line: usize,
    actions: Vec<String>,
}

#[derive(Debug, Default)]
struct Scan {
    file: String,
    /// Whether the file names an SDK crate (`aws_sdk_<service>`).
    names_sdk: bool,
    calls: Vec<Call>,
    tables: Vec<Table>,
    /// Calls that cannot be mapped, or whose client cannot be told.
    problems: Vec<String>,
}

/// The `*IAM_ACTIONS` tables of a file: `const <NAME>IAM_ACTIONS: … = [ "…", … ];`.
fn tables(file: &str, text: &str, code: &str) -> Vec<Table> {
    let mut found = Vec::new();
    for (at, _) in code.match_indices("const ") {
        let name = ident_prefix(&code[at + "const ".len()..]);
        if !name.ends_with("IAM_ACTIONS") {
            continue;
        }
        let Some(eq) = code[at..].find('=').map(|n| at + n) else { continue };
        let Some(open) = code[eq..].find('[').map(|n| eq + n) else { continue };
        let Some(close) = code[open..].find(']').map(|n| open + n) else { continue };
        let actions =
            text[open..close].split('"').skip(1).step_by(2).map(str::to_owned).filter(|a| a.contains(':')).collect();
        found.push(Table { file: file.to_owned(), name: name.to_owned(), line: line_of(code, at), actions });
    }
    found
}

/// What an operation call needs.
fn actions_needed(service: &str, method: &str, api: &str, chain: &str, code: &str) -> Result<Vec<String>, String> {
    let chain = squeeze(chain);
    let sets = |field: &str| chain.contains(&format!(".{field}(")) || chain.contains(&format!(".set_{field}("));
    let rule = EXCEPTIONS.iter().find(|(s, m, _)| *s == service && *m == method).map(|(.., rule)| rule);
    let mut actions: Vec<String> = match rule {
        Some(Rule::Fixed(actions)) => actions.iter().map(|a| a.to_string()).collect(),
        Some(Rule::Versioned(current, version)) => {
            (if sets("version_id") { version } else { current }).iter().map(|a| a.to_string()).collect()
        }
        Some(Rule::TransactItems) => {
            let kinds = [
                ("Put", "dynamodb:PutItem"),
                ("Update", "dynamodb:UpdateItem"),
                ("Delete", "dynamodb:DeleteItem"),
                ("ConditionCheck", "dynamodb:ConditionCheckItem"),
            ];
            let built: Vec<String> = kinds
                .iter()
                .filter(|(kind, _)| {
                    code.match_indices(&format!("{kind}::builder"))
                        .any(|(at, _)| at == 0 || !is_ident_byte(code.as_bytes()[at - 1]))
                })
                .map(|(_, action)| action.to_string())
                .collect();
            if built.is_empty() {
                return Err(format!("{method}: no Put, Update, Delete or ConditionCheck item is built in this file"));
            }
            built
        }
        Some(Rule::Unmapped(why)) => return Err(format!("{method}: {why}; map the call by hand in EXCEPTIONS")),
        None if service == "s3" && !S3_ONE_TO_ONE.contains(&method) => {
            return Err(format!(
                "s3 {method}: S3's IAM actions often differ from its API names; look {api} up in the Service \
                 Authorization Reference and add it to S3_ONE_TO_ONE or EXCEPTIONS (tests/declared_calls.rs)"
            ));
        }
        None => vec![format!("{}:{api}", iam_prefix(service))],
    };
    for (s, m, setter, action) in CHAIN_EXTRAS {
        if *s == service && *m == method && sets(setter) {
            actions.push(action.to_string());
        }
    }
    Ok(actions)
}

/// Every SDK operation call in one file (`file` is its path for messages), and its tables.
fn scan(file: &str, text: &str, sdk: &Sdk) -> Scan {
    let code = without_tests(&code_only(text));
    let mut result = Scan { file: file.to_owned(), tables: tables(file, text, &code), ..Scan::default() };
    // The tables another file holds for this one's calls (the core's `contract::calls`).
    for (home, name, target) in HELD_TABLES {
        if *target == file {
            let text = std::fs::read_to_string(root().join(home)).unwrap_or_else(|e| panic!("{home}: {e}"));
            let code = without_tests(&code_only(&text));
            result.tables.extend(tables(home, &text, &code).into_iter().filter(|t| t.name == *name));
        }
    }
    let named: BTreeSet<String> = code
        .match_indices("aws_sdk_")
        .map(|(at, _)| ident_prefix(&code[at + "aws_sdk_".len()..]).to_owned())
        .filter(|service| sdk.clients.contains_key(service))
        .collect();
    // A file that names no SDK crate: any SDK's operation, when its chain is sent.
    let candidates: BTreeSet<String> =
        if named.is_empty() { sdk.clients.keys().cloned().collect() } else { named.clone() };
    result.names_sdk = !named.is_empty();
    let bound = bindings(&code, &named);
    let b = code.as_bytes();
    // `.<op>()` (a method call with no argument) and `Client::<op>(` (a path call).
    let mut sites: Vec<(usize, usize, &str, usize)> = Vec::new(); // (site, dot, method, chain start)
    for (dot, _) in code.match_indices('.') {
        if dot > 0 && b[dot - 1] == b'.' {
            continue;
        }
        let start = skip_space(b, dot + 1);
        let mut end = start;
        while end < b.len() && is_ident_byte(b[end]) {
            end += 1;
        }
        if end == start || b[start].is_ascii_digit() {
            continue;
        }
        let open = skip_space(b, end);
        if b.get(open) != Some(&b'(') {
            continue;
        }
        let close = skip_space(b, open + 1);
        if b.get(close) != Some(&b')') {
            continue;
        }
        sites.push((start, dot, &code[start..end], close + 1));
    }
    for (at, _) in code.match_indices("Client::") {
        let start = at + "Client::".len();
        let method = ident_prefix(&code[start..]);
        if !method.is_empty() && b.get(skip_space(b, start + method.len())) == Some(&b'(') {
            sites.push((start, at, method, start + method.len()));
        }
    }
    sites.sort_by_key(|site| site.0);
    for (site, dot, method, chain_start) in sites {
        let services: Vec<&String> = candidates.iter().filter(|s| sdk.operation(s, method).is_some()).collect();
        if services.is_empty() {
            continue;
        }
        let chain = chain_from(&code, chain_start);
        if named.is_empty() && !squeeze(chain).contains(".send()") {
            continue;
        }
        let line = line_of(&code, site);
        let service = match services[..] {
            [one] => one.clone(),
            _ => match bound.get(receiver(&code, dot)).filter(|s| services.contains(s)) {
                Some(service) => service.clone(),
                None => {
                    result.problems.push(format!(
                        "{file}:{line}: `{method}` is an operation of {services:?}: cannot tell which client makes \
                         the call (bind the client to a `let` of its crate's Client, or name it `aws_sdk_<service>::Client`)"
                    ));
                    continue;
                }
            },
        };
        let api = sdk.operation(&service, method).expect("a candidate");
        match actions_needed(&service, method, api, chain, &code) {
            Ok(actions) => result.calls.push(Call { line, service, method: method.to_owned(), actions }),
            Err(problem) => result.problems.push(format!("{file}:{line}: {problem}")),
        }
    }
    result
}

/// An undeclared call: where, what, and the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Gap {
    file: String,
    line: usize,
    method: String,
    action: String,
    fix: String,
}

impl std::fmt::Display for Gap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: `{}()` needs {}, which no IAM_ACTIONS table for the file declares: {}",
            self.file, self.line, self.method, self.action, self.fix
        )
    }
}

fn eq_action(a: &str, b: &str) -> bool {
    // IAM action names are case-insensitive.
    a.eq_ignore_ascii_case(b)
}

/// The calls of `scan` that its own tables do not declare, and the declared actions no call
/// needs (warnings).
fn check(scan: &Scan) -> (Vec<Gap>, Vec<String>) {
    let own: Vec<&Table> = scan
        .tables
        .iter()
        .filter(|t| {
            t.file != scan.file || !FOREIGN_TABLES.iter().any(|(file, name, _)| *file == scan.file && *name == t.name)
        })
        .collect();
    let mut gaps = Vec::new();
    for call in &scan.calls {
        for action in &call.actions {
            if own.iter().any(|t| t.actions.iter().any(|a| eq_action(a, action))) {
                continue;
            }
            let prefix = action.split(':').next().unwrap_or_default();
            let table = own
                .iter()
                .find(|t| t.actions.iter().any(|a| a.starts_with(&format!("{prefix}:"))))
                .or_else(|| own.iter().find(|t| t.name == "IAM_ACTIONS"));
            let fix = match table {
                Some(t) => format!("declare it in {} in {} (line {})", t.name, t.file, t.line),
                None => format!("declare it in a `pub const IAM_ACTIONS` in {} (it has no table)", scan.file),
            };
            gaps.push(Gap {
                file: scan.file.clone(),
                line: call.line,
                method: call.method.clone(),
                action: action.clone(),
                fix,
            });
        }
    }
    let mut unused = Vec::new();
    for table in own {
        for declared in &table.actions {
            if !scan.calls.iter().any(|c| c.actions.iter().any(|a| eq_action(a, declared))) {
                unused.push(format!(
                    "{}:{}: {} declares {declared}, which no call of {} needs",
                    table.file,
                    table.line,
                    table.name,
                    if table.file == scan.file { "the file" } else { &scan.file }
                ));
            }
        }
    }
    (gaps, unused)
}

/// Every Rust file of the crates that ship: `src/`, `crates/*/src/` and `services/*/src/`.
fn sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = root();
    let mut paths = Vec::new();
    walk(&root.join("src"), &mut paths);
    for group in ["crates", "services"] {
        for package in std::fs::read_dir(root.join(group)).unwrap() {
            let src = package.unwrap().path().join("src");
            if src.is_dir() {
                walk(&src, &mut paths);
            }
        }
    }
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let rel = path.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
            (rel, std::fs::read_to_string(&path).unwrap())
        })
        .collect()
}

/// The scans of the files that call or name an SDK client. A table in a file that does neither
/// declares something other than SDK calls (compile::pipeline's EKSCTL_IAM_ACTIONS, eksctl's
/// needs) and is not this test's.
fn scans() -> Vec<Scan> {
    let sdk = sdk();
    sources()
        .iter()
        .map(|(file, text)| scan(file, text, sdk))
        .filter(|s| {
            s.names_sdk
                || !s.calls.is_empty()
                || !s.problems.is_empty()
                || HELD_TABLES.iter().any(|(home, ..)| *home == s.file)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The tests.

#[test]
fn every_sdk_call_is_declared_in_its_files_iam_actions() {
    let scans = scans();
    let mut failures = Vec::new();
    let mut known = Vec::new();
    let mut matched_gaps = BTreeSet::new();
    println!("SDK calls found:");
    for scan in &scans {
        let ops: BTreeSet<String> = scan.calls.iter().map(|c| format!("{} {}", c.service, c.method)).collect();
        println!("  {}: {} calls ({})", scan.file, scan.calls.len(), ops.into_iter().collect::<Vec<_>>().join(", "));
        failures.extend(scan.problems.iter().cloned());
        let (gaps, unused) = check(scan);
        for gap in gaps {
            match KNOWN_GAPS.iter().position(|(file, action, _)| *file == gap.file && *action == gap.action) {
                Some(index) => {
                    matched_gaps.insert(index);
                    known.push(format!("{gap} [known: {}]", KNOWN_GAPS[index].2));
                }
                None => failures.push(gap.to_string()),
            }
        }
        for warning in unused {
            println!("warning: {warning}");
        }
    }
    for known in &known {
        println!("undeclared, pending the lead: {known}");
    }
    for (index, (file, action, _)) in KNOWN_GAPS.iter().enumerate() {
        if !matched_gaps.contains(&index) {
            failures.push(format!(
                "KNOWN_GAPS lists {action} in {file}, which is declared now (or no longer called): remove the entry"
            ));
        }
    }
    // Not vacuous: every caller is found, with its calls.
    for caller in [
        "crates/tenancy-apply/src/aws/bootstrap.rs",
        "crates/tenancy-apply/src/aws/cloudformation.rs",
        "crates/tenancy-apply/src/aws/codebuild.rs",
        "crates/tenancy-apply/src/aws/register.rs",
        "crates/tenancy-apply/src/aws/registry.rs",
        "crates/tenancy-apply/src/aws/source.rs",
        "crates/tenancy-apply/src/aws/state.rs",
        "services/order/src/store.rs",
        "services/product/src/store.rs",
        "crates/tenancy-registry/src/directory.rs",
        "crates/tenancy-registry/src/users.rs",
    ] {
        if !scans.iter().any(|s| s.file == caller && !s.calls.is_empty()) {
            failures.push(format!("{caller}: no SDK call found (the scanner missed them, or the file moved)"));
        }
    }
    assert!(failures.is_empty(), "undeclared AWS calls:\n  {}", failures.join("\n  "));
}

#[test]
fn a_table_of_another_files_calls_matches_that_files_calls() {
    let scans = scans();
    let mut failures = Vec::new();
    for (file, name, target) in FOREIGN_TABLES {
        let table = scans.iter().find(|s| s.file == *file).and_then(|s| s.tables.iter().find(|t| t.name == *name));
        let Some(table) = table else {
            failures.push(format!("{file} has no table {name} (FOREIGN_TABLES)"));
            continue;
        };
        let calls: Vec<&Call> = scans.iter().filter(|s| s.file == *target).flat_map(|s| &s.calls).collect();
        for action in &table.actions {
            if !calls.iter().any(|c| c.actions.iter().any(|a| eq_action(a, action))) {
                failures
                    .push(format!("{file}:{}: {name} declares {action}, which no call of {target} needs", table.line));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The tables as read from the source are the crates' own constants (the reading is right).
#[test]
fn the_tables_read_from_the_source_are_the_crates_constants() {
    let scans = scans();
    let read = |file: &str, name: &str| -> Vec<String> {
        scans
            .iter()
            .find(|s| s.file == file)
            .and_then(|s| s.tables.iter().find(|t| t.name == name))
            .map(|t| t.actions.clone())
            .unwrap_or_default()
    };
    let own = |actions: &[&str]| actions.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    use tenancy::contract::calls;
    let core = "src/contract/calls.rs";
    assert_eq!(read(core, "STATE_IAM_ACTIONS"), own(&calls::STATE_IAM_ACTIONS));
    assert_eq!(read(core, "SOURCE_IAM_ACTIONS"), own(&calls::SOURCE_IAM_ACTIONS));
    assert_eq!(read(core, "REGISTRY_IAM_ACTIONS"), own(&calls::REGISTRY_IAM_ACTIONS));
    assert_eq!(read(core, "REGISTER_IAM_ACTIONS"), own(&calls::REGISTER_IAM_ACTIONS));
    assert_eq!(read(core, "BUILD_IAM_ACTIONS"), own(&calls::BUILD_IAM_ACTIONS));
    assert_eq!(read(core, "STACK_IAM_ACTIONS"), own(&calls::STACK_IAM_ACTIONS));
    assert_eq!(read(core, "BACKUP_IAM_ACTIONS"), own(&calls::BACKUP_IAM_ACTIONS));
    assert_eq!(read(core, "TEMPLATE_IAM_ACTIONS"), own(&calls::TEMPLATE_IAM_ACTIONS));
    assert_eq!(read(core, "BOOTSTRAP_IAM_ACTIONS"), own(&calls::BOOTSTRAP_IAM_ACTIONS));
    assert_eq!(read("services/order/src/store.rs", "IAM_ACTIONS"), own(&order::store::IAM_ACTIONS));
    assert_eq!(read("services/order/src/store.rs", "PRODUCT_IAM_ACTIONS"), own(&order::store::PRODUCT_IAM_ACTIONS));
    assert_eq!(read("services/product/src/store.rs", "IAM_ACTIONS"), own(&product::store::IAM_ACTIONS));
}

/// `verify::calls` mirrors the services' tables (the services are crates that do not depend on
/// tenancy): a mirror that differs from its source fails here.
#[test]
fn verify_mirrors_the_services_tables() {
    let services = &tenancy::verify::calls::SERVICES;
    let of =
        |name: &str| services.iter().find(|s| s.service == name).unwrap_or_else(|| panic!("no {name} in SERVICES"));
    assert_eq!(services.len(), 2, "a service was added: mirror its table and check it here");
    assert_eq!(
        of("product").own_table,
        product::store::IAM_ACTIONS,
        "verify::calls mirrors product::store::IAM_ACTIONS"
    );
    assert!(of("product").product_table.is_empty());
    assert_eq!(of("order").own_table, order::store::IAM_ACTIONS, "verify::calls mirrors order::store::IAM_ACTIONS");
    assert_eq!(
        of("order").product_table,
        order::store::PRODUCT_IAM_ACTIONS,
        "verify::calls mirrors order::store::PRODUCT_IAM_ACTIONS"
    );
    // Pooled compute: the vended session's calls per layout, and the pod's own readiness.
    assert_eq!(of("product").session_pool, product::store::ACCESS_IAM_ACTIONS, "mirrors product's ACCESS_IAM_ACTIONS");
    assert!(of("product").session_silo.is_empty(), "the product service has no silo layout");
    assert_eq!(of("product").ready, product::store::READY_IAM_ACTIONS, "mirrors product's READY_IAM_ACTIONS");
    assert_eq!(of("order").session_pool, order::store::POOL_IAM_ACTIONS, "mirrors order's POOL_IAM_ACTIONS");
    assert_eq!(
        of("order").session_silo,
        order::store::SILO_ACCESS_IAM_ACTIONS,
        "mirrors order's SILO_ACCESS_IAM_ACTIONS"
    );
    assert_eq!(of("order").ready, order::store::READY_IAM_ACTIONS, "mirrors order's READY_IAM_ACTIONS");
    // What a pool's pod calls with its own role, which the pool stack grants and verify checks.
    assert_eq!(
        tenancy::compile::pool::VEND_ACTIONS,
        tenant_context::pooled::VENDING_IAM_ACTIONS,
        "the pool role's grant mirrors tenant_context::pooled::VENDING_IAM_ACTIONS"
    );
    assert_eq!(
        tenancy::contract::calls::DIRECTORY_IAM_ACTIONS,
        tenant_context::pooled::DIRECTORY_IAM_ACTIONS,
        "the pool role's directory read mirrors tenant_context::pooled::DIRECTORY_IAM_ACTIONS"
    );
    assert_eq!(
        tenancy::model::naming::TENANT_SESSION_TAG,
        tenant_context::pooled::TENANT_TAG,
        "the access roles read the session tag the pool sets"
    );
}

#[test]
fn every_aws_command_and_tool_of_every_buildspec_is_recorded() {
    use tenancy::buildspec::aws_cli::{AWS_CLI_ACTIONS, TOOL_ACTIONS, cli_calls_of, tools_of};
    let dir = root().join("generated/buildspecs");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 5, "{paths:?}");
    let mut failures = Vec::new();
    let (mut used_commands, mut used_tools) = (BTreeSet::new(), BTreeSet::new());
    println!("buildspec AWS calls:");
    for path in &paths {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let spec: tenancy::buildspec::Buildspec =
            serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let phases = [
            ("install", &spec.phases.install),
            ("pre_build", &spec.phases.pre_build),
            ("build", &spec.phases.build),
            ("post_build", &spec.phases.post_build),
        ];
        for (phase_name, phase) in phases {
            let Some(phase) = phase else { continue };
            for (index, command) in phase.commands.iter().chain(phase.finally.iter().flatten()).enumerate() {
                let at = format!("generated/buildspecs/{name}: {phase_name} command {}", index + 1);
                match cli_calls_of(command) {
                    Ok(calls) => {
                        for call in calls {
                            println!("  {name} {phase_name}: aws {} -> {:?}", call.command, call.actions);
                            used_commands.insert(call.command);
                        }
                    }
                    Err(err) => failures.push(format!("{at}: {err}")),
                }
                match tools_of(command) {
                    Ok(tools) => {
                        for tool in tools {
                            println!("  {name} {phase_name}: {tool}");
                            used_tools.insert(tool);
                        }
                    }
                    Err(err) => failures.push(format!("{at}: {err}")),
                }
            }
        }
    }
    for (command, _) in AWS_CLI_ACTIONS {
        if !used_commands.contains(command) {
            println!("note: AWS_CLI_ACTIONS has `{command}`, which no generated buildspec runs");
        }
    }
    for (tool, ..) in TOOL_ACTIONS {
        if !used_tools.contains(tool) {
            println!("note: TOOL_ACTIONS has `{tool}`, which no generated buildspec runs");
        }
    }
    assert!(used_commands.len() >= 5, "the buildspecs' aws commands were not found: {used_commands:?}");
    assert!(failures.is_empty(), "unrecorded buildspec calls:\n  {}", failures.join("\n  "));
}

// ---------------------------------------------------------------------------------------------
// The scanner on snippets: it finds what a new call would be.

fn scan_snippet(text: &str) -> (Scan, Vec<Gap>, Vec<String>) {
    let scan = scan("snippet.rs", text, sdk());
    let (gaps, unused) = check(&scan);
    (scan, gaps, unused)
}

const UNDECLARED: &str = r##"
use aws_sdk_dynamodb::Client;

/// Every DynamoDB action this store calls.
pub const IAM_ACTIONS: [&str; 1] = ["dynamodb:GetItem"];

async fn drop_it(client: &Client) {
    let _ = client.get_item().table_name("t").send().await;
    // client.delete_item() in a comment is no call, and neither is this: "client.scan()".
    let _ = r#"self.client.put_item()"#;
    let _: Vec<u32> = [1, 2].iter().scan(0, |a, b| Some(*a + b)).collect();
    let _ = client
        .delete_table()
        .table_name("t")
        .send()
        .await;
}

#[cfg(test)]
mod tests {
    async fn setup(client: &aws_sdk_dynamodb::Client) {
        let _ = client.create_table().send().await;
    }
}
"##;

#[test]
fn an_undeclared_call_is_found_with_its_line_action_and_fix() {
    let (scan, gaps, unused) = scan_snippet(UNDECLARED);
    let methods: Vec<&str> = scan.calls.iter().map(|c| c.method.as_str()).collect();
    assert_eq!(methods, ["get_item", "delete_table"], "{scan:?}");
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    let gap = &gaps[0];
    assert_eq!((gap.line, gap.method.as_str(), gap.action.as_str()), (13, "delete_table", "dynamodb:DeleteTable"));
    let message = gap.to_string();
    assert!(message.starts_with("snippet.rs:13: `delete_table()` needs dynamodb:DeleteTable"), "{message}");
    assert!(message.contains("declare it in IAM_ACTIONS in snippet.rs (line 5)"), "{message}");
    assert!(unused.is_empty(), "{unused:?}");
}

#[test]
fn a_declared_action_no_call_needs_is_a_warning() {
    let (_, gaps, unused) = scan_snippet(
        r#"use aws_sdk_ecr::Client;
pub const IAM_ACTIONS: [&str; 2] = ["ecr:DescribeImages", "ecr:PutImage"];
async fn f(client: Client) { client.describe_images().send().await.ok(); }"#,
    );
    assert!(gaps.is_empty(), "{gaps:?}");
    assert_eq!(unused, ["snippet.rs:2: IAM_ACTIONS declares ecr:PutImage, which no call of the file needs"]);
}

#[test]
fn s3_calls_map_to_the_actions_s3_checks() {
    let (scan, ..) = scan_snippet(
        r#"async fn f(s3: &aws_sdk_s3::Client) {
    s3.head_object().bucket("b").key("k").send().await.ok();
    s3.head_object().bucket("b").key("k").version_id("v").send().await.ok();
    s3.get_object().bucket("b").key("k").set_version_id(Some("v".into())).send().await.ok();
    s3.list_objects_v2().bucket("b").send().await.ok();
    s3.list_object_versions().bucket("b").send().await.ok();
    s3.put_object().bucket("b").key("k").tagging("a=b").send().await.ok();
}"#,
    );
    let actions: Vec<Vec<String>> = scan.calls.iter().map(|c| c.actions.clone()).collect();
    assert_eq!(
        actions,
        [
            vec!["s3:GetObject"],
            vec!["s3:GetObjectVersion"],
            vec!["s3:GetObjectVersion"],
            vec!["s3:ListBucket"],
            vec!["s3:ListBucketVersions"],
            vec!["s3:PutObject", "s3:PutObjectTagging"],
        ]
    );
    // An S3 operation nobody has looked up is a problem, not a guess.
    let (scan, gaps, _) = scan_snippet(
        "async fn f(s3: &aws_sdk_s3::Client) { s3.get_bucket_accelerate_configuration().send().await.ok(); }",
    );
    assert!(gaps.is_empty() && scan.calls.is_empty());
    assert!(scan.problems[0].contains("S3_ONE_TO_ONE"), "{:?}", scan.problems);
}

#[test]
fn a_transaction_needs_the_actions_of_its_items() {
    let (scan, ..) = scan_snippet(
        r#"use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{ConditionCheck, Put, TransactWriteItem};
async fn f(client: &Client) {
    let check = ConditionCheck::builder().table_name("t").build().unwrap();
    let put = Put::builder().table_name("t").build().unwrap();
    let items = vec![TransactWriteItem::builder().condition_check(check).build(), TransactWriteItem::builder().put(put).build()];
    client.transact_write_items().set_transact_items(Some(items)).send().await.ok();
}"#,
    );
    assert_eq!(scan.calls.len(), 1);
    assert_eq!(scan.calls[0].actions, ["dynamodb:PutItem", "dynamodb:ConditionCheckItem"]);
}

#[test]
fn a_client_from_elsewhere_is_found_when_its_call_is_sent() {
    let (scan, gaps, _) = scan_snippet(
        r#"async fn f(configs: &Configs) {
    super::client(configs).await.list_object_versions().bucket("b").send().await.ok();
    let _ = values.iter().copied().collect::<Vec<_>>();
}"#,
    );
    let found: Vec<(&str, &str)> = scan.calls.iter().map(|c| (c.service.as_str(), c.method.as_str())).collect();
    assert_eq!(found, [("s3", "list_object_versions")]);
    assert!(gaps[0].fix.contains("it has no table"), "{gaps:?}");
}

#[test]
fn an_operation_two_clients_have_is_told_apart_by_its_receiver() {
    let (scan, ..) = scan_snippet(
        r#"async fn f(config: &SdkConfig, pair: (aws_sdk_dynamodb::Client, aws_sdk_ecr::Client)) {
    let dynamodb = aws_sdk_dynamodb::Client::new(config);
    let registry = aws_sdk_ecr::Client::new(config);
    dynamodb.tag_resource().send().await.ok();
    registry.tag_resource().send().await.ok();
    pair.0.tag_resource().send().await.ok();
}
use aws_sdk_ecr::{Client, types::ImageIdentifier};
struct Registry { client: Client }
async fn g(registry: &Registry) { registry.client.tag_resource().send().await.ok(); }"#,
    );
    let found: Vec<Vec<String>> = scan.calls.iter().map(|c| c.actions.clone()).collect();
    assert_eq!(found, [vec!["dynamodb:TagResource"], vec!["ecr:TagResource"], vec!["ecr:TagResource"]]);
    assert_eq!(scan.problems.len(), 1, "{:?}", scan.problems);
    assert!(scan.problems[0].starts_with("snippet.rs:6: `tag_resource` is an operation of"), "{:?}", scan.problems);
}

#[test]
fn waiters_are_the_operations_they_poll() {
    let (scan, ..) = scan_snippet(
        r#"use aws_sdk_cloudformation::{Client, client::Waiters};
async fn f(client: &Client) { client.wait_until_stack_create_complete().stack_name("s").wait(std::time::Duration::from_secs(60)).await.ok(); }"#,
    );
    assert_eq!(scan.calls.len(), 1, "{scan:?}");
    assert_eq!(scan.calls[0].actions, ["cloudformation:DescribeStacks"]);
}

#[test]
fn the_sdk_operations_are_read_from_the_crates() {
    let sdk = sdk();
    assert_eq!(sdk.operation("cloudformation", "describe_stacks").map(String::as_str), Some("DescribeStacks"));
    assert_eq!(sdk.operation("s3", "list_objects_v2").map(String::as_str), Some("ListObjectsV2"));
    assert_eq!(
        sdk.operation("s3", "put_bucket_ownership_controls").map(String::as_str),
        Some("PutBucketOwnershipControls")
    );
    assert_eq!(sdk.operation("dynamodb", "transact_write_items").map(String::as_str), Some("TransactWriteItems"));
    assert_eq!(sdk.operation("codebuild", "batch_get_builds").map(String::as_str), Some("BatchGetBuilds"));
    assert!(sdk.operation("dynamodb", "send").is_none());
    assert!(sdk.clients["s3"].len() > 90, "{}", sdk.clients["s3"].len());
    // Every exception names an operation that exists.
    for (service, method, _) in EXCEPTIONS {
        assert!(sdk.operation(service, method).is_some(), "EXCEPTIONS: {service} {method} is no operation");
    }
    for method in S3_ONE_TO_ONE {
        assert!(sdk.operation("s3", method).is_some(), "S3_ONE_TO_ONE: {method} is no operation");
    }
}

/// The real registry provider with one call added, as a change to it would add it.
#[test]
fn a_call_added_to_a_real_provider_fails_with_the_fix() {
    let text = std::fs::read_to_string(root().join("crates/tenancy-apply/src/aws/registry.rs")).unwrap();
    let anchor = "let client = Client::new(&self.configs.get(&self.region).await);";
    assert!(text.contains(anchor), "crates/tenancy-apply/src/aws/registry.rs changed: update this test's anchor");
    let changed =
        text.replacen(anchor, &format!("{anchor}\n        let _ = client.delete_repository().send().await;"), 1);
    let line = changed.lines().position(|l| l.contains("delete_repository")).unwrap() + 1;
    let scanned = scan("crates/tenancy-apply/src/aws/registry.rs", &changed, sdk());
    let table = scanned.tables.iter().find(|t| t.name == "REGISTRY_IAM_ACTIONS").expect("the provider's table").line;
    let (gaps, _) = check(&scanned);
    let messages: Vec<String> = gaps.iter().map(Gap::to_string).collect();
    assert_eq!(
        messages,
        [format!(
            "crates/tenancy-apply/src/aws/registry.rs:{line}: `delete_repository()` needs ecr:DeleteRepository, which no \
             IAM_ACTIONS table for the file declares: declare it in REGISTRY_IAM_ACTIONS in src/contract/calls.rs (line {table})"
        )]
    );
}
