//! A tenant's lifecycle as a typed state machine, shared by the control-plane services and the
//! onboarding job, so that no component writes a state another cannot read and no transition
//! happens that the table below does not allow.
//!
//! | from | event | to |
//! |---|---|---|
//! | requested | provision | provisioning |
//! | provisioning | provisioned | active |
//! | provisioning | fail | failed (during provisioning) |
//! | failed (during provisioning) | retry | provisioning |
//! | active | suspend | suspended |
//! | suspended | activate | active |
//! | active, suspended | offboard | offboarding |
//! | offboarding | fail | failed (during offboarding) |
//! | failed (during offboarding) | retry | offboarding |
//! | offboarding | removed | removed |
//!
//! - A failure remembers the phase it stopped in and its cause, and a retry resumes that phase:
//!   a failed offboarding is retried as an offboarding, never as a provisioning.
//! - Suspension stops serving and keeps the data; a suspended tenant can be offboarded without
//!   being activated first (suspended for non-payment, then removed).
//! - `removed` is terminal.
//!
//! Every transition is meant to be written conditionally (the stored state must still be
//! [`Transition::from`]), so two writers racing on one tenant cannot both win. A retried event
//! whose effect is already recorded (a job that crashed after writing `active` and reports
//! `provisioned` again) is [`Applied::Already`], not an error: retries after a crash are
//! idempotent.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a tenant is in its life. Stored and published in its lower-case form
/// (`requested`, `provisioning`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum State {
    /// Signed up: the registration is recorded, nothing is deployed yet.
    Requested,
    /// The onboarding job is adding the tenant: commit, synth, verify, apply.
    Provisioning,
    /// Deployed and serving.
    Active,
    /// Deployed, not serving: the ingress answers 403; data and users are kept.
    Suspended,
    /// A phase stopped; a retry resumes it.
    Failed {
        /// The phase that stopped.
        during: Phase,
        /// Why, in one sentence (the job's error), for the operator who retries.
        cause: String,
    },
    /// The offboarding job is removing the tenant: users, pool, stack, namespace, then the
    /// tenant's files.
    Offboarding,
    /// Gone; the record stays for the audit trail.
    Removed,
}

/// The two phases that run a job, and so can fail and be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// From `requested` to `active`.
    Provisioning,
    /// From `offboarding` to `removed`.
    Offboarding,
}

/// What happens to a tenant: each one the registration service, the tenant management service
/// or the job reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum Event {
    /// The onboarding job took the registration.
    Provision,
    /// The job's apply finished: the tenant serves.
    Provisioned,
    /// The running phase stopped, with its cause.
    Fail {
        /// Why the phase stopped.
        cause: String,
    },
    /// An operator (or the job's own retry) resumes the phase that failed.
    Retry,
    /// A provider admin stops the tenant's serving.
    Suspend,
    /// A provider admin restores it.
    Activate,
    /// A provider admin removes the tenant; the offboarding job takes it.
    Offboard,
    /// The offboarding job finished.
    Removed,
    /// The tenant serves (or is suspended) on another tier: reported by the job once its apply
    /// made it so. The state stays; the record's tier changes.
    #[serde(rename = "change-tier")]
    ChangeTier {
        /// The tier the tenant is on now.
        tier: String,
    },
}

/// One allowed step of the lifecycle: the stored state it requires and the state it writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The state the record must still hold (the write's condition).
    pub from: State,
    /// The state written.
    pub to: State,
}

/// The outcome of an event that the lifecycle allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// A transition to write (conditionally on its `from`) and to publish.
    Moved(Transition),
    /// The event's effect is already the stored state (a retry after a crash): nothing to write
    /// or publish.
    Already,
}

/// An event the tenant's state does not allow: rejected, nothing written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a tenant that is {state} cannot take `{event}`: {help}")]
pub struct IllegalTransition {
    /// The state the tenant is in.
    pub state: String,
    /// The event refused.
    pub event: String,
    /// What the caller can do instead.
    pub help: &'static str,
}

