//! plan.json as verify reads it: only the fields it uses. At 10,000 tenants the plan holds
//! 30,000 steps with their hashes, artifacts and bindings; keeping the whole document as a
//! `serde_json::Value` cost more memory than the rest of verify together.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct Plan {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    artifacts_bucket: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    state_table: Option<String>,
    #[serde(default)]
    bootstrap: Option<Step>,
    #[serde(default)]
    steps: Vec<Step>,
}

/// The fields of a step verify reads; serde skips the rest while parsing.
#[derive(Deserialize, Serialize)]
struct Step {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stack: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    template: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    project: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    buildspec: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    table: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tenant: Option<String>,
}

/// plan.json's text, reduced to what verify reads; the reason when it is not a plan.
pub fn read(text: &str) -> Result<Value, String> {
    let plan: Plan = serde_json::from_str(text).map_err(|e| format!("not a plan: {e}"))?;
    serde_json::to_value(plan).map_err(|e| e.to_string())
}
