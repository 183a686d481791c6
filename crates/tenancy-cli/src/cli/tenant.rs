//! `tenancy tenant add|set-tier|suspend|activate|remove`: edits a blueprint's tenants directory,
//! one file per tenant, so that concurrent sign-ups never touch the same file. Every edit is
//! validated with the whole blueprint before anything is written: a bad one prints the usual
//! diagnostics and exits 2, and the directory is untouched. Every other byte (and comment) stays
//! as it was.
//!
//! Asking for what is already so (adding the same tenant again, suspending a suspended one)
//! writes nothing and succeeds, so that the onboarding job can rerun an edit after a crash.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use tenancy::blueprint::{self, BlueprintError, TenantFile, doc::TenantDoc};

use super::EXIT_INVALID;

/// The tenant commands.
#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Add a tenant: writes `<dir>/<id>.yaml`.
    Add(AddArgs),
    /// Move a tenant to another tier: edits the `tier:` line of its file.
    SetTier(SetTierArgs),
    /// Suspend a tenant: adds `suspended: true` to its file. Once applied, its ingress answers
    /// 403 to every request; its stack, data, users and deployments are kept.
    Suspend(IdArgs),
    /// Serve a suspended tenant again: removes the `suspended:` line of its file.
    Activate(IdArgs),
    /// Remove a tenant: deletes its file (apply with --allow-delete removes what it deployed).
    Remove(IdArgs),
}

/// Where the blueprint is (its tenants directory is read from it).
#[derive(Debug, Args)]
pub struct Blueprint {
    /// The blueprint, whose `tenants` names a directory.
    #[arg(long, short, default_value = "blueprints/reference.yaml")]
    pub blueprint: PathBuf,
}

/// `tenancy tenant add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// The tenant id (a DNS label).
    pub id: String,
    /// The display name.
    #[arg(long)]
    pub name: String,
    /// The tier's name.
    #[arg(long)]
    pub tier: String,
    /// The tenant admin's email.
    #[arg(long)]
    pub admin_email: String,
    #[command(flatten)]
    pub blueprint: Blueprint,
}

/// `tenancy tenant set-tier`.
#[derive(Debug, Args)]
pub struct SetTierArgs {
    /// The tenant id.
    pub id: String,
    /// The new tier's name.
    pub tier: String,
    #[command(flatten)]
    pub blueprint: Blueprint,
}

/// The commands that name one tenant and nothing else.
#[derive(Debug, Args)]
pub struct IdArgs {
    /// The tenant id.
    pub id: String,
    #[command(flatten)]
    pub blueprint: Blueprint,
}

/// What an edit does to the directory, once validated.
enum Change {
    Write(TenantFile),
    Delete(String),
    /// Already as asked: nothing to write.
    None(String),
}