impl State {
    /// The state's name as stored and published.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Provisioning => "provisioning",
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Failed { .. } => "failed",
            Self::Offboarding => "offboarding",
            Self::Removed => "removed",
        }
    }

    /// Whether the tenant's requests are served in this state.
    pub fn serves(&self) -> bool {
        matches!(self, Self::Active)
    }

    /// Applies `event` to a tenant in this state: the transition to write, [`Applied::Already`]
    /// for a repeated event whose effect is this state, or the reason it is refused.
    pub fn apply(&self, event: &Event) -> Result<Applied, IllegalTransition> {
        use Event as E;
        use State as S;
        let to = match (self, event) {
            (S::Requested, E::Provision) => S::Provisioning,
            (S::Provisioning, E::Provisioned) => S::Active,
            (S::Provisioning, E::Fail { cause }) => S::Failed { during: Phase::Provisioning, cause: cause.clone() },
            (S::Offboarding, E::Fail { cause }) => S::Failed { during: Phase::Offboarding, cause: cause.clone() },
            (S::Failed { during: Phase::Provisioning, .. }, E::Retry) => S::Provisioning,
            (S::Failed { during: Phase::Offboarding, .. }, E::Retry) => S::Offboarding,
            (S::Active, E::Suspend) => S::Suspended,
            (S::Suspended, E::Activate) => S::Active,
            (S::Active | S::Suspended, E::Offboard) => S::Offboarding,
            (S::Offboarding, E::Removed) => S::Removed,
            // A tier is not a state: the record stays where it is and its tier changes (the
            // registry compares the tier, so a repeat is a repeat).
            (S::Active | S::Suspended, E::ChangeTier { .. }) => self.clone(),
            // Retries of an event whose effect is recorded: a job or an admin that did not see
            // its own write succeed asks again.
            (S::Provisioning, E::Provision)
            | (S::Active, E::Provisioned | E::Activate)
            | (S::Suspended, E::Suspend)
            | (S::Offboarding, E::Offboard)
            | (S::Removed, E::Removed) => return Ok(Applied::Already),
            (state, event) => return Err(state.refuse(event)),
        };
        Ok(Applied::Moved(Transition { from: self.clone(), to }))
    }

    fn refuse(&self, event: &Event) -> IllegalTransition {
        let help = match self {
            Self::Requested => "the onboarding job must take the registration first (`provision`)",
            Self::Provisioning => "wait for the onboarding job: it reports `provisioned` or `fail`",
            Self::Active => "an active tenant can be suspended, moved to another tier or offboarded",
            Self::Suspended => "a suspended tenant can be activated, moved to another tier or offboarded",
            Self::Failed { .. } => "retry the phase that failed (`retry`); its cause is on the record",
            Self::Offboarding => "wait for the offboarding job: it reports `removed` or `fail`",
            Self::Removed => "the tenant is removed; sign it up again as a new tenant",
        };
        IllegalTransition { state: self.to_string(), event: event.name().to_owned(), help }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Failed { during, cause } => write!(f, "failed during {} ({cause})", during.name()),
            other => f.write_str(other.name()),
        }
    }
}

impl Phase {
    /// The phase's name as stored.
    pub fn name(self) -> &'static str {
        match self {
            Self::Provisioning => "provisioning",
            Self::Offboarding => "offboarding",
        }
    }
}

impl Event {
    /// The event's name as published.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Provision => "provision",
            Self::Provisioned => "provisioned",
            Self::Fail { .. } => "fail",
            Self::Retry => "retry",
            Self::Suspend => "suspend",
            Self::Activate => "activate",
            Self::Offboard => "offboard",
            Self::Removed => "removed",
            Self::ChangeTier { .. } => "change-tier",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(during: Phase) -> State {
        State::Failed { during, cause: "apply: stack rolled back".into() }
    }

    fn states() -> Vec<State> {
        vec![
            State::Requested,
            State::Provisioning,
            State::Active,
            State::Suspended,
            failed(Phase::Provisioning),
            State::Offboarding,
            failed(Phase::Offboarding),
            State::Removed,
        ]
    }

    fn events() -> Vec<Event> {
        vec![
            Event::Provision,
            Event::Provisioned,
            Event::Fail { cause: "boom".into() },
            Event::Retry,
            Event::Suspend,
            Event::Activate,
            Event::Offboard,
            Event::Removed,
            Event::ChangeTier { tier: "premium".into() },
        ]
    }

