//! Blueprints: the YAML form of a platform, its JSON Schema, and diagnostics that point at
//! `file:line:column`.
//!
//! Loading is strict: unknown fields are errors, every problem in the file is reported at once,
//! and a document that expands aliases beyond a bound (an "alias bomb") is refused. This module
//! reads no files itself except in [`load_file`]; [`load_str`] is pure.

mod convert;
mod diagnostic;
pub mod doc;
mod sample;
mod source_map;

use std::path::Path;

pub use diagnostic::{Diagnostic, Diagnostics};
pub use doc::schema_json;
pub use sample::{REFERENCE_TIERS, sample};
pub use source_map::{Position, SourceMap};

use crate::model::{FieldPath, Platform, Problem, WebSources};

mod web_dir;
pub use web_dir::read_web_dir;

/// The reference platform's blueprint, compiled into the binary so the main job runs anywhere.
/// Its tenants are files (`tenants: tenants/`): [`REFERENCE_TENANTS`], read by
/// [`load_reference`].
pub const REFERENCE: &str = include_str!("../../blueprints/reference.yaml");

/// The reference's tenant files (`blueprints/tenants/<id>.yaml`), compiled in beside it.
pub const REFERENCE_TENANTS: [(&str, &str); 4] = [
    ("acme.yaml", include_str!("../../blueprints/tenants/acme.yaml")),
    ("globex.yaml", include_str!("../../blueprints/tenants/globex.yaml")),
    ("initech.yaml", include_str!("../../blueprints/tenants/initech.yaml")),
    ("umbrella.yaml", include_str!("../../blueprints/tenants/umbrella.yaml")),
];

/// The reference platform as compiled into the binary: [`REFERENCE`] with its tenant files.
///
/// ```
/// let platform = tenancy::blueprint::load_reference().unwrap();
/// assert_eq!(platform.tenants().len(), 4);
/// ```
pub fn load_reference() -> Result<Platform, BlueprintError> {
    let files = |dir: &str| -> Result<Vec<TenantFile>, Vec<Diagnostic>> {
        let dir = if dir.ends_with('/') { dir.to_owned() } else { format!("{dir}/") };
        Ok(REFERENCE_TENANTS
            .iter()
            .map(|(name, text)| TenantFile { path: format!("{dir}{name}"), text: (*text).to_owned() })
            .collect())
    };
    let web = |_: &str| Ok(Some(reference_web()));
    load_with_sites("<built-in reference.yaml>", REFERENCE, Some(&files), Some(&web))
}

mod reference_web {
    include!(concat!(env!("OUT_DIR"), "/reference_web.rs"));
}

/// The reference's web apps as compiled into the binary (`build.rs`): the files its sites'
/// builds read, so that the built-in reference plans the same site steps as the repository's.
fn reference_web() -> WebSources {
    WebSources::new(
        reference_web::REFERENCE_WEB.iter().map(|(path, bytes)| ((*path).to_owned(), crate::plan::hex_digest(bytes))),
    )
}

/// The largest blueprint read, far above any real fleet (10,000 tenants take about 1.5 MB).
pub const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// Why a blueprint could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum BlueprintError {
    /// The blueprint file could not be read: missing, unreadable, or its size unknown.
    #[error("cannot read blueprint {file}")]
    Read {
        /// The blueprint's path, as given to [`load_file`].
        file: String,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The file was read but is no valid blueprint: every problem found, each at its line and column.
    #[error("{0}")]
    Invalid(Diagnostics),
}

/// Reads and validates the blueprint at `path`, and, when its `tenants` names a directory, the
/// tenant files in it (relative to the blueprint's directory).
pub fn load_file(path: &Path) -> Result<Platform, BlueprintError> {
    let file = path.display().to_string();
    let text = read_text(path, &file)?;
    let base = path.parent().unwrap_or(Path::new("")).to_path_buf();
    load_with_sites(
        &file,
        &text,
        Some(&|dir: &str| read_tenant_dir(&base.join(dir))),
        Some(&|dir: &str| read_web_dir(&base.join(dir)).map(Some)),
    )
}

