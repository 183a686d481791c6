//! One scenario of the lifecycle, run against each registry (memory here, DynamoDB on moto in
//! `dynamodb.rs`), so both keep the same rules.

use std::sync::Arc;

use tenancy::contract::lifecycle::{Event, Phase, State};
use tenancy_registry::{
    Caller, Change, Outcome, RecordedEvents, Registration, Registry, RegistryError, publish_pending, transition,
};

pub fn caller(actor: &str, request_id: &str) -> Caller {
    Caller { actor: actor.into(), request_id: request_id.into(), at: 1_764_750_000 }
}

pub fn sign_up(id: &str) -> Registration {
    Registration {
        tenant_id: id.into(),
        name: format!("Tenant {id}"),
        email: format!("ops@{id}.example"),
        tier: "basic".into(),
    }
}

/// A tenant's whole life, each event checked against the state it leaves and the audit entry
/// and event it makes; refusals and repeats write nothing; a topic that is down loses nothing.
pub async fn whole_life(registry: &dyn Registry, id: &str) {
    let events = RecordedEvents::default();
    let created = registry.register(&sign_up(id), None, &caller("registration", "req-1")).await.unwrap();
    assert!(matches!(created, Outcome::Created(_)), "{created:?}");
    assert_eq!(publish_pending(registry, &events, id).await.unwrap(), 1);

    let cause = "apply: stack rolled back".to_owned();
    let steps: Vec<(Event, State)> = vec![
        (Event::Provision, State::Provisioning),
        (Event::Fail { cause: cause.clone() }, State::Failed { during: Phase::Provisioning, cause: cause.clone() }),
        (Event::Retry, State::Provisioning),
        (Event::Provisioned, State::Active),
        (Event::Suspend, State::Suspended),
        (Event::ChangeTier { tier: "premium".into() }, State::Suspended),
        (Event::Activate, State::Active),
        (Event::Offboard, State::Offboarding),
        (Event::Removed, State::Removed),
    ];
    for (n, (event, to)) in steps.iter().enumerate() {
        let who = caller("onboarding-job", &format!("build-{n}"));
        let change = transition(registry, id, event, &who).await.unwrap();
        let Change::Moved(record) = change else { panic!("{} moves: {change:?}", event.name()) };
        assert_eq!((&record.state, record.version), (to, n as u64 + 2), "{}", event.name());
        assert_eq!(registry.record(id).await.unwrap().as_ref(), Some(&record), "what was written is what is read");
        assert_eq!(publish_pending(registry, &events, id).await.unwrap(), 1);
        if let Event::ChangeTier { .. } = event {
            // The tier the record holds: a repeat, written nowhere.
            let again = transition(registry, id, event, &caller("admin", "req-tier-again")).await.unwrap();
            assert!(matches!(again, Change::Already(_)), "{again:?}");
        }
    }

    // The tier change moved the record's tier (and only that).
    assert_eq!(registry.record(id).await.unwrap().unwrap().registration.tier, "premium");

    // A repeat of the last event is recorded already; an event `removed` refuses writes nothing.
    let repeat = transition(registry, id, &Event::Removed, &caller("onboarding-job", "build-again")).await.unwrap();
    assert!(matches!(repeat, Change::Already(_)), "{repeat:?}");
    let refused = transition(registry, id, &Event::Activate, &caller("admin", "req-2")).await.unwrap_err();
    assert!(matches!(refused, RegistryError::Illegal(_)), "{refused}");
    assert!(refused.to_string().contains("cannot take `activate`"), "{refused}");
    assert_eq!(publish_pending(registry, &events, id).await.unwrap(), 0, "nothing new to publish");

    // The trail: one entry per version, who and which request, each published once, in order.
    let trail = registry.audit(id).await.unwrap();
    let rows: Vec<String> = trail
        .iter()
        .map(|e| {
            format!("{} {} {}->{} {}", e.version, e.event, e.from.as_deref().unwrap_or("-"), e.to, e.caller.request_id)
        })
        .collect();
    assert_eq!(
        rows,
        [
            "1 register -->requested req-1",
            "2 provision requested->provisioning build-0",
            "3 fail provisioning->failed build-1",
            "4 retry failed->provisioning build-2",
            "5 provisioned provisioning->active build-3",
            "6 suspend active->suspended build-4",
            "7 change-tier suspended->suspended build-5",
            "8 activate suspended->active build-6",
            "9 offboard active->offboarding build-7",
            "10 removed offboarding->removed build-8",
        ]
    );
    assert_eq!(trail[2].cause.as_deref(), Some(cause.as_str()));
    assert_eq!(trail[6].tier.as_deref(), Some("premium"));
    assert!(trail.iter().filter(|e| e.tier.is_some()).count() == 1, "only the tier change names a tier");
    assert!(trail.iter().all(|e| e.published));
    let published = events.published();
    assert_eq!(published.iter().map(|e| e.version).collect::<Vec<_>>(), (1..=10).collect::<Vec<_>>());
    assert_eq!(published[2].cause.as_deref(), Some(cause.as_str()));
    assert_eq!((published[6].event.as_str(), published[6].tier.as_deref()), ("change-tier", Some("premium")));
    assert!(published.iter().all(|e| e.tenant_id == id && e.format == "tenancy.lifecycle/v1"));
}

