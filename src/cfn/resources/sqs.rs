//! AWS::SQS::Queue (for platforms that add queues through the customization hook).

use serde::Serialize;

use super::Tag;
use crate::cfn::Expr;

/// A standard queue, encrypted at rest with SQS-managed keys.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Queue {
    /// The queue name: at most 80 letters, digits, `-` and `_` (a FIFO queue's ends `.fifo`).
    pub queue_name: Expr,
    /// Server-side encryption with SQS-owned keys (SSE-SQS).
    pub sqs_managed_sse_enabled: bool,
    /// How long a message is kept, in seconds (60 to 1,209,600).
    pub message_retention_period: u32,
    /// Tags on the queue.
    pub tags: Vec<Tag>,
}
