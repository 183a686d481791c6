//! The verifier against a failing or slow issuer, on a paused clock (B1, B2 and D1 of the
//! 2026-12 services review): at most one fetch per issuer at a time and per refresh interval,
//! failed fetches included; an unknown key id while the refresh is throttled is refused at once;
//! a request whose key is cached never waits for the issuer; one WARN per failed fetch.
//!
//! With the clock paused, a future that waits on time is advanced to its wake-up as soon as
//! nothing else can run, so `at_once` (a 1 ms timeout) fails for anything that waits for a
//! fetch, and the elapsed tokio time is exact.

use std::sync::Arc;
use std::time::Duration;

use tenant_context::testing::{self, IssuerMode, Logs, StandInIssuer, junk, token};
use tenant_context::{AppError, Verifier};
use tokio::time::Instant;

const PAST_THROTTLE: Duration = Duration::from_secs(61);

fn verifier(issuer: &Arc<StandInIssuer>) -> Arc<Verifier> {
    Arc::new(Verifier::new(testing::verifier_config(), issuer.clone()))
}

/// What a verification came to, in the terms the client sees.
fn outcome(result: Result<tenant_context::TenantContext, AppError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(AppError::Unauthorized(m)) if m.contains("unknown key") => "401 unknown key",
        Err(AppError::Unauthorized(_)) => "401",
        Err(AppError::KeysUnavailable) => "503",
        Err(_) => "other",
    }
}

/// Verifies `token`, failing the test if that has to wait for anything (a fetch, a lock).
async fn at_once(verifier: &Verifier, token: &str) -> &'static str {
    match tokio::time::timeout(Duration::from_millis(1), verifier.verify(token)).await {
        Ok(result) => outcome(result),
        Err(_) => panic!("the verification waited"),
    }
}

/// Verifies `token` and says how long it took on the tokio clock.
async fn timed(verifier: &Verifier, token: &str) -> (&'static str, Duration) {
    let started = Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(60), verifier.verify(token)).await.expect("bounded");
    (outcome(result), started.elapsed())
}

#[tokio::test(start_paused = true)]
async fn b1_failed_refreshes_count_against_the_throttle() {
    let issuer = StandInIssuer::new(IssuerMode::Healthy);
    let verifier = verifier(&issuer);
    let (logs, _guard) = Logs::capture("warn");
    assert_eq!(timed(&verifier, &token("acme")).await.0, "ok");
    assert_eq!(issuer.fetches(), 1);

    issuer.set(IssuerMode::Failing);
    tokio::time::advance(PAST_THROTTLE).await;
    // The first unknown kid may fetch (and the fetch fails); the next 49 must not.
    for i in 0..50 {
        let (outcome, _) = timed(&verifier, &junk(&format!("unk500-{i}"))).await;
        assert_eq!(outcome, "401 unknown key", "token {i}");
    }
    assert_eq!(issuer.fetches(), 2, "one fetch for 50 unknown kids");
    assert_eq!(logs.messages("signing keys not fetched; the next attempt is throttled").len(), 1);
    assert_eq!(logs.lines().len(), 1, "one WARN in all: {:?}", logs.lines());
    assert_eq!(at_once(&verifier, &token("acme")).await, "ok", "the cached key still works");

    // The throttle lapses: one more attempt, not one per token.
    tokio::time::advance(PAST_THROTTLE).await;
    for i in 0..5 {
        timed(&verifier, &junk(&format!("again-{i}"))).await;
    }
    assert_eq!(issuer.fetches(), 3);
}