/// Validates blueprint `text`; `file` names it in diagnostics. A blueprint whose tenants are in
/// a directory needs [`load_file`] (or [`load_with`]), which can read it.
pub fn load_str(file: &str, text: &str) -> Result<Platform, BlueprintError> {
    load_with(file, text, None)
}

/// One tenant file of a blueprint whose `tenants` names a directory: its path, as diagnostics
/// show it, and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantFile {
    /// The file's path (the directory joined with `<id>.yaml`).
    pub path: String,
    /// The file's text: one tenant's mapping.
    pub text: String,
}

/// Reads the directory of tenant files a blueprint names: every `*.yaml` in it, by name; hidden
/// files (`.gitkeep`) are skipped, and anything else is a problem (a `.yml` would otherwise be
/// silently left out of the fleet).
pub fn read_tenant_dir(dir: &Path) -> Result<Vec<TenantFile>, Vec<Diagnostic>> {
    let shown = dir.display().to_string();
    let problem = |file: &str, message: String, help: &str| Diagnostic::new(file, Position::START, message, help);
    let entries = std::fs::read_dir(dir).map_err(|e| {
        vec![problem(
            &shown,
            format!("cannot read the tenants directory: {e}"),
            "create it, or fix `tenants` in the blueprint",
        )]
    })?;
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| {
            vec![problem(&shown, format!("cannot list the tenants directory: {e}"), "check its permissions")]
        })?;
        paths.push(entry.path());
    }
    paths.sort();
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        let file = path.display().to_string();
        if name.starts_with('.') {
            continue;
        }
        if !name.ends_with(".yaml") || !path.is_file() {
            problems.push(problem(
                &file,
                format!("`{name}` is not a tenant file"),
                "a tenant file is `<tenant id>.yaml`; move anything else out of the tenants directory",
            ));
            continue;
        }
        match read_text(&path, &file) {
            Ok(text) => files.push(TenantFile { path: file, text }),
            Err(BlueprintError::Invalid(d)) => problems.extend(d.iter().cloned()),
            Err(BlueprintError::Read { source, .. }) => {
                problems.push(problem(&file, format!("cannot read: {source}"), "check the file's permissions"))
            }
        }
    }
    if problems.is_empty() { Ok(files) } else { Err(problems) }
}

/// A file's text, within [`MAX_BYTES`] and UTF-8.
fn read_text(path: &Path, file: &str) -> Result<String, BlueprintError> {
    let read_error = |source| BlueprintError::Read { file: file.to_owned(), source };
    let size = std::fs::metadata(path).map_err(read_error)?.len();
    if size > MAX_BYTES {
        return Err(BlueprintError::Invalid(Diagnostics::new(vec![Diagnostic::new(
            file,
            Position::START,
            format!("the blueprint is {size} bytes, more than the limit of {MAX_BYTES}"),
            "split the fleet into several platforms, or check that this is the right file",
        )])));
    }
    let bytes = std::fs::read(path).map_err(read_error)?;
    String::from_utf8(bytes).map_err(|err| {
        BlueprintError::Invalid(Diagnostics::new(vec![Diagnostic::new(
            file,
            Position::START,
            format!("the blueprint is not UTF-8 text (invalid byte at offset {})", err.utf8_error().valid_up_to()),
            "save the file as UTF-8",
        )]))
    })
}

/// How [`load_with`] reads a tenants directory: given the directory as the blueprint names it,
/// the tenant files in it, or the problems reading it.
pub type TenantDirReader<'a> = &'a dyn Fn(&str) -> Result<Vec<TenantFile>, Vec<Diagnostic>>;

/// Validates blueprint `text` (named `file` in diagnostics). When its `tenants` names a
/// directory, `tenant_dir` reads it (without one, that is a problem); each tenant file is
/// validated as an item of the list, and its problems are reported in that file, at their
/// place in it. IO stays with the caller: [`load_file`] reads from disk, `tenancy tenant`
/// validates an edit before it writes it.
pub fn load_with(file: &str, text: &str, tenant_dir: Option<TenantDirReader<'_>>) -> Result<Platform, BlueprintError> {
    load_with_sites(file, text, tenant_dir, None)
}

