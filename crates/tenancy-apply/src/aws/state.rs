//! The journal and lock in DynamoDB, for applies that run on AWS (CodeBuild, the pipeline),
//! where no local directory survives between builds. One item per step (`step#<id>`, the
//! record as JSON), read back with a consistent Scan; and the lock (`lock::LockScope`):
//!
//! - `lock#platform` holds an exclusive holder (`ExclusiveHolder`, `ExclusiveExpires`) or any
//!   number of shared holders, each a top-level attribute `Shared:<holder>` = its expiry;
//! - `lock#<part>` (`Holder`, `Expires`) for each part a partial apply holds exclusively.
//!
//! Every hold is a lease, renewed while the apply runs and released explicitly at its end, so
//! a build that dies blocks others for one lease at most. An exclusive apply first writes its
//! intent (which stops new shared holders), then waits for the shared holders to leave. Every
//! journal write is a transaction conditioned on still holding every lock item (fencing): an
//! apply whose lease was taken over can no longer write.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem};
use tokio::sync::Mutex;

use super::Configs;
use crate::RetryPolicy;
use crate::lock::{Holder, LockGuard, LockScope, LockWait, epoch_seconds, holder_id};
use crate::state::{Journal, STATE_FORMAT, StateError, StateStore, StepRecord};
use tenancy::plan::StepId;

/// How long a hold lasts without renewal.
pub const LEASE: Duration = Duration::from_secs(10 * 60);
/// How often a running apply renews its holds: well inside the lease.
pub const RENEW_EVERY: Duration = Duration::from_secs(2 * 60);

/// Declared in the core, where `verify` reads it too.
pub use tenancy::contract::calls::STATE_IAM_ACTIONS as IAM_ACTIONS;

const PLATFORM_KEY: &str = "lock#platform";
const SHARED_PREFIX: &str = "Shared:";

/// The lease settings (tests shorten them).
#[derive(Debug, Clone, Copy)]
pub struct Lease {
    pub length: Duration,
    pub renew_every: Duration,
}

impl Default for Lease {
    fn default() -> Self {
        Self { length: LEASE, renew_every: RENEW_EVERY }
    }
}

pub struct DynamoState {
    configs: Configs,
    region: String,
    table: String,
    holder: String,
    lease: Lease,
    /// What this store holds now (set by `lock`, cleared by the guard's release).
    held: Arc<Mutex<Option<Held>>>,
    /// Set by the renewal task when a hold could not be renewed: the lease is no longer ours.
    lost: Arc<AtomicBool>,
}

/// The items one apply holds.
#[derive(Debug, Clone)]
struct Held {
    exclusive: bool,
    parts: Vec<String>,
}

impl DynamoState {
    pub fn new(configs: Configs, region: String, table: String) -> Self {
        Self::with_lease(configs, region, table, Lease::default())
    }

