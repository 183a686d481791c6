//! Stacks through change sets: create or update, wait, summarize (add / modify / remove and
//! replacement), detect "no changes", execute, wait for a terminal status, capture outputs.
//! A stack left in ROLLBACK_COMPLETE (a failed first creation) is reported, and recreated only
//! when allowed. Templates over 51,200 bytes go through the artifacts bucket.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::types::{
    Capability, ChangeAction, ChangeSetStatus, ChangeSetType, Parameter, StackStatus, Tag,
};

use super::{Configs, sdk_error};
use crate::provider::{Provider, Removal, StepError, StepOutcome, StepRun};
use tenancy::cfn::limits::INLINE_TEMPLATE_BYTES;
use tenancy::plan::Action;

/// Declared in the core, where `verify` reads it too.
pub use tenancy::contract::calls::STACK_IAM_ACTIONS as IAM_ACTIONS;

/// Whether a stack is on its way somewhere. REVIEW_IN_PROGRESS is not: it is what a CREATE
/// change set leaves until someone executes it (an apply killed or throttled between create
/// and execute), and waiting on it hung every later apply.
fn moving(status: &StackStatus) -> bool {
    status.as_str().ends_with("_IN_PROGRESS") && *status != StackStatus::ReviewInProgress
}

/// Declared in the core, where `verify` reads it too.
pub use tenancy::contract::calls::TEMPLATE_IAM_ACTIONS;

/// Declared in the core, where `verify` reads it too.
pub use tenancy::contract::calls::BACKUP_IAM_ACTIONS;

pub struct CloudFormation {
    configs: Configs,
    /// Where templates too large to send inline are uploaded.
    artifacts_bucket: String,
    /// Delete and recreate a stack stuck in ROLLBACK_COMPLETE.
    recreate_failed: bool,
    /// The steps whose change set this apply has sent for execution. A retry that then finds
    /// nothing left to change reports what the earlier attempt did, not "unchanged": a stack
    /// created in this run is never reported unchanged.
    executed: std::sync::Mutex<BTreeMap<tenancy::plan::StepId, Vec<String>>>,
}

impl CloudFormation {
    pub fn new(configs: Configs, artifacts_bucket: String, recreate_failed: bool) -> Self {
        Self { configs, artifacts_bucket, recreate_failed, executed: std::sync::Mutex::default() }
    }

    async fn client(&self, region: &str) -> Client {
        Client::new(&self.configs.get(region).await)
    }

    /// The stack's status, or `None` when it does not exist (or was deleted).
    async fn status(&self, client: &Client, stack: &str) -> Result<Option<(StackStatus, Option<String>)>, StepError> {
        match client.describe_stacks().stack_name(stack).send().await {
            Ok(out) => Ok(out
                .stacks()
                .first()
                .and_then(|s| {
                    s.stack_status().map(|status| (status.clone(), s.stack_status_reason().map(str::to_owned)))
                })
                .filter(|(status, _)| *status != StackStatus::DeleteComplete)),
            Err(err)
                if err
                    .as_service_error()
                    .and_then(|e| e.meta().message())
                    .is_some_and(|m| m.contains("does not exist")) =>
            {
                Ok(None)
            }
            Err(err) => Err(sdk_error(&format!("describe stack {stack}"), err)),
        }
    }

