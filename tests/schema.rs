//! The blueprint schema: committed, current, and in step with how the loader reads sections.

use tenancy::blueprint::doc::SECTIONS;

#[test]
fn committed_schema_is_current() {
    let committed = std::fs::read_to_string(crate::common::root().join("blueprints/schema.json")).unwrap();
    assert!(
        committed == tenancy::blueprint::schema_json(),
        "blueprints/schema.json is stale: run `cargo run -p tenancy-cli -- schema > blueprints/schema.json`"
    );
}

#[test]
fn loader_sections_match_the_schema() {
    let schema: serde_json::Value = serde_json::from_str(&tenancy::blueprint::schema_json()).unwrap();
    let mut properties: Vec<&str> = schema["properties"].as_object().unwrap().keys().map(String::as_str).collect();
    let mut sections: Vec<&str> = SECTIONS.iter().map(|(name, _)| *name).collect();
    properties.sort();
    sections.sort();
    assert_eq!(properties, sections);
    let mut required: Vec<&str> = schema["required"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    let mut required_sections: Vec<&str> = SECTIONS.iter().filter(|(_, r)| *r).map(|(name, _)| *name).collect();
    required.sort();
    required_sections.sort();
    assert_eq!(required, required_sections);
    assert_eq!(schema["additionalProperties"], false);
}

#[test]
fn the_reference_blueprint_round_trips_through_the_document_types() {
    // Every key of the reference blueprint is known to the typed document (deny_unknown_fields).
    let doc: tenancy::blueprint::doc::BlueprintDoc = serde_yaml::from_str(&crate::common::reference_text()).unwrap();
    let tenancy::blueprint::doc::TenantsDoc::List(tenants) = &doc.tenants else {
        panic!("the reference lists its tenants")
    };
    assert_eq!(tenants.len(), 4);
    assert_eq!(
        doc.tiers.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["basic", "standard", "premium", "platinum"]
    );
}