    pub fn with_lease(configs: Configs, region: String, table: String, lease: Lease) -> Self {
        Self {
            configs,
            region,
            table,
            holder: holder_id(),
            lease,
            held: Arc::new(Mutex::new(None)),
            lost: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Who this store is in the lock items.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    async fn client(&self) -> Client {
        Client::new(&self.configs.get(&self.region).await)
    }

    fn remote(&self, message: impl std::fmt::Display) -> StateError {
        StateError::Remote { table: self.table.clone(), message: message.to_string(), transient: false }
    }

    /// A failed call, transient when the SDK error was (the engine retries those).
    fn remote_call(&self, what: String, error: crate::StepError) -> StateError {
        StateError::Remote {
            table: self.table.clone(),
            message: format!("{what}: {error}"),
            transient: error.transient,
        }
    }

    fn store(&self) -> String {
        format!("dynamodb:{}", self.table)
    }

    fn items(&self, client: &Client) -> LockItems {
        LockItems {
            client: client.clone(),
            table: self.table.clone(),
            holder: self.holder.clone(),
            lease: self.lease.length,
        }
    }
}

/// The conditional writes on the lock items, for one holder.
#[derive(Clone)]
struct LockItems {
    client: Client,
    table: String,
    holder: String,
    lease: Duration,
}

/// Why a conditional write on a lock item did not happen.
enum Refused {
    /// Someone else holds it: who, and until when.
    Held { holder: String, expires: Option<u64> },
    /// The call failed; transient errors are retried before a lock wait gives up.
    Failed(crate::StepError),
}

fn key(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

fn number(value: u64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn is_condition_failure<E: aws_sdk_dynamodb::error::ProvideErrorMetadata>(err: &E) -> bool {
    err.code() == Some("ConditionalCheckFailedException")
}

impl LockItems {
    fn shared_attribute(&self) -> String {
        format!("{SHARED_PREFIX}{}", self.holder)
    }

    fn expiry(&self) -> u64 {
        epoch_seconds() + self.lease.as_secs().max(1)
    }

    async fn item(&self, item_key: &str) -> Result<HashMap<String, AttributeValue>, crate::StepError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("Key", key(item_key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| super::sdk_error("read the lock", e))?;
        Ok(out.item().cloned().unwrap_or_default())
    }

    /// Who holds `item_key` (a part, or the platform exclusively), from the item.
    async fn refusal(&self, item_key: &str, holder: &str, expires: &str) -> Refused {
        match self.item(item_key).await {
            Ok(item) => Refused::Held {
                holder: item.get(holder).and_then(|h| h.as_s().ok()).cloned().unwrap_or_else(|| "unknown".into()),
                expires: item.get(expires).and_then(|e| e.as_n().ok()).and_then(|n| n.parse().ok()),
            },
            Err(error) => Refused::Failed(error),
        }
    }

    /// Takes a part exclusively, or renews it.
    async fn take_part(&self, part: &str) -> Result<(), Refused> {
        let item_key = format!("lock#{part}");
        let now = epoch_seconds();
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("Key", key(&item_key))
            .item("Holder", key(&self.holder))
            .item("Expires", number(self.expiry()))
            .condition_expression("attribute_not_exists(#k) OR Expires < :now OR Holder = :me")
            .expression_attribute_names("#k", "Key")
            .expression_attribute_values(":now", number(now))
            .expression_attribute_values(":me", key(&self.holder))
            .send()
            .await;
        match put {
            Ok(_) => Ok(()),
            Err(err) if err.as_service_error().is_some_and(is_condition_failure) => {
                Err(self.refusal(&item_key, "Holder", "Expires").await)
            }
            Err(err) => Err(Refused::Failed(super::sdk_error("take the lock", err))),
        }
    }

    /// Holds the platform shared: refused while an exclusive holder (or its intent) is live.
    async fn take_shared(&self) -> Result<(), Refused> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("Key", key(PLATFORM_KEY))
            .update_expression("SET #me = :expires")
            .condition_expression(
                "attribute_not_exists(ExclusiveHolder) OR ExclusiveExpires < :now OR ExclusiveHolder = :me",
            )
            .expression_attribute_names("#me", self.shared_attribute())
            .expression_attribute_values(":expires", number(self.expiry()))
            .expression_attribute_values(":now", number(epoch_seconds()))
            .expression_attribute_values(":me", key(&self.holder))
            .send()
            .await;
        match update {
            Ok(_) => Ok(()),
            Err(err) if err.as_service_error().is_some_and(is_condition_failure) => {
                Err(self.refusal(PLATFORM_KEY, "ExclusiveHolder", "ExclusiveExpires").await)
            }
            Err(err) => Err(Refused::Failed(super::sdk_error("take the lock", err))),
        }
    }

    /// Writes (or renews) the exclusive intent on the platform.
    async fn take_exclusive_intent(&self) -> Result<(), Refused> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("Key", key(PLATFORM_KEY))
            .update_expression("SET ExclusiveHolder = :me, ExclusiveExpires = :expires")
            .condition_expression(
                "attribute_not_exists(ExclusiveHolder) OR ExclusiveExpires < :now OR ExclusiveHolder = :me",
            )
            .expression_attribute_values(":expires", number(self.expiry()))
            .expression_attribute_values(":now", number(epoch_seconds()))
            .expression_attribute_values(":me", key(&self.holder))
            .send()
            .await;
        match update {
            Ok(_) => Ok(()),
            Err(err) if err.as_service_error().is_some_and(is_condition_failure) => {
                Err(self.refusal(PLATFORM_KEY, "ExclusiveHolder", "ExclusiveExpires").await)
            }
            Err(err) => Err(Refused::Failed(super::sdk_error("take the lock", err))),
        }
    }

    /// The live shared holders of the platform; expired ones are removed on the way (only if
    /// they did not renew meanwhile).
    async fn live_shared(&self) -> Result<Vec<(String, u64)>, crate::StepError> {
        let item = self.item(PLATFORM_KEY).await?;
        let now = epoch_seconds();
        let mut live = Vec::new();
        for (attribute, value) in &item {
            let Some(holder) = attribute.strip_prefix(SHARED_PREFIX) else { continue };
            let expires: u64 = value.as_n().ok().and_then(|n| n.parse().ok()).unwrap_or(0);
            if expires >= now {
                live.push((holder.to_owned(), expires));
            } else {
                // A dead holder's hold: gone unless it renewed since we read it.
                let _ = self
                    .client
                    .update_item()
                    .table_name(&self.table)
                    .key("Key", key(PLATFORM_KEY))
                    .update_expression("REMOVE #h")
                    .condition_expression("#h = :seen")
                    .expression_attribute_names("#h", attribute)
                    .expression_attribute_values(":seen", value.clone())
                    .send()
                    .await;
            }
        }
        live.sort();
        Ok(live)
    }

    async fn release_part(&self, part: &str) -> Result<(), String> {
        let delete = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("Key", key(&format!("lock#{part}")))
            .condition_expression("Holder = :me")
            .expression_attribute_values(":me", key(&self.holder))
            .send()
            .await;
        match delete {
            Ok(_) => Ok(()),
            // Gone already is released: a resent delete whose first send went through.
            Err(err) if err.as_service_error().is_some_and(is_condition_failure) => {
                match self
                    .item(&format!("lock#{part}"))
                    .await
                    .map_err(|e| e.message)?
                    .get("Holder")
                    .and_then(|h| h.as_s().ok())
                {
                    None => Ok(()),
                    Some(other) => Err(format!("lock#{part} is held by another apply ({other})")),
                }
            }
            Err(err) => Err(super::sdk_error("release the lock", err).message),
        }
    }

    async fn release_platform(&self, exclusive: bool) -> Result<(), String> {
        let request = self.client.update_item().table_name(&self.table).key("Key", key(PLATFORM_KEY));
        let request = if exclusive {
            request
                .update_expression("REMOVE ExclusiveHolder, ExclusiveExpires")
                .condition_expression("ExclusiveHolder = :me")
                .expression_attribute_values(":me", key(&self.holder))
        } else {
            request
                .update_expression("REMOVE #me")
                .condition_expression("attribute_exists(#me)")
                .expression_attribute_names("#me", self.shared_attribute())
        };
        match request.send().await {
            Ok(_) => Ok(()),
            // A resent release whose first send went through finds nothing of ours left: that
            // is released. Only another apply's exclusive hold means ours was lost.
            Err(err) if err.as_service_error().is_some_and(is_condition_failure) => {
                let item = self.item(PLATFORM_KEY).await.map_err(|e| e.message)?;
                match item.get("ExclusiveHolder").and_then(|h| h.as_s().ok()) {
                    Some(other) if exclusive => Err(format!("the platform lock is no longer ours ({other} holds it)")),
                    _ => Ok(()),
                }
            }
            Err(err) => Err(super::sdk_error("release the lock", err).message),
        }
    }

    /// Renews every hold of `held`; an error means one could not be renewed.
    async fn renew(&self, held: &Held) -> Result<(), String> {
        let platform = if held.exclusive { self.take_exclusive_intent().await } else { self.renew_shared().await };
        platform.map_err(|refused| describe_refusal("the platform", refused))?;
        for part in &held.parts {
            self.take_part(part).await.map_err(|refused| describe_refusal(part, refused))?;
        }
        Ok(())
    }

    /// Renews a shared hold, only if it is still there (a removed hold was taken from us).
    async fn renew_shared(&self) -> Result<(), Refused> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("Key", key(PLATFORM_KEY))
            .update_expression("SET #me = :expires")
            .condition_expression("attribute_exists(#me)")
            .expression_attribute_names("#me", self.shared_attribute())
            .expression_attribute_values(":expires", number(self.expiry()))
            .send()
            .await;
        match update {
            Ok(_) => Ok(()),
            Err(err) if err.as_service_error().is_some_and(is_condition_failure) => {
                Err(Refused::Held { holder: "nobody (our shared hold was removed)".into(), expires: None })
            }
            Err(err) => Err(Refused::Failed(super::sdk_error("renew the lock", err))),
        }
    }

    /// Releases everything `held` holds, parts first; every failure is reported.
    async fn release(&self, held: &Held) -> Result<(), String> {
        let mut problems = Vec::new();
        for part in held.parts.iter().rev() {
            if let Err(problem) = self.release_part(part).await {
                problems.push(problem);
            }
        }
        if let Err(problem) = self.release_platform(held.exclusive).await {
            problems.push(problem);
        }
        if problems.is_empty() { Ok(()) } else { Err(problems.join("; ")) }
    }
}

fn describe_refusal(what: &str, refused: Refused) -> String {
    match refused {
        Refused::Held { holder, .. } => format!("{what} is held by {holder}"),
        Refused::Failed(error) => format!("{what}: {error}"),
    }
}

/// The held lock: a renewal task while it lives, an explicit release at the end.
struct DynamoLock {
    items: LockItems,
    held: Held,
    slot: Arc<Mutex<Option<Held>>>,
    lost: Arc<AtomicBool>,
    /// Tells the renewal task to stop after the renewal it may be in the middle of.
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    renewal: Option<tokio::task::JoinHandle<()>>,
    store: String,
}

#[async_trait]
impl LockGuard for DynamoLock {
    async fn release(mut self: Box<Self>) -> Result<(), StateError> {
        // Stop renewing first, and wait for it: a renewal landing after the release would
        // take the lock again for a whole lease.
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(renewal) = self.renewal.take() {
            let _ = renewal.await;
        }
        *self.slot.lock().await = None;
        let lost = self.lost.load(Ordering::SeqCst);
        let store = self.store.clone();
        match self.items.release(&self.held).await {
            Ok(()) if !lost => Ok(()),
            Ok(()) => Err(StateError::LockLost { store, message: "a renewal failed during the apply".into() }),
            Err(message) => Err(StateError::LockLost { store, message }),
        }
    }
}

impl Drop for DynamoLock {
    fn drop(&mut self) {
        // Released without `release` (a panic): stop renewing, and the lease ends the hold.
        if let Some(renewal) = &self.renewal {
            renewal.abort();
        }
    }
}

/// None for a failed condition (the hold changed since it was read), else the error.
fn removal_error<E>(
    err: aws_sdk_dynamodb::error::SdkError<E, aws_sdk_dynamodb::config::http::HttpResponse>,
) -> Option<crate::StepError>
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    if err.as_service_error().is_some_and(is_condition_failure) { None } else { Some(super::sdk_error("remove", err)) }
}