/// Runs one tenant command.
pub fn run(command: TenantCommand) -> anyhow::Result<ExitCode> {
    let path = match &command {
        TenantCommand::Add(a) => &a.blueprint.blueprint,
        TenantCommand::SetTier(a) => &a.blueprint.blueprint,
        TenantCommand::Suspend(a) | TenantCommand::Activate(a) | TenantCommand::Remove(a) => &a.blueprint.blueprint,
    };
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).with_context(|| format!("while reading {file}"))?;
    let Some(dir) = tenants_dir(&text) else {
        return refuse(
            &format!("{file} lists its tenants inline"),
            "move them to a directory: one `<id>.yaml` per tenant, and `tenants: tenants/` in the blueprint",
        );
    };
    let dir = path.parent().unwrap_or(Path::new("")).join(dir);
    let mut files = match blueprint::read_tenant_dir(&dir) {
        Ok(files) => files,
        Err(diagnostics) => return invalid(diagnostics.iter().map(ToString::to_string).collect()),
    };
    let own = |id: &str| dir.join(format!("{id}.yaml")).display().to_string();
    // Every command but `add` edits a tenant that must exist.
    let current = match &command {
        TenantCommand::Add(_) => String::new(),
        TenantCommand::SetTier(SetTierArgs { id, .. })
        | TenantCommand::Suspend(IdArgs { id, .. })
        | TenantCommand::Activate(IdArgs { id, .. })
        | TenantCommand::Remove(IdArgs { id, .. }) => match files.iter().find(|f| f.path == own(id)) {
            Some(file) => file.text.clone(),
            None => {
                return refuse(
                    &format!("no tenant `{id}` ({} does not exist)", own(id)),
                    "check the id, or `tenancy tenant add` it first",
                );
            }
        },
    };
    let change = match &command {
        TenantCommand::Add(a) => {
            let path = own(&a.id);
            let doc = TenantDoc {
                id: a.id.clone(),
                name: a.name.clone(),
                tier: a.tier.clone(),
                admin_email: a.admin_email.clone(),
                suspended: false,
            };
            let text = tenancy::yaml::to_string(&doc).context("while writing the tenant's file")?;
            match files.iter().find(|f| f.path == path) {
                None => Change::Write(TenantFile { path, text }),
                Some(current) if same_tenant(&current.text, &doc) => {
                    Change::None(format!("tenant `{}` exists as asked ({path})", doc.id))
                }
                Some(_) => {
                    return refuse(
                        &format!("tenant `{}` exists with other settings ({path})", doc.id),
                        "choose another id, or edit its file",
                    );
                }
            }
        }
        TenantCommand::SetTier(a) => {
            let path = own(&a.id);
            match set_field(&current, "tier", Some(&a.tier)) {
                Some(text) if text == current => Change::None(format!("tenant `{}` is of tier `{}`", a.id, a.tier)),
                Some(text) => Change::Write(TenantFile { path, text }),
                None => {
                    return refuse(
                        &format!("{path} has no `tier:` line to edit in place"),
                        "write the tier as `tier: <name>` on a line of its own",
                    );
                }
            }
        }
        TenantCommand::Suspend(a) => {
            let text = set_field(&current, "suspended", Some("true"))
                .unwrap_or_else(|| with_line(&current, "suspended: true"));
            if suspended(&text) == suspended(&current) {
                Change::None(format!("tenant `{}` is suspended", a.id))
            } else {
                Change::Write(TenantFile { path: own(&a.id), text })
            }
        }
        TenantCommand::Activate(a) => match set_field(&current, "suspended", None) {
            Some(text) if suspended(&current) => Change::Write(TenantFile { path: own(&a.id), text }),
            _ => Change::None(format!("tenant `{}` is served", a.id)),
        },
        TenantCommand::Remove(a) => Change::Delete(own(&a.id)),
    };
    if let Change::None(already) = &change {
        eprintln!("{already}; nothing to change");
        return Ok(ExitCode::SUCCESS);
    }
    let before = files.clone();
    // The edit as the blueprint will read it, validated whole before anything is written.
    match &change {
        Change::Write(new) => match files.iter_mut().find(|f| f.path == new.path) {
            Some(existing) => existing.text = new.text.clone(),
            None => {
                files.push(new.clone());
                files.sort_by(|a, b| a.path.cmp(&b.path));
            }
        },
        Change::Delete(path) => files.retain(|f| &f.path != path),
        Change::None(_) => {}
    }
    let edited = files.clone();
    // The web apps are read as `load_file` reads them: the edit is validated whole.
    let base = Path::new(&file).parent().unwrap_or(Path::new("")).to_path_buf();
    let web = move |dir: &str| blueprint::read_web_dir(&base.join(dir)).map(Some);
    match blueprint::load_with_sites(&file, &text, Some(&move |_: &str| Ok(edited.clone())), Some(&web)) {
        Ok(after) => {
            // What the new tier keeps elsewhere: said before anything moves (README, "Moving a
            // tenant between tiers").
            if let TenantCommand::SetTier(a) = &command {
                let old =
                    blueprint::load_with_sites(&file, &text, Some(&move |_: &str| Ok(before.clone())), Some(&web));
                let tenant = old
                    .as_ref()
                    .ok()
                    .and_then(|p| Some((p.tenants().iter().find(|t| t.id.as_str() == a.id)?.clone(), p)));
                let tier = after.tiers().iter().find(|t| t.name.as_str() == a.tier);
                if let (Some((tenant, platform)), Some(tier)) = (tenant, tier) {
                    for note in tenancy::model::tier_move(platform, &tenant, tier) {
                        eprintln!("note: {note}");
                    }
                }
            }
        }
        Err(BlueprintError::Invalid(diagnostics)) => return invalid(vec![diagnostics.to_string()]),
        Err(err) => return Err(err.into()),
    }
    match change {
        Change::Write(new) => {
            write_atomically(Path::new(&new.path), &new.text)?;
            eprintln!("wrote {}", new.path);
        }
        Change::Delete(path) => {
            std::fs::remove_file(&path).with_context(|| format!("while removing {path}"))?;
            eprintln!("removed {path}");
        }
        Change::None(_) => {}
    }
    Ok(ExitCode::SUCCESS)
}