/// A topic that is down: the transition is written anyway, its event stays pending, and the
/// next call publishes the backlog in order.
pub async fn a_topic_outage_delays_events_and_loses_none(registry: &dyn Registry, id: &str) {
    let events = RecordedEvents::default();
    registry.register(&sign_up(id), None, &caller("registration", "req-1")).await.unwrap();
    events.fail(true);
    assert!(publish_pending(registry, &events, id).await.is_err());
    transition(registry, id, &Event::Provision, &caller("onboarding-job", "build-1")).await.unwrap();
    assert!(publish_pending(registry, &events, id).await.is_err());
    assert!(events.published().is_empty());
    assert_eq!(registry.audit(id).await.unwrap().iter().filter(|e| !e.published).count(), 2);
    events.fail(false);
    assert_eq!(publish_pending(registry, &events, id).await.unwrap(), 2);
    let published = events.published();
    assert_eq!(
        published.iter().map(|e| (e.version, e.to.as_str())).collect::<Vec<_>>(),
        [(1, "requested"), (2, "provisioning")]
    );
}

/// Many writers send the same event at once: one moves the tenant, the others find it done,
/// and the trail has one entry for it.
pub async fn racing_writers_make_one_transition(registry: Arc<dyn Registry>, id: &str) {
    registry.register(&sign_up(id), None, &caller("registration", "req-1")).await.unwrap();
    let racers: Vec<_> = (0..8)
        .map(|n| {
            let registry = registry.clone();
            let id = id.to_owned();
            tokio::spawn(async move {
                transition(registry.as_ref(), &id, &Event::Provision, &caller("onboarding-job", &format!("build-{n}")))
                    .await
            })
        })
        .collect();
    let mut moved = 0;
    for racer in racers {
        match racer.await.unwrap().unwrap() {
            Change::Moved(_) => moved += 1,
            Change::Already(record) => assert_eq!(record.state, State::Provisioning),
        }
    }
    assert_eq!(moved, 1, "exactly one writer wins");
    assert_eq!(registry.audit(id).await.unwrap().len(), 2);
}

/// A listing walked page by page finds every record once, among the audit entries and claims
/// the table also holds, whatever the page size; a page never holds more than asked.
pub async fn a_listing_walks_every_record_once(registry: &dyn Registry) {
    let ids: Vec<String> = (0..7).map(|i| format!("tenant-{i}")).collect();
    for (i, id) in ids.iter().enumerate() {
        registry.register(&sign_up(id), Some(&format!("key-{i}")), &caller("registration", "req")).await.unwrap();
        // Audit entries beside some of the records.
        if i % 2 == 0 {
            transition(registry, id, &Event::Provision, &caller("job", "build")).await.unwrap();
        }
    }
    for limit in [1, 3, 7, 100] {
        let (mut seen, mut after, mut pages) = (Vec::new(), None::<String>, 0);
        loop {
            pages += 1;
            assert!(pages <= 20, "limit {limit}: the walk does not end");
            let page = registry.list(after.as_deref(), limit).await.unwrap();
            assert!(page.records.len() <= limit, "limit {limit}: a page of {}", page.records.len());
            seen.extend(page.records.iter().map(|r| r.registration.tenant_id.clone()));
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        seen.sort();
        assert_eq!(seen, ids, "limit {limit}: every record once");
    }
    let provisioning =
        registry.list(None, 100).await.unwrap().records.iter().filter(|r| r.state == State::Provisioning).count();
    assert_eq!(provisioning, 4);
}