    async fn outputs(&self, client: &Client, stack: &str) -> Result<BTreeMap<String, String>, StepError> {
        let out =
            client.describe_stacks().stack_name(stack).send().await.map_err(|e| sdk_error("describe stack", e))?;
        Ok(out
            .stacks()
            .first()
            .map(|s| {
                s.outputs()
                    .iter()
                    .filter_map(|o| Some((o.output_key()?.to_owned(), o.output_value()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Polls until the stack settles: a terminal status, gone, or REVIEW_IN_PROGRESS (an empty
    /// stack waiting for a change set to be executed, which no amount of waiting moves).
    /// The outcome when the stack already is what the step asks: the outputs, and the changes
    /// an earlier attempt of this run made, if it made them (then it is not "unchanged").
    async fn nothing_left(&self, client: &Client, stack: &str, run: &StepRun) -> Result<StepOutcome, StepError> {
        let outputs = self.outputs(client, stack).await?;
        let earlier = self.executed.lock().expect("not poisoned").get(&run.step.id).cloned();
        Ok(match earlier {
            Some(summary) => StepOutcome { state: None, changed: true, outputs, summary },
            None => StepOutcome { state: None, changed: false, outputs, summary: vec![] },
        })
    }

    async fn wait_stack(
        &self,
        client: &Client,
        stack: &str,
    ) -> Result<Option<(StackStatus, Option<String>)>, StepError> {
        self.configs
            .poll(&format!("stack {stack}"), || async {
                Ok(match self.status(client, stack).await? {
                    Some((status, _)) if moving(&status) => None,
                    settled => Some(settled),
                })
            })
            .await
    }

    /// The reasons of the stack's latest failed resources, for the error message.
    async fn failure_reasons(&self, client: &Client, stack: &str) -> String {
        let Ok(events) = client.describe_stack_events().stack_name(stack).send().await else { return String::new() };
        let reasons: Vec<String> = events
            .stack_events()
            .iter()
            .filter(|e| e.resource_status().is_some_and(|s| s.as_str().ends_with("_FAILED")))
            .take(3)
            .map(|e| {
                format!(
                    "{}: {}",
                    e.logical_resource_id().unwrap_or("?"),
                    e.resource_status_reason().unwrap_or("no reason given")
                )
            })
            .collect();
        reasons.join("; ")
    }

    /// Polls a change set until it is created (or failed).
    async fn wait_change_set(
        &self,
        client: &Client,
        stack: &str,
        name: &str,
    ) -> Result<aws_sdk_cloudformation::operation::describe_change_set::DescribeChangeSetOutput, StepError> {
        self.configs
            .poll(&format!("change set {name} of {stack}"), || async {
                let out = client
                    .describe_change_set()
                    .stack_name(stack)
                    .change_set_name(name)
                    .send()
                    .await
                    .map_err(|e| sdk_error(&format!("describe change set {name} of {stack}"), e))?;
                Ok(match out.status() {
                    Some(ChangeSetStatus::CreatePending | ChangeSetStatus::CreateInProgress) => None,
                    _ => Some(out),
                })
            })
            .await
    }

    /// Before a tenant's stack goes: its dedicated user pool's deletion protection off (Cognito
    /// refuses to delete a protected pool, and the stack would end in DELETE_FAILED), through
    /// an update of the stack's own template with that one parameter changed.
    async fn unprotect(
        &self,
        client: &Client,
        stack: &str,
        role: Option<&String>,
    ) -> Result<Option<String>, StepError> {
        let described =
            client.describe_stacks().stack_name(stack).send().await.map_err(|e| sdk_error("describe stack", e))?;
        let Some(found) = described.stacks().first() else { return Ok(None) };
        let protection = tenancy::compile::tenant_outputs::DELETION_PROTECTION;
        let active = found
            .parameters()
            .iter()
            .any(|p| p.parameter_key() == Some(protection) && p.parameter_value() == Some("ACTIVE"));
        if !active {
            return Ok(None);
        }
        let parameters: Vec<Parameter> = found
            .parameters()
            .iter()
            .filter_map(|p| p.parameter_key())
            .map(|key| {
                let builder = Parameter::builder().parameter_key(key);
                if key == protection {
                    builder.parameter_value("INACTIVE").build()
                } else {
                    builder.use_previous_value(true).build()
                }
            })
            .collect();
        let name = "tenancy-offboard-unprotect";
        let _ = client.delete_change_set().stack_name(stack).change_set_name(name).send().await;
        client
            .create_change_set()
            .stack_name(stack)
            .change_set_name(name)
            .change_set_type(ChangeSetType::Update)
            .use_previous_template(true)
            .set_parameters(Some(parameters))
            .capabilities(Capability::CapabilityIam)
            .capabilities(Capability::CapabilityNamedIam)
            .set_role_arn(role.cloned())
            .send()
            .await
            .map_err(|e| sdk_error(&format!("create the unprotect change set for {stack}"), e))?;
        let described = self.wait_change_set(client, stack, name).await?;
        if described.status() == Some(&ChangeSetStatus::Failed) {
            return Err(StepError::fatal(format!(
                "turning off the user pool's deletion protection in {stack}: {}",
                described.status_reason().unwrap_or_default()
            )));
        }
        client
            .execute_change_set()
            .stack_name(stack)
            .change_set_name(name)
            .send()
            .await
            .map_err(|e| sdk_error(&format!("execute the unprotect change set for {stack}"), e))?;
        match self.wait_stack(client, stack).await? {
            Some((StackStatus::UpdateComplete, _)) => Ok(Some("user pool deletion protection turned off".into())),
            other => Err(StepError::fatal(format!(
                "turning off the user pool's deletion protection left {stack} in {}",
                other.map_or("no stack".to_owned(), |(s, _)| s.as_str().to_owned())
            ))),
        }
    }

    /// The on-demand backups `retention: backup` promises, each waited for: the tables go with
    /// the stack right after.
    async fn back_up(&self, region: &str, outputs: &BTreeMap<String, String>) -> Result<Vec<String>, StepError> {
        if outputs.get(tenancy::compile::tenant_outputs::DATA_RETENTION).map(String::as_str) != Some("backup") {
            return Ok(vec![]);
        }
        let dynamodb = aws_sdk_dynamodb::Client::new(&self.configs.get(region).await);
        let mut done = Vec::new();
        for (output, table) in outputs.iter().filter(|(k, _)| k.ends_with("TableName")) {
            let name = format!("{table}-offboarded-{}", crate::lock::epoch_seconds());
            let created = dynamodb
                .create_backup()
                .table_name(table)
                .backup_name(&name)
                .send()
                .await
                .map_err(|e| sdk_error(&format!("back up {table} ({output})"), e))?;
            let arn = created
                .backup_details()
                .map(|d| d.backup_arn().to_owned())
                .ok_or_else(|| StepError::fatal(format!("the backup of {table} has no ARN")))?;
            self.configs
                .poll(&format!("the backup of {table}"), || async {
                    let described = dynamodb
                        .describe_backup()
                        .backup_arn(&arn)
                        .send()
                        .await
                        .map_err(|e| sdk_error(&format!("read the backup of {table}"), e))?;
                    let status = described
                        .backup_description()
                        .and_then(|d| d.backup_details())
                        .map(|d| d.backup_status().clone());
                    match status {
                        Some(aws_sdk_dynamodb::types::BackupStatus::Available) => Ok(Some(())),
                        Some(aws_sdk_dynamodb::types::BackupStatus::Creating) => Ok(None),
                        other => Err(StepError::fatal(format!("the backup of {table} is {other:?}"))),
                    }
                })
                .await?;
            done.push(format!("backed up {table} as {name}"));
        }
        Ok(done)
    }

    async fn template_source(
        &self,
        region: &str,
        stack: &str,
        hash: &str,
        body: &str,
    ) -> Result<(Option<String>, Option<String>), StepError> {
        if body.len() <= INLINE_TEMPLATE_BYTES {
            return Ok((Some(body.to_owned()), None));
        }
        let key = format!("templates/{stack}/{hash}.yaml");
        let config = self.configs.get(region).await;
        let s3 =
            aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&config).force_path_style(true).build());
        s3.put_object()
            .bucket(&self.artifacts_bucket)
            .key(&key)
            .body(body.as_bytes().to_vec().into())
            .send()
            .await
            .map_err(|e| sdk_error(&format!("upload template to s3://{}/{key}", self.artifacts_bucket), e))?;
        let url = match &self.configs.options().endpoint_url {
            Some(endpoint) => format!("{}/{}/{key}", endpoint.trim_end_matches('/'), self.artifacts_bucket),
            None => format!("https://{}.s3.{region}.amazonaws.com/{key}", self.artifacts_bucket),
        };
        Ok((None, Some(url)))
    }
}

#[async_trait]
impl Provider for CloudFormation {
    async fn apply(&self, run: &StepRun) -> Result<StepOutcome, StepError> {
        let Action::Cloudformation { stack, region, template, role, tags } = &run.step.action else {
            return Err(StepError::fatal("not a CloudFormation step"));
        };
        let client = self.client(region).await;
        let body = run.artifact(template)?;

        let change_set_type = match self.wait_stack(&client, stack).await? {
            None => ChangeSetType::Create,
            Some((StackStatus::RollbackComplete, reason)) => {
                if !self.recreate_failed {
                    return Err(StepError::fatal(format!(
                        "stack {stack} is in ROLLBACK_COMPLETE (its creation failed: {}); delete it or rerun with --recreate-failed",
                        reason.unwrap_or_default()
                    )));
                }
                if !run.dry_run {
                    client
                        .delete_stack()
                        .stack_name(stack)
                        .send()
                        .await
                        .map_err(|e| sdk_error("delete failed stack", e))?;
                    self.wait_stack(&client, stack).await?;
                }
                ChangeSetType::Create
            }
            Some((StackStatus::ReviewInProgress, _)) => ChangeSetType::Create,
            Some(_) => ChangeSetType::Update,
        };

        let (template_body, template_url) = self.template_source(region, stack, &run.step.hash, body).await?;
        let bound = run.parameters();
        // The name covers the template and the bound parameters: a change set of this name is
        // exactly this change, so one left by a lost reply or a killed run can be taken as is.
        let name =
            format!("tenancy-{}", &tenancy::plan::hex_digest(format!("{}\0{bound:?}", run.step.hash).as_bytes())[..16]);
        let parameters: Vec<Parameter> =
            bound.into_iter().map(|(k, v)| Parameter::builder().parameter_key(k).parameter_value(v).build()).collect();
        let stack_tags: Vec<Tag> = tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
        // A change set of the same name may remain from an interrupted run.
        let _ = client.delete_change_set().stack_name(stack).change_set_name(&name).send().await;
        let created = client
            .create_change_set()
            .stack_name(stack)
            .change_set_name(&name)
            .change_set_type(change_set_type.clone())
            .set_template_body(template_body)
            .set_template_url(template_url)
            .set_parameters(Some(parameters))
            .capabilities(Capability::CapabilityIam)
            .capabilities(Capability::CapabilityNamedIam)
            .set_tags(Some(stack_tags))
            .set_role_arn(role.clone())
            .send()
            .await;
        if let Err(err) = created {
            // The SDK resent a CreateChangeSet whose first send went through (a lost reply):
            // the change set of this name is this very change.
            let service = err.as_service_error().map(|e| e.meta());
            let exists = service.and_then(|m| m.code()) == Some("AlreadyExistsException");
            // AWS answers "no changes" with a FAILED change set (below); moto (and UpdateStack)
            // with this error, which the kill -9 campaign met when a rerun found the killed
            // run's change set executed but not journaled. Either way nothing is left to do.
            let no_updates =
                service.and_then(|m| m.message()).is_some_and(|m| m.contains("No updates are to be performed"));
            if no_updates && change_set_type == ChangeSetType::Update {
                return self.nothing_left(&client, stack, run).await;
            }
            if !exists {
                return Err(sdk_error(&format!("create change set for {stack}"), err));
            }
        }

        // Wait for the change set, then read what it would do.
        let described = self.wait_change_set(&client, stack, &name).await?;
        if described.status() == Some(&ChangeSetStatus::Failed) {
            let reason = described.status_reason().unwrap_or_default().to_owned();
            let _ = client.delete_change_set().stack_name(stack).change_set_name(&name).send().await;
            if reason.contains("didn't contain changes") || reason.contains("No updates are to be performed") {
                return self.nothing_left(&client, stack, run).await;
            }
            return Err(StepError::fatal(format!("change set for {stack} failed: {reason}")));
        }
        let summary: Vec<String> = described
            .changes()
            .iter()
            .filter_map(|c| c.resource_change())
            .map(|rc| {
                let action = match rc.action() {
                    Some(ChangeAction::Add) => "add",
                    Some(ChangeAction::Modify) => "modify",
                    Some(ChangeAction::Remove) => "remove",
                    Some(other) => other.as_str(),
                    None => "change",
                };
                let replacement = rc.replacement().map(|r| r.as_str()).filter(|r| *r == "True" || *r == "Conditional");
                format!(
                    "{action} {} ({}){}",
                    rc.logical_resource_id().unwrap_or("?"),
                    rc.resource_type().unwrap_or("?"),
                    replacement.map(|r| format!(", replacement: {r}")).unwrap_or_default()
                )
            })
            .collect();

        if run.dry_run {
            let _ = client.delete_change_set().stack_name(stack).change_set_name(&name).send().await;
            if change_set_type == ChangeSetType::Create {
                // A CREATE change set leaves an empty stack in REVIEW_IN_PROGRESS behind.
                let _ = client.delete_stack().stack_name(stack).send().await;
            }
            return Ok(StepOutcome { state: None, changed: !summary.is_empty(), outputs: BTreeMap::new(), summary });
        }

        // Recorded before the call: its reply may be lost after the change set ran.
        self.executed.lock().expect("not poisoned").insert(run.step.id.clone(), summary.clone());
        let executed = client.execute_change_set().stack_name(stack).change_set_name(&name).send().await;
        if let Err(err) = executed {
            // A resent ExecuteChangeSet whose first send went through meets a change set that
            // is executing or executed: wait for the stack as if the reply had come.
            let running = err.as_service_error().and_then(|e| e.meta().code()) == Some("InvalidChangeSetStatus");
            if !running {
                return Err(sdk_error(&format!("execute change set for {stack}"), err));
            }
        }
        match self.wait_stack(&client, stack).await? {
            Some((StackStatus::CreateComplete | StackStatus::UpdateComplete, _)) => {}
            Some((status, reason)) => {
                let reasons = self.failure_reasons(&client, stack).await;
                return Err(StepError::fatal(format!(
                    "stack {stack} ended in {}{}{}",
                    status.as_str(),
                    reason.map(|r| format!(": {r}")).unwrap_or_default(),
                    if reasons.is_empty() { String::new() } else { format!(" ({reasons})") }
                )));
            }
            None => return Err(StepError::fatal(format!("stack {stack} disappeared while it was being deployed"))),
        }
        let outputs = self.outputs(&client, stack).await?;
        Ok(StepOutcome { state: None, changed: true, outputs, summary })
    }

    async fn remove(&self, removal: &Removal) -> Result<StepOutcome, StepError> {
        let Action::Cloudformation { stack, region, role, .. } = &removal.action else {
            return Err(StepError::fatal("not a CloudFormation step"));
        };
        let client = self.client(region).await;
        if self.wait_stack(&client, stack).await?.is_none() {
            return Ok(StepOutcome {
                state: None,
                changed: false,
                outputs: BTreeMap::new(),
                summary: vec![format!("stack {stack} already gone")],
            });
        }
        let mut summary: Vec<String> = self.unprotect(&client, stack, role.as_ref()).await?.into_iter().collect();
        summary.extend(self.back_up(region, &removal.outputs).await?);
        client
            .delete_stack()
            .stack_name(stack)
            .send()
            .await
            .map_err(|e| sdk_error(&format!("delete stack {stack}"), e))?;
        match self.wait_stack(&client, stack).await? {
            None => {
                summary.push(format!("deleted stack {stack}"));
                Ok(StepOutcome { state: None, changed: true, outputs: BTreeMap::new(), summary })
            }
            Some((status, reason)) => Err(StepError::fatal(format!(
                "stack {stack} was not deleted: {}{}",
                status.as_str(),
                reason.map(|r| format!(" ({r})")).unwrap_or_default()
            ))),
        }
    }
}