    /// Every (state, event) pair against a table written out by hand: `M:<to>` a move, `=` a
    /// repeat already recorded, `-` refused.
    #[test]
    fn every_pair_of_state_and_event_does_what_the_table_says() {
        #[rustfmt::skip]
        let table: [(&str, [&str; 9]); 8] = [
            //                   provision        provisioned  fail                  retry             suspend        activate   offboard         removed      change-tier
            ("requested",        ["M:provisioning", "-",        "-",                  "-",              "-",           "-",       "-",             "-",         "-"]),
            ("provisioning",     ["=",              "M:active", "M:failed",           "-",              "-",           "-",       "-",             "-",         "-"]),
            ("active",           ["-",              "=",        "-",                  "-",              "M:suspended", "=",       "M:offboarding", "-",         "M:active"]),
            ("suspended",        ["-",              "-",        "-",                  "-",              "=",           "M:active", "M:offboarding", "-",        "M:suspended"]),
            ("failed-prov",      ["-",              "-",        "-",                  "M:provisioning", "-",           "-",       "-",             "-",         "-"]),
            ("offboarding",      ["-",              "-",        "M:failed",           "-",              "-",           "-",       "=",             "M:removed", "-"]),
            ("failed-off",       ["-",              "-",        "-",                  "M:offboarding",  "-",           "-",       "-",             "-",         "-"]),
            ("removed",          ["-",              "-",        "-",                  "-",              "-",           "-",       "-",             "=",         "-"]),
        ];
        for (state, (label, row)) in states().iter().zip(table) {
            for (event, expected) in events().iter().zip(row) {
                let got = match state.apply(event) {
                    Ok(Applied::Moved(t)) => {
                        assert_eq!(&t.from, state, "a transition's condition is the state it left");
                        format!("M:{}", t.to.name())
                    }
                    Ok(Applied::Already) => "=".to_owned(),
                    Err(_) => "-".to_owned(),
                };
                assert_eq!(got, expected, "{label} + {}", event.name());
            }
        }
    }

    #[test]
    fn a_failure_keeps_its_phase_and_cause_and_a_retry_resumes_that_phase() {
        let Ok(Applied::Moved(t)) = State::Offboarding.apply(&Event::Fail { cause: "namespace stuck".into() }) else {
            panic!("offboarding can fail")
        };
        assert_eq!(t.to, State::Failed { during: Phase::Offboarding, cause: "namespace stuck".into() });
        assert_eq!(t.to.to_string(), "failed during offboarding (namespace stuck)");
        assert_eq!(
            t.to.apply(&Event::Retry),
            Ok(Applied::Moved(Transition { from: t.to.clone(), to: State::Offboarding }))
        );
    }

    #[test]
    fn a_refusal_names_the_state_the_event_and_what_to_do() {
        let err = State::Removed.apply(&Event::Activate).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a tenant that is removed cannot take `activate`: the tenant is removed; sign it up again as a new tenant"
        );
        let err = failed(Phase::Provisioning).apply(&Event::Provisioned).unwrap_err();
        assert!(
            err.to_string().starts_with(
                "a tenant that is failed during provisioning (apply: stack rolled back) cannot take `provisioned`"
            ),
            "{err}"
        );
    }

    #[test]
    fn every_state_is_reachable_from_a_sign_up_and_only_removed_is_terminal() {
        let mut seen = vec![State::Requested];
        let mut at = 0;
        while at < seen.len() {
            let state = seen[at].clone();
            let moves: Vec<State> = events()
                .iter()
                .filter_map(|e| match state.apply(e) {
                    Ok(Applied::Moved(t)) => Some(t.to),
                    _ => None,
                })
                .collect();
            assert_eq!(moves.is_empty(), state == State::Removed, "{state} moves to {moves:?}");
            for to in moves {
                let same = |s: &State| s.name() == to.name() && (s.name() != "failed" || s == &to);
                if !seen.iter().any(same) {
                    seen.push(to);
                }
            }
            at += 1;
        }
        assert_eq!(seen.len(), 8, "{seen:?}");
        assert!(seen.iter().filter(|s| s.serves()).eq([&State::Active]), "only active serves");
    }

    #[test]
    fn states_and_events_have_their_stored_form() {
        let stored = serde_json::to_value(failed(Phase::Provisioning)).unwrap();
        assert_eq!(
            stored,
            serde_json::json!({"state": "failed", "during": "provisioning", "cause": "apply: stack rolled back"})
        );
        assert_eq!(serde_json::to_value(State::Active).unwrap(), serde_json::json!({"state": "active"}));
        for state in states() {
            let back: State = serde_json::from_value(serde_json::to_value(&state).unwrap()).unwrap();
            assert_eq!(back, state);
            assert_eq!(serde_json::to_value(&state).unwrap()["state"], state.name());
        }
        for event in events() {
            assert_eq!(serde_json::to_value(&event).unwrap()["event"], event.name());
        }
        let unknown = serde_json::from_value::<State>(serde_json::json!({"state": "paused"})).unwrap_err();
        assert!(unknown.to_string().contains("unknown variant `paused`"), "{unknown}");
    }
}