/// The directory a blueprint's `tenants` names, if it names one.
fn tenants_dir(text: &str) -> Option<String> {
    let value: serde_yaml::Value = serde_yaml::from_str(text).ok()?;
    value.get("tenants")?.as_str().map(str::to_owned)
}

/// `text` with the value of its top-level `key:` line replaced by `value` (or the line removed,
/// for `None`), everything else (a comment after the value included) kept byte for byte;
/// `None` when there is no such line.
fn set_field(text: &str, key: &str, value: Option<&str>) -> Option<String> {
    let prefix = format!("{key}:");
    let mut out = String::with_capacity(text.len() + value.map_or(0, str::len));
    let mut done = false;
    for line in text.split_inclusive('\n') {
        if !done && let Some(rest) = line.strip_prefix(&prefix) {
            done = true;
            let Some(value) = value else { continue };
            let value_start = rest.len() - rest.trim_start().len();
            let value_len = rest.trim_start().find([' ', '\t', '\r', '\n']).unwrap_or(rest.trim_start().len());
            out.push_str(&prefix);
            out.push_str(&rest[..value_start]);
            out.push_str(value);
            out.push_str(&rest[value_start + value_len..]);
        } else {
            out.push_str(line);
        }
    }
    done.then_some(out)
}

/// `text` with `line` added at its end, on a line of its own.
fn with_line(text: &str, line: &str) -> String {
    let separator = if text.is_empty() || text.ends_with('\n') { "" } else { "\n" };
    format!("{text}{separator}{line}\n")
}

/// Whether a tenant file (already validated by the loader) says `suspended: true`.
fn suspended(text: &str) -> bool {
    serde_yaml::from_str::<TenantDoc>(text).is_ok_and(|doc| doc.suspended)
}

/// Whether a tenant file holds exactly `doc` (comments and layout aside).
fn same_tenant(text: &str, doc: &TenantDoc) -> bool {
    serde_yaml::from_str::<TenantDoc>(text).is_ok_and(|found| {
        (&found.id, &found.name, &found.tier, &found.admin_email, found.suspended)
            == (&doc.id, &doc.name, &doc.tier, &doc.admin_email, doc.suspended)
    })
}

/// Writes `text` to `path` through a temporary file in the same directory and a rename, so a
/// reader (or a concurrent job) sees the old file or the new one, never half of one.
fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut temp = tempfile::NamedTempFile::new_in(dir).with_context(|| format!("while writing {}", path.display()))?;
    std::io::Write::write_all(&mut temp, text.as_bytes())?;
    temp.persist(path).with_context(|| format!("while writing {}", path.display()))?;
    Ok(())
}

fn refuse(message: &str, help: &str) -> anyhow::Result<ExitCode> {
    invalid(vec![format!("error: {message}\n   = help: {help}")])
}

fn invalid(lines: Vec<String>) -> anyhow::Result<ExitCode> {
    for line in lines {
        eprintln!("{line}");
    }
    eprintln!("nothing was written");
    Ok(ExitCode::from(EXIT_INVALID))
}

#[cfg(test)]
mod tests {
    use super::{set_field, with_line};

    #[test]
    fn set_field_edits_the_value_and_keeps_every_other_byte() {
        let set_tier = |text, tier| set_field(text, "tier", Some(tier));
        let text = "# Globex, signed up 2026-11-30\nid: globex\ntier: premium  # upgraded in November\nname: Globex\n";
        assert_eq!(
            set_tier(text, "platinum").unwrap(),
            "# Globex, signed up 2026-11-30\nid: globex\ntier: platinum  # upgraded in November\nname: Globex\n"
        );
        assert_eq!(set_tier("id: x\ntier: basic", "standard").unwrap(), "id: x\ntier: standard");
        assert_eq!(set_tier("{id: x, tier: basic}\n", "standard"), None);
        assert_eq!(set_tier("id: x\n  tier: nested\n", "standard"), None);
        // `tiers:` is another key, not `tier:`.
        assert_eq!(set_field("tiers: 1\n", "tier", Some("x")), None);
    }

    #[test]
    fn removing_a_field_drops_its_line_only() {
        let text = "id: x # comment\nsuspended: true # since May\nname: X\n";
        assert_eq!(set_field(text, "suspended", None).unwrap(), "id: x # comment\nname: X\n");
        assert_eq!(set_field("id: x\n", "suspended", None), None);
        assert_eq!(with_line("id: x", "suspended: true"), "id: x\nsuspended: true\n");
        assert_eq!(with_line("id: x\n", "suspended: true"), "id: x\nsuspended: true\n");
    }
}
