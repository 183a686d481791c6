//! The registry on moto's DynamoDB and the lifecycle topic on moto's SNS, through the real SDK
//! over HTTP on 127.0.0.1 (scripts/test starts moto and sets TENANCY_MOTO_URL): the same
//! scenarios as on memory, with real conditional transactions, and events delivered to a real
//! HTTP subscriber with a filter policy.

use std::sync::{Arc, Mutex};

use axum::routing::post;
use serde_json::Value;
use tenancy::contract::lifecycle::Event;
use tenancy_registry::{DynamoRegistry, Registry, SnsEvents, publish_pending, transition};
use tenant_context::testing::{create_table, moto_config, moto_url};

mod support;
use support::scenario::{self, caller, sign_up};

async fn registry(name: &str) -> (DynamoRegistry, aws_config::SdkConfig) {
    let aws = moto_config(&moto_url()).await;
    let table = format!("{name}-registry-{}", std::process::id());
    let dynamodb = aws_sdk_dynamodb::Client::new(&aws);
    create_table(&dynamodb, &table, "Pk", Some("Sk")).await;
    (DynamoRegistry::new(dynamodb, table), aws)
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs moto on 127.0.0.1: scripts/test starts it and runs this"]
async fn a_tenant_lives_its_whole_life_on_dynamodb() {
    scenario::whole_life(&registry("life").await.0, "acme").await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs moto on 127.0.0.1: scripts/test starts it and runs this"]
async fn a_topic_outage_delays_events_and_loses_none_on_dynamodb() {
    scenario::a_topic_outage_delays_events_and_loses_none(&registry("outage").await.0, "acme").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs moto on 127.0.0.1: scripts/test starts it and runs this"]
async fn racing_writers_make_one_transition_on_dynamodb() {
    scenario::racing_writers_make_one_transition(Arc::new(registry("race").await.0), "acme").await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs moto on 127.0.0.1: scripts/test starts it and runs this"]
async fn a_listing_walks_every_record_once_on_dynamodb() {
    scenario::a_listing_walks_every_record_once(&registry("list").await.0).await;
}

/// A subscriber on 127.0.0.1 that keeps the `Message` of every notification SNS posts.
async fn subscriber() -> (String, Arc<Mutex<Vec<Value>>>) {
    let received = Arc::new(Mutex::new(Vec::new()));
    let kept = received.clone();
    let app = axum::Router::new().route(
        "/",
        post(move |body: String| {
            let kept = kept.clone();
            async move {
                let notification: Value = serde_json::from_str(&body).expect("a JSON notification");
                let message = notification["Message"].as_str().expect("a Message");
                kept.lock().unwrap().push(serde_json::from_str(message).expect("the event is JSON"));
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs moto on 127.0.0.1: scripts/test starts it and runs this"]
async fn every_transition_reaches_the_topic_and_a_filtered_subscriber_gets_only_its_states() {
    let (registry, aws) = registry("topic").await;
    let sns = aws_sdk_sns::Client::new(&aws);
    let topic = sns
        .create_topic()
        .name(format!("topic-tenant-lifecycle-{}", std::process::id()))
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    let (all_url, all) = subscriber().await;
    let (failures_url, failures) = subscriber().await;
    sns.subscribe().topic_arn(&topic).protocol("http").endpoint(&all_url).send().await.unwrap();
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("http")
        .endpoint(&failures_url)
        .attributes("FilterPolicy", r#"{"state": ["failed"]}"#)
        .send()
        .await
        .unwrap();
    let events = SnsEvents::new(sns, topic);

    registry.register(&sign_up("hooli"), None, &caller("registration", "req-1")).await.unwrap();
    publish_pending(&registry, &events, "hooli").await.unwrap();
    for event in
        [Event::Provision, Event::Fail { cause: "verify: 2 findings".into() }, Event::Retry, Event::Provisioned]
    {
        transition(&registry, "hooli", &event, &caller("onboarding-job", "build-1")).await.unwrap();
        publish_pending(&registry, &events, "hooli").await.unwrap();
    }

    let all = all.lock().unwrap().clone();
    let seen: Vec<(u64, &str)> =
        all.iter().map(|e| (e["version"].as_u64().unwrap(), e["to"].as_str().unwrap())).collect();
    assert_eq!(seen, [(1, "requested"), (2, "provisioning"), (3, "failed"), (4, "provisioning"), (5, "active")]);
    assert_eq!(all[2]["cause"], "verify: 2 findings");
    assert_eq!(all[4]["from"], "provisioning");
    assert_eq!(all[4]["requestId"], "build-1");
    let failures = failures.lock().unwrap().clone();
    assert_eq!(failures.len(), 1, "the filter policy on `state` passes failures only: {failures:?}");
    assert_eq!(failures[0]["version"], 3);
    assert!(registry.audit("hooli").await.unwrap().iter().all(|e| e.published));
}