#[tokio::test(start_paused = true)]
async fn b2_a_hanging_issuer_never_stalls_a_request_whose_key_is_cached() {
    let issuer = StandInIssuer::new(IssuerMode::Healthy);
    let verifier = verifier(&issuer);
    assert_eq!(timed(&verifier, &token("acme")).await.0, "ok");
    issuer.set(IssuerMode::Hanging);
    tokio::time::advance(PAST_THROTTLE).await;

    // t=0: the review's unsigned junk token starts a fetch that hangs.
    let attacker = tokio::spawn({
        let verifier = verifier.clone();
        async move { timed(&verifier, &junk("nope")).await }
    });
    tokio::task::yield_now().await;
    assert_eq!(issuer.fetches(), 2, "the junk token's fetch is under way");
    // The valid request does not wait for it (the review saw 4.82 s).
    assert_eq!(at_once(&verifier, &token("acme")).await, "ok");
    // A second unknown kid during the fetch waits for that fetch and starts none.
    let follower = tokio::spawn({
        let verifier = verifier.clone();
        async move { timed(&verifier, &junk("nope-2")).await }
    });
    let (attacked, waited) = attacker.await.unwrap();
    assert_eq!((attacked, waited), ("401 unknown key", Duration::from_secs(5)), "bounded by the fetch timeout");
    assert_eq!(follower.await.unwrap().0, "401 unknown key");
    assert_eq!(issuer.fetches(), 2);

    // Straight after the failed fetch, junk is refused at once, without another fetch.
    assert_eq!(at_once(&verifier, &junk("nope-3")).await, "401 unknown key");
    assert_eq!(issuer.fetches(), 2);

    // Under load for 20 s: four attackers every 0.5 s, a legitimate client every 0.5 s.
    let mut attacks = tokio::task::JoinSet::new();
    for step in 0..40 {
        for attacker in 0..4 {
            let verifier = verifier.clone();
            attacks.spawn(async move { timed(&verifier, &junk(&format!("load-{step}-{attacker}"))).await });
        }
        tokio::task::yield_now().await;
        assert_eq!(at_once(&verifier, &token("acme")).await, "ok", "legitimate request at step {step}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    while let Some(attack) = attacks.join_next().await {
        assert_eq!(attack.unwrap().0, "401 unknown key");
    }
    assert_eq!(issuer.fetches(), 2, "20 s of attack inside one throttle interval: no fetch");
}

#[tokio::test(start_paused = true)]
async fn d1_a_cold_cache_with_a_hanging_issuer_makes_one_fetch_not_a_queue() {
    let issuer = StandInIssuer::new(IssuerMode::Hanging);
    let verifier = verifier(&issuer);
    let (logs, _guard) = Logs::capture("warn");
    // Five concurrent valid requests on a fresh pod: one fetch, all answered together (the
    // review saw 5, 10, 15, 20 and 25 s).
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..5 {
        let verifier = verifier.clone();
        requests.spawn(async move { timed(&verifier, &token("acme")).await });
    }
    while let Some(request) = requests.join_next().await {
        assert_eq!(request.unwrap(), ("503", Duration::from_secs(5)));
    }
    assert_eq!(issuer.fetches(), 1);
    // Unsigned junk and valid tokens alike, until the throttle lapses: 503 at once, no fetch.
    for i in 0..20 {
        assert_eq!(at_once(&verifier, &junk(&format!("cold-{i}"))).await, "503");
    }
    assert_eq!(at_once(&verifier, &token("acme")).await, "503");
    assert_eq!(issuer.fetches(), 1);
    assert_eq!(logs.lines().len(), 1, "one WARN for the one failed fetch: {:?}", logs.lines());

    issuer.set(IssuerMode::Healthy);
    tokio::time::advance(PAST_THROTTLE).await;
    assert_eq!(timed(&verifier, &token("acme")).await.0, "ok");
    assert_eq!(issuer.fetches(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_rotated_key_is_found_on_the_first_refresh_the_throttle_allows() {
    let issuer = StandInIssuer::new(IssuerMode::OtherKeys);
    let verifier = verifier(&issuer);
    // The issuer has not published the key yet: refused, and refused again at once.
    assert_eq!(timed(&verifier, &token("acme")).await, ("401 unknown key", Duration::ZERO));
    issuer.set(IssuerMode::Healthy);
    assert_eq!(at_once(&verifier, &token("acme")).await, "401 unknown key");
    assert_eq!(issuer.fetches(), 1);
    tokio::time::advance(PAST_THROTTLE).await;
    assert_eq!(timed(&verifier, &token("acme")).await.0, "ok");
    assert_eq!(issuer.fetches(), 2);
    // Now cached: no more fetches, however much time passes.
    tokio::time::advance(PAST_THROTTLE).await;
    assert_eq!(at_once(&verifier, &token("acme")).await, "ok");
    assert_eq!(issuer.fetches(), 2);
}