/// One hold found in a lock item, and how to remove exactly it.
struct Hold {
    shown: Holder,
    key: String,
    remove: Removal,
}

/// How a hold is removed, conditioned on it still being the hold that was read: a lock taken
/// by a new apply meanwhile is left alone.
enum Removal {
    /// `lock#<part>`: delete the item while `Holder` is the one read.
    Part { holder: String },
    /// The exclusive holder of `lock#platform`.
    Exclusive { holder: String },
    /// One shared holder's attribute of `lock#platform`.
    Shared { attribute: String },
}

impl DynamoState {
    /// Every hold in the lock items (`lock#platform`, `lock#<part>`), live or not.
    async fn holds(&self, client: &Client) -> Result<Vec<Hold>, StateError> {
        let now = epoch_seconds();
        let mut holds = Vec::new();
        let mut start = None;
        for _ in 0..10_000 {
            let page = client
                .scan()
                .table_name(&self.table)
                .consistent_read(true)
                .filter_expression("begins_with(#k, :lock)")
                .expression_attribute_names("#k", "Key")
                .expression_attribute_values(":lock", key("lock#"))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| self.remote(format!("read the locks: {}", super::sdk_error("scan", e))))?;
            for item in page.items() {
                let Some(item_key) = item.get("Key").and_then(|k| k.as_s().ok()) else { continue };
                let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
                let seconds =
                    |name: &str| item.get(name).and_then(|v| v.as_n().ok()).and_then(|n| n.parse::<u64>().ok());
                let hold = |kind: &str, holder: String, expires: Option<u64>, remove| Hold {
                    shown: Holder {
                        lock: format!("{item_key}{kind}"),
                        holder,
                        expires,
                        live: expires.is_some_and(|e| e >= now),
                    },
                    key: item_key.clone(),
                    remove,
                };
                if item_key == PLATFORM_KEY {
                    if let Some(holder) = text("ExclusiveHolder") {
                        let remove = Removal::Exclusive { holder: holder.clone() };
                        holds.push(hold(" (exclusive)", holder, seconds("ExclusiveExpires"), remove));
                    }
                    let mut shared: Vec<&String> = item.keys().filter(|a| a.starts_with(SHARED_PREFIX)).collect();
                    shared.sort();
                    for attribute in shared {
                        let holder = attribute[SHARED_PREFIX.len()..].to_owned();
                        let remove = Removal::Shared { attribute: attribute.clone() };
                        holds.push(hold(" (shared)", holder, seconds(attribute), remove));
                    }
                } else if let Some(holder) = text("Holder") {
                    let remove = Removal::Part { holder: holder.clone() };
                    holds.push(hold("", holder, seconds("Expires"), remove));
                }
            }
            match page.last_evaluated_key() {
                Some(next) => start = Some(next.clone()),
                None => {
                    holds.sort_by(|a, b| a.shown.lock.cmp(&b.shown.lock));
                    return Ok(holds);
                }
            }
        }
        Err(self.remote("the lock items did not end after 10000 pages"))
    }

    /// Every hold on this table's locks, live or not (`tenancy unlock`).
    pub async fn holders(&self) -> Result<Vec<Holder>, StateError> {
        let client = self.client().await;
        Ok(self.holds(&client).await?.into_iter().map(|h| h.shown).collect())
    }

    /// Removes every hold (`tenancy unlock --force`), each only if it is still the one read, and
    /// returns what was removed. The apply that held one can no longer journal (its writes are
    /// fenced on its holds), so breaking a live apply's lock stops it at its next record.
    pub async fn unlock(&self) -> Result<Vec<Holder>, StateError> {
        let client = self.client().await;
        let mut removed = Vec::new();
        for hold in self.holds(&client).await? {
            let sent = match &hold.remove {
                Removal::Part { holder } => client
                    .delete_item()
                    .table_name(&self.table)
                    .key("Key", key(&hold.key))
                    .condition_expression("Holder = :seen")
                    .expression_attribute_values(":seen", key(holder))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(removal_error),
                Removal::Exclusive { holder } => client
                    .update_item()
                    .table_name(&self.table)
                    .key("Key", key(&hold.key))
                    .update_expression("REMOVE ExclusiveHolder, ExclusiveExpires")
                    .condition_expression("ExclusiveHolder = :seen")
                    .expression_attribute_values(":seen", key(holder))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(removal_error),
                Removal::Shared { attribute } => client
                    .update_item()
                    .table_name(&self.table)
                    .key("Key", key(&hold.key))
                    .update_expression("REMOVE #h")
                    .condition_expression("attribute_exists(#h)")
                    .expression_attribute_names("#h", attribute)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(removal_error),
            };
            match sent {
                Ok(()) => removed.push(hold.shown),
                // Released or taken over since it was read: not the hold that was shown.
                Err(None) => {}
                Err(Some(err)) => return Err(self.remote(format!("remove {}: {err}", hold.shown.lock))),
            }
        }
        Ok(removed)
    }

    /// Polls `attempt` until it succeeds or `wait.timeout` has passed since `started`.
    async fn waiting<F, Fut>(
        &self,
        part: &str,
        wait: LockWait,
        started: tokio::time::Instant,
        mut attempt: F,
    ) -> Result<(), StateError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<(), Refused>>,
    {
        let mut said = false;
        // A throttled or failed call to the table is retried like a journal call; only a lock
        // another apply holds is waited for up to the lock timeout.
        let policy = RetryPolicy::default();
        loop {
            let (result, _) = policy
                .run(&mut attempt, |refused| matches!(refused, Refused::Failed(e) if e.transient), |_, _, _| {})
                .await;
            match result {
                Ok(()) => return Ok(()),
                Err(Refused::Failed(error)) => return Err(self.remote_call(format!("the lock for {part}"), error)),
                Err(Refused::Held { holder, expires }) => {
                    let waited = started.elapsed();
                    if waited >= wait.timeout {
                        return Err(StateError::Locked {
                            store: self.store(),
                            part: part.to_owned(),
                            holder,
                            expires,
                            waited,
                        });
                    }
                    if !said {
                        eprintln!("waiting for the lock on {} ({part}), held by {holder}", self.store());
                        said = true;
                    }
                    tokio::time::sleep(wait.poll.min(wait.timeout - waited).max(Duration::from_millis(1))).await;
                }
            }
        }
    }

    async fn acquire(&self, items: &LockItems, scope: &LockScope, wait: LockWait) -> Result<Held, StateError> {
        let started = tokio::time::Instant::now();
        match scope {
            LockScope::Platform => {
                self.waiting("the platform", wait, started, || items.take_exclusive_intent()).await?;
                // The intent stops new shared holders; wait for those there to leave.
                let result = self
                    .waiting("the platform", wait, started, || async move {
                        let live = items.live_shared().await.map_err(Refused::Failed)?;
                        match live.first() {
                            None => Ok(()),
                            Some((holder, expires)) => Err(Refused::Held {
                                holder: format!("{holder} (a partial apply; {} in all)", live.len()),
                                expires: Some(*expires),
                            }),
                        }
                    })
                    .await;
                if let Err(err) = result {
                    let _ = items.release_platform(true).await;
                    return Err(err);
                }
                Ok(Held { exclusive: true, parts: vec![] })
            }
            LockScope::Parts(parts) => {
                self.waiting("the platform", wait, started, || items.take_shared()).await?;
                let mut held = Held { exclusive: false, parts: Vec::new() };
                for part in parts {
                    if let Err(err) = self.waiting(part, wait, started, || items.take_part(part)).await {
                        let _ = items.release(&held).await;
                        return Err(err);
                    }
                    held.parts.push(part.clone());
                }
                Ok(held)
            }
        }
    }
}