/// How [`load_with_sites`] reads the web apps' directory the blueprint's `sites` names: their
/// sources, `None` when they cannot be had here (the platform then builds no site), or the
/// problems reading them.
pub type WebDirReader<'a> = &'a dyn Fn(&str) -> Result<Option<WebSources>, Vec<Diagnostic>>;

/// [`load_with`], with a reader for the directory of web apps the blueprint's `sites` names
/// (without one, a blueprint naming it is a problem).
pub fn load_with_sites(
    file: &str,
    text: &str,
    tenant_dir: Option<TenantDirReader<'_>>,
    web_dir: Option<WebDirReader<'_>>,
) -> Result<Platform, BlueprintError> {
    let invalid = |diagnostics: Vec<Diagnostic>| BlueprintError::Invalid(Diagnostics::new(diagnostics));
    let mut value = parse_document(
        file,
        text,
        "the blueprint is empty",
        "start from blueprints/reference.yaml: a mapping with platform, cluster, services, tiers and tenants",
    )
    .map_err(|d| invalid(vec![*d]))?;
    let tenants_at = FieldPath::root().key("tenants");
    let mut tenant_files = None;
    let mut problems_in_files = Vec::new();
    if let Some(dir) = value.get("tenants").and_then(serde_yaml::Value::as_str).map(str::to_owned) {
        let Some(read) = tenant_dir else {
            let message = format!("`tenants` names a directory (`{dir}`), which a blueprint given as text cannot read");
            let help = "load the blueprint from its file (`blueprint::load_file`, or `--blueprint FILE`)";
            let position = SourceMap::build(text).value(&tenants_at);
            return Err(invalid(vec![Diagnostic::new(file, position, message, help).at_field(tenants_at)]));
        };
        let files = read(&dir).map_err(invalid)?;
        let mut items = Vec::new();
        let mut kept = Vec::new();
        for tenant in files {
            match parse_document(
                &tenant.path,
                &tenant.text,
                "the tenant file is empty",
                "write the tenant's id, name, tier and adminEmail",
            ) {
                Err(d) => problems_in_files.push(*d),
                Ok(item) => {
                    let stem = Path::new(&tenant.path).file_stem().and_then(|s| s.to_str()).unwrap_or_default();
                    if let Some(id) = item.get("id").and_then(serde_yaml::Value::as_str).filter(|id| *id != stem) {
                        let at = FieldPath::root().key("id");
                        let position = SourceMap::build(&tenant.text).value(&at);
                        let message = format!("the tenant's id is `{id}` but its file is named `{stem}.yaml`");
                        let help = format!("name the file `{id}.yaml`, or change the id to `{stem}`");
                        problems_in_files.push(Diagnostic::new(&tenant.path, position, message, help).at_field(at));
                    }
                    items.push(item);
                    kept.push(tenant);
                }
            }
        }
        value["tenants"] = serde_yaml::Value::Sequence(items);
        tenant_files = Some(kept);
    }
    let sites_at = FieldPath::root().key("sites");
    let mut sites = None;
    if let Some(dir) = value.get("sites").and_then(serde_yaml::Value::as_str) {
        let Some(read) = web_dir else {
            let message = format!("`sites` names a directory (`{dir}`), which a blueprint given as text cannot read");
            let help = "load the blueprint from its file (`blueprint::load_file`, or `--blueprint FILE`)";
            let position = SourceMap::build(text).value(&sites_at);
            return Err(invalid(vec![Diagnostic::new(file, position, message, help).at_field(sites_at)]));
        };
        match read(dir) {
            Ok(found) => sites = found,
            Err(problems) => problems_in_files.extend(problems),
        }
    }
    match convert::convert(&value, sites) {
        Ok(platform) if problems_in_files.is_empty() => Ok(platform),
        Ok(_) => Err(invalid(problems_in_files)),
        Err(problems) => {
            let map = SourceMap::build(text);
            let maps: Vec<SourceMap> = tenant_files.iter().flatten().map(|t| SourceMap::build(&t.text)).collect();
            let mut diagnostics = problems_in_files;
            for problem in problems {
                let placed = match (tenant_files.as_ref(), tenant_index(&problem.path)) {
                    (Some(files), Some(i)) if i < files.len() => {
                        place(&files[i].path, &maps[i], in_tenant_file(problem, i))
                    }
                    _ => place(file, &map, problem),
                };
                diagnostics.push(placed);
            }
            Err(invalid(diagnostics))
        }
    }
}

