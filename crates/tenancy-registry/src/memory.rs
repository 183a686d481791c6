//! The registry in memory, with the same semantics as the table (one lock stands for the
//! transaction), for tests and benchmarks.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use tenancy::contract::lifecycle::{Event, Transition};

use crate::record::resolve;
use crate::{AuditEntry, Caller, Outcome, Page, Record, Registration, Registry, RegistryError};

/// Registrations in memory.
#[derive(Default)]
pub struct MemoryRegistry {
    inner: Mutex<Memory>,
}

#[derive(Default)]
struct Memory {
    records: HashMap<String, Record>,
    audit: HashMap<String, Vec<AuditEntry>>,
    emails: HashMap<String, String>,
    keys: HashMap<String, String>,
}

impl MemoryRegistry {
    fn lock(&self) -> std::sync::MutexGuard<'_, Memory> {
        // A panic while holding the lock leaves whole values behind (every change is one insert).
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl Registry for MemoryRegistry {
    async fn register(
        &self,
        registration: &Registration,
        key: Option<&str>,
        caller: &Caller,
    ) -> Result<Outcome, RegistryError> {
        let mut m = self.lock();
        let id = &registration.tenant_id;
        let taken = key.is_some_and(|k| m.keys.contains_key(k))
            || m.emails.contains_key(&registration.email)
            || m.records.contains_key(id);
        if taken {
            let key_owner = key.and_then(|k| m.keys.get(k).cloned());
            let email_owner = m.emails.get(&registration.email).cloned();
            let record = m.records.get(id).cloned();
            return resolve(registration, key_owner, email_owner, record)?
                .map(Outcome::Existing)
                .ok_or_else(|| RegistryError::Contended { tenant: id.clone(), attempts: 1 });
        }
        let record = Record::requested(registration);
        m.records.insert(id.clone(), record.clone());
        m.audit.insert(id.clone(), vec![AuditEntry::register(caller)]);
        m.emails.insert(registration.email.clone(), id.clone());
        if let Some(key) = key {
            m.keys.insert(key.to_owned(), id.clone());
        }
        Ok(Outcome::Created(record))
    }

    async fn list(&self, after: Option<&str>, limit: usize) -> Result<Page, RegistryError> {
        let m = self.lock();
        let mut ids: Vec<&String> = m.records.keys().filter(|id| after.is_none_or(|a| id.as_str() > a)).collect();
        ids.sort();
        let more = ids.len() > limit;
        let records: Vec<Record> = ids.into_iter().take(limit).map(|id| m.records[id].clone()).collect();
        let next = more.then(|| records.last().map(|r| r.registration.tenant_id.clone())).flatten();
        Ok(Page { records, next })
    }

    async fn record(&self, tenant: &str) -> Result<Option<Record>, RegistryError> {
        Ok(self.lock().records.get(tenant).cloned())
    }

    async fn write(
        &self,
        record: &Record,
        transition: &Transition,
        event: &Event,
        caller: &Caller,
    ) -> Result<Option<Record>, RegistryError> {
        let mut m = self.lock();
        let tenant = &record.registration.tenant_id;
        let Some(stored) = m.records.get_mut(tenant) else {
            return Err(RegistryError::NotFound { tenant: tenant.clone() });
        };
        if stored.version != record.version {
            return Ok(None);
        }
        stored.version += 1;
        stored.state = transition.to.clone();
        if let Some(tier) = crate::new_tier(event) {
            stored.registration.tier = tier.to_owned();
        }
        let written = stored.clone();
        let entry = AuditEntry::transition(written.version, &transition.from, &transition.to, event, caller);
        m.audit.entry(tenant.clone()).or_default().push(entry);
        Ok(Some(written))
    }

    async fn set_build(&self, tenant: &str, build_id: &str) -> Result<Record, RegistryError> {
        let mut m = self.lock();
        let record = m.records.get_mut(tenant).ok_or_else(|| RegistryError::NotFound { tenant: tenant.into() })?;
        record.build_id.get_or_insert_with(|| build_id.to_owned());
        Ok(record.clone())
    }

    async fn audit(&self, tenant: &str) -> Result<Vec<AuditEntry>, RegistryError> {
        Ok(self.lock().audit.get(tenant).cloned().unwrap_or_default())
    }

    async fn mark_published(&self, tenant: &str, version: u64) -> Result<(), RegistryError> {
        let mut m = self.lock();
        if let Some(entry) = m.audit.get_mut(tenant).and_then(|a| a.iter_mut().find(|e| e.version == version)) {
            entry.published = true;
        }
        Ok(())
    }

    async fn ready(&self) -> Result<(), RegistryError> {
        Ok(())
    }
}