#[async_trait]
impl StateStore for DynamoState {
    async fn lock(&self, scope: &LockScope, wait: LockWait) -> Result<Box<dyn LockGuard>, StateError> {
        let client = self.client().await;
        let items = self.items(&client);
        let held = self.acquire(&items, scope, wait).await?;
        self.lost.store(false, Ordering::SeqCst);
        *self.held.lock().await = Some(held.clone());
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let renewal = {
            let (items, held, lost, every) = (items.clone(), held.clone(), self.lost.clone(), self.lease.renew_every);
            tokio::spawn(async move {
                let mut failures = 0;
                loop {
                    tokio::select! {
                        _ = &mut stopped => return,
                        () = tokio::time::sleep(every) => {}
                    }
                    match items.renew(&held).await {
                        Ok(()) => failures = 0,
                        Err(message) => {
                            failures += 1;
                            // A transient error may pass before the lease ends; a taken hold will not.
                            if message.contains("held by") || failures >= 3 {
                                eprintln!("error: lost the apply lock: {message}");
                                lost.store(true, Ordering::SeqCst);
                                return;
                            }
                        }
                    }
                }
            })
        };
        Ok(Box::new(DynamoLock {
            items,
            held,
            slot: self.held.clone(),
            lost: self.lost.clone(),
            stop: Some(stop),
            renewal: Some(renewal),
            store: self.store(),
        }))
    }