/// Parses one YAML document, or the diagnostic of its syntax error or its emptiness.
fn parse_document(file: &str, text: &str, empty: &str, empty_help: &str) -> Result<serde_yaml::Value, Box<Diagnostic>> {
    let value: serde_yaml::Value = match serde_yaml::from_str(text) {
        Ok(value) => value,
        Err(err) => {
            let position =
                err.location().map(|l| Position { line: l.line(), column: l.column() }).unwrap_or(Position::START);
            let message = strip_location(&err.to_string());
            let help = if message.contains("repetition limit") || message.contains("recursion limit") {
                "the document expands YAML aliases or nests too deeply; write the values out instead of aliasing them"
            } else {
                "fix the YAML syntax at this place"
            };
            return Err(Box::new(Diagnostic::new(file, position, format!("not valid YAML: {message}"), help)));
        }
    };
    if value.is_null() {
        return Err(Box::new(Diagnostic::new(file, Position::START, empty, empty_help)));
    }
    Ok(value)
}

/// The tenant a problem is about, when its path starts `tenants[i]`.
fn tenant_index(path: &FieldPath) -> Option<usize> {
    match path.segments() {
        [crate::model::Segment::Key(list), crate::model::Segment::Index(i), ..] if list == "tenants" => Some(*i),
        _ => None,
    }
}

/// A problem of tenant `i`, with its paths relative to that tenant's own file (a related place
/// in another file is dropped: a diagnostic's note points into its own file).
fn in_tenant_file(mut problem: Problem, i: usize) -> Problem {
    let item = FieldPath::root().key("tenants").index(i);
    problem.related = problem.related.as_ref().and_then(|r| r.strip_prefix(&item));
    problem.path = problem.path.strip_prefix(&item).unwrap_or(problem.path);
    problem
}

/// A platform from the blueprint's wire types built in Rust ([`doc::BlueprintDoc`]), which
/// reads no files (a `sites` directory is not read, so the platform builds no site): every
/// problem at once, each at its field path, as the YAML path reports them, where building the
/// model's own types one `parse(..)?` at a time stops at the first bad value.
///
/// ```
/// use tenancy::blueprint::doc::{BlueprintDoc, TenantDoc, TenantsDoc};
/// let mut doc: BlueprintDoc = serde_yaml::from_str(tenancy::blueprint::REFERENCE)?;
/// doc.platform.name = "Not A Name".into();
/// let mut acme: TenantDoc = serde_yaml::from_str(tenancy::blueprint::REFERENCE_TENANTS[0].1)?;
/// acme.id = "ACME!".into();
/// doc.tenants = TenantsDoc::List(vec![acme]);
/// let problems = tenancy::blueprint::from_doc(&doc).unwrap_err();
/// let paths: Vec<String> = problems.iter().map(|p| p.path.to_string()).collect();
/// assert_eq!(paths, ["platform.name", "tenants[0].id"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn from_doc(doc: &doc::BlueprintDoc) -> Result<Platform, crate::model::Problems> {
    let value = serde_yaml::to_value(doc).expect("the wire types serialize");
    convert::convert(&value, None)
        .map_err(|problems| crate::model::Problems::check(problems).expect_err("a conversion that fails has problems"))
}

/// Places a problem in the file: at its key or its value, as the problem says.
fn place(file: &str, map: &SourceMap, problem: Problem) -> Diagnostic {
    let position = match problem.anchor {
        crate::model::Anchor::Key => map.key(&problem.path),
        crate::model::Anchor::Value => map.value(&problem.path),
    };
    let related = problem.related.as_ref().map(|r: &FieldPath| map.value(r));
    Diagnostic {
        file: file.to_owned(),
        position,
        path: Some(problem.path),
        message: problem.message,
        help: problem.help,
        related,
    }
}

/// yaml_serde appends " at line L column C"; the diagnostic shows the place itself.
fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}
