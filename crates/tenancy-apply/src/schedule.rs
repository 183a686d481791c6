//! The order the engine starts steps in: in-degree counters over the selected steps and a set of
//! the steps made ready, taken in rounds. Each step is counted once and released once, so a plan
//! of N steps and E edges is scheduled in O((N + E) log N), with no rescans of what is pending.
//!
//! A round is every step made ready since the last one, in id order: the order the engine has
//! always started steps in (the engine tests' exact timings pin it).

use std::collections::{BTreeSet, HashMap};

use tenancy::plan::{DeployPlan, StepId};

pub(crate) struct Schedule {
    ids: Vec<StepId>,
    /// Per step: its selected dependencies not finished yet.
    waiting: Vec<usize>,
    /// Per step: the selected steps that depend on it.
    dependents: Vec<Vec<usize>>,
    index: HashMap<StepId, usize>,
    done: Vec<bool>,
    ready: BTreeSet<StepId>,
}

impl Schedule {
    /// The schedule of `selected` (steps of `plan`): dependencies outside the selection are
    /// the caller's to check (the engine requires them applied).
    pub(crate) fn new(plan: &DeployPlan, selected: &BTreeSet<StepId>) -> Self {
        let ids: Vec<StepId> = selected.iter().cloned().collect();
        let index: HashMap<StepId, usize> = ids.iter().enumerate().map(|(i, id)| (id.clone(), i)).collect();
        let mut waiting = vec![0; ids.len()];
        let mut dependents = vec![Vec::new(); ids.len()];
        for (i, id) in ids.iter().enumerate() {
            let step = plan.step(id).expect("selected from the plan");
            for dep in &step.depends_on {
                if let Some(&d) = index.get(dep) {
                    waiting[i] += 1;
                    dependents[d].push(i);
                }
            }
        }
        let ready = ids.iter().zip(&waiting).filter(|(_, w)| **w == 0).map(|(id, _)| id.clone()).collect();
        Self { done: vec![false; ids.len()], ids, waiting, dependents, index, ready }
    }

    /// The steps made ready since the last call, in id order; none when no step is ready.
    pub(crate) fn take_ready(&mut self) -> Option<BTreeSet<StepId>> {
        (!self.ready.is_empty()).then(|| std::mem::take(&mut self.ready))
    }

    /// Whether no step waits to be taken.
    pub(crate) fn is_idle(&self) -> bool {
        self.ready.is_empty()
    }

    /// `id` is settled (whatever its outcome): its dependents wait for one step less.
    pub(crate) fn finished(&mut self, id: &StepId) {
        let i = self.index[id];
        assert!(!self.done[i], "step {id} finished twice");
        self.done[i] = true;
        for &d in &self.dependents[i] {
            self.waiting[d] -= 1;
            if self.waiting[d] == 0 {
                self.ready.insert(self.ids[d].clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use tenancy::plan::{Action, Step};

    use super::*;

    fn step(id: &str, deps: &[&str]) -> Step {
        Step {
            id: StepId::new(id),
            action: Action::Codebuild { project: id.replace('/', "-"), buildspec: "b.yml".into(), rerun: false },
            artifacts: vec![],
            depends_on: deps.iter().map(|d| StepId::new(*d)).collect(),
            bindings: vec![],
            estimate_seconds: 1,
        }
    }

    #[test]
    fn rounds_release_dependents_once_all_their_selected_dependencies_finish() {
        let plan = DeployPlan::build(
            vec![
                step("a", &[]),
                step("b", &[]),
                step("c", &["a", "b"]),
                step("d", &["c", "outside"]),
                step("outside", &[]),
            ],
            &BTreeMap::new(),
            &[],
        )
        .unwrap();
        let selected: BTreeSet<StepId> = ["a", "b", "c", "d"].into_iter().map(StepId::new).collect();
        let mut schedule = Schedule::new(&plan, &selected);
        let names = |set: BTreeSet<StepId>| set.into_iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(names(schedule.take_ready().unwrap()), ["a", "b"]);
        assert!(schedule.take_ready().is_none());
        schedule.finished(&StepId::new("a"));
        assert!(schedule.is_idle(), "c still waits for b");
        schedule.finished(&StepId::new("b"));
        assert_eq!(names(schedule.take_ready().unwrap()), ["c"]);
        // `outside` is not selected: d waits only for c.
        schedule.finished(&StepId::new("c"));
        assert_eq!(names(schedule.take_ready().unwrap()), ["d"]);
    }
}