    async fn load(&self) -> Result<Journal, StateError> {
        let client = self.client().await;
        let mut steps = BTreeMap::new();
        let mut start = None;
        // Bounded: a page per request, and a journal has one item per step.
        for _ in 0..10_000 {
            let page = client
                .scan()
                .table_name(&self.table)
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| self.remote_call("read the journal".into(), super::sdk_error("scan", e)))?;
            for item in page.items() {
                let Some(key) = item.get("Key").and_then(|k| k.as_s().ok()) else { continue };
                let Some(id) = key.strip_prefix("step#") else { continue };
                let record = item
                    .get("Record")
                    .and_then(|r| r.as_s().ok())
                    .ok_or_else(|| self.remote(format!("{key} has no record")))?;
                let record: StepRecord =
                    serde_json::from_str(record).map_err(|e| self.remote(format!("{key}: {e}")))?;
                steps.insert(StepId::new(id), record);
            }
            match page.last_evaluated_key() {
                Some(key) => start = Some(key.clone()),
                None => return Ok(Journal { format: STATE_FORMAT.into(), steps }),
            }
        }
        Err(self.remote("the journal did not end after 10000 pages"))
    }

    /// The step's item and, in the same transaction, a check of every lock item this apply
    /// holds: a write from an apply that lost its lock fails instead of racing the new holder.
    async fn record(&self, id: &StepId, record: &StepRecord) -> Result<(), StateError> {
        let held = self.held.lock().await.clone();
        let Some(held) = held.filter(|_| !self.lost.load(Ordering::SeqCst)) else {
            return Err(StateError::LockLost {
                store: self.store(),
                message: format!("recording {id} without holding the lock"),
            });
        };
        let client = self.client().await;
        let holder = key(&self.holder);
        let check = |item_key: &str, condition: &str, name: Option<String>| {
            let check = ConditionCheck::builder()
                .table_name(&self.table)
                .key("Key", key(item_key))
                .condition_expression(condition);
            let check = match name {
                Some(name) => check.expression_attribute_names("#me", name),
                None => check.expression_attribute_values(":me", holder.clone()),
            };
            TransactWriteItem::builder().condition_check(check.build().expect("a complete condition check")).build()
        };
        let mut items = vec![if held.exclusive {
            check(PLATFORM_KEY, "ExclusiveHolder = :me", None)
        } else {
            check(PLATFORM_KEY, "attribute_exists(#me)", Some(format!("{SHARED_PREFIX}{}", self.holder)))
        }];
        for part in &held.parts {
            items.push(check(&format!("lock#{part}"), "Holder = :me", None));
        }
        let put = Put::builder()
            .table_name(&self.table)
            .item("Key", key(&format!("step#{id}")))
            .item("Record", key(&serde_json::to_string(record).expect("a record serializes")))
            .build()
            .expect("a complete put");
        items.push(TransactWriteItem::builder().put(put).build());
        match client.transact_write_items().set_transact_items(Some(items)).send().await {
            Ok(_) => Ok(()),
            Err(err)
                if err.as_service_error().is_some_and(|e| {
                    e.is_transaction_canceled_exception() && format!("{e:?}").contains("ConditionalCheckFailed")
                }) =>
            {
                self.lost.store(true, Ordering::SeqCst);
                Err(StateError::LockLost { store: self.store(), message: format!("recording {id}") })
            }
            Err(err) => Err(self.remote_call(format!("record {id}"), super::sdk_error("transact", err))),
        }
    }
}
