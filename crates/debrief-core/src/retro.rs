//! A retrospective: a team looks back over a stretch of work (a sprint, a launch, an on-call
//! rotation, a run of incidents) and says what to start doing, what to stop and what to
//! continue. The team votes on the items; closing the retro turns the items it chose into
//! action items, each with an owner, followed through like a review's.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::incident::{line, single_line};
use crate::{
    ActionItem, ActionKind, ActionStatus, IncidentId, InvalidValue, RetroId, RetroItemKind,
};

/// One thing said in the retro.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetroItem {
    pub kind: RetroItemKind,
    /// "Deploy on Fridays", "pair on the runbook changes".
    pub text: String,
    #[serde(default)]
    pub votes: u32,
    /// The action item it became when the retro closed.
    #[serde(default)]
    pub action: Option<crate::ActionId>,
}

/// An item chosen at the close, and the team that will own its action item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// The item's number, from 1.
    pub item: usize,
    pub owner: String,
}

/// A retrospective with its items, and the action items its close decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retro {
    pub id: Option<RetroId>,
    /// What it looked back on: "Payments, sprint 42".
    pub title: String,
    /// The team that held it.
    #[serde(default)]
    pub team: Option<String>,
    /// The day it was held.
    pub held: Date,
    /// The day it was closed; open until then (items and votes can change).
    #[serde(default)]
    pub closed: Option<Date>,
    #[serde(default)]
    pub items: Vec<RetroItem>,
    /// Incidents it looked back on.
    #[serde(default)]
    pub incidents: Vec<IncidentId>,
    /// The action items its close decided, in the order of the items they came from.
    #[serde(default)]
    pub actions: Vec<ActionItem>,
}

impl Retro {
    pub fn new(title: impl Into<String>, team: Option<String>, held: Date) -> Self {
        Retro {
            id: None,
            title: title.into(),
            team,
            held,
            closed: None,
            items: Vec::new(),
            incidents: Vec::new(),
            actions: Vec::new(),
        }
    }

    fn name(&self) -> String {
        self.id
            .map_or_else(|| "the retro".into(), |i| i.to_string())
    }

    pub fn normalize(&mut self) {
        self.title = line(&self.title);
        self.team = self.team.as_deref().map(line).filter(|t| !t.is_empty());
        for i in &mut self.items {
            i.text = line(&i.text);
        }
        self.incidents.sort();
        self.incidents.dedup();
        for a in &mut self.actions {
            a.normalize();
        }
    }

    pub fn validate(&self) -> Result<(), InvalidValue> {
        single_line("title", &self.title, true)?;
        if let Some(t) = &self.team {
            single_line("team", t, true)?;
        }
        if let Some(c) = self.closed {
            if c < self.held {
                return Err(InvalidValue::new(format!(
                    "closed ({c}) is before the day it was held ({})",
                    self.held
                )));
            }
        }
        for (n, item) in self.items.iter().enumerate() {
            single_line(&format!("item {}", n + 1), &item.text, true)?;
            if let Some(a) = item.action {
                if self.closed.is_none() {
                    return Err(InvalidValue::new(format!(
                        "item {} became {a}, but the retro is not closed",
                        n + 1
                    )));
                }
                if !self.actions.iter().any(|x| x.id == Some(a)) {
                    return Err(InvalidValue::new(format!(
                        "item {} became {a}, which is not among the retro's action items",
                        n + 1
                    )));
                }
            }
        }
        if self.closed.is_none() && !self.actions.is_empty() {
            return Err(InvalidValue::new(
                "an open retro has no action items yet; they come from closing it",
            ));
        }
        for (i, a) in self.actions.iter().enumerate() {
            a.validate(i)?;
            if let Some(id) = a.id {
                if self.actions[..i].iter().any(|b| b.id == Some(id)) {
                    return Err(InvalidValue::new(format!("{id} is listed twice")));
                }
            }
        }
        Ok(())
    }

    fn open_item(&mut self, item: usize) -> Result<&mut RetroItem, InvalidValue> {
        if let Some(day) = self.closed {
            return Err(InvalidValue::new(format!(
                "{} was closed on {day}; its items and votes stay as they were",
                self.name()
            )));
        }
        let (name, n) = (self.name(), self.items.len());
        item.checked_sub(1)
            .and_then(|k| self.items.get_mut(k))
            .ok_or_else(|| InvalidValue::new(format!("{name} has no item {item} (it has {n})")))
    }

    /// Adds an item; returns its number (from 1).
    pub fn add(&mut self, kind: RetroItemKind, text: &str) -> Result<usize, InvalidValue> {
        if let Some(day) = self.closed {
            return Err(InvalidValue::new(format!(
                "{} was closed on {day}; start a new retro for new items",
                self.name()
            )));
        }
        let text = line(text);
        single_line(&format!("item {}", self.items.len() + 1), &text, true)?;
        self.items.push(RetroItem {
            kind,
            text,
            votes: 0,
            action: None,
        });
        Ok(self.items.len())
    }

    /// Changes what item `item` (from 1) says, or its kind, while the retro is open.
    pub fn edit(
        &mut self,
        item: usize,
        kind: Option<RetroItemKind>,
        text: Option<&str>,
    ) -> Result<(), InvalidValue> {
        let it = self.open_item(item)?;
        if let Some(t) = text {
            let t = line(t);
            single_line(&format!("item {item}"), &t, true)?;
            it.text = t;
        }
        if let Some(k) = kind {
            it.kind = k;
        }
        Ok(())
    }

    /// Takes item `item` (from 1) out of an open retro, with its votes; the items after it
    /// move up one number.
    pub fn remove(&mut self, item: usize) -> Result<RetroItem, InvalidValue> {
        self.open_item(item)?;
        Ok(self.items.remove(item - 1))
    }

    /// Gives item `item` (from 1) `by` votes (negative takes them back); returns its votes.
    pub fn vote(&mut self, item: usize, by: i64) -> Result<u32, InvalidValue> {
        let it = self.open_item(item)?;
        let votes = i64::from(it.votes) + by;
        if votes < 0 {
            return Err(InvalidValue::new(format!(
                "item {item} has {} votes; {} cannot be taken back",
                it.votes, -by
            )));
        }
        it.votes = u32::try_from(votes)
            .map_err(|_| InvalidValue::new(format!("item {item}: too many votes")))?;
        Ok(it.votes)
    }

    /// Item numbers (from 1), most votes first; equal votes keep the order they were said in.
    pub fn ranked(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (1..=self.items.len()).collect();
        order.sort_by_key(|n| std::cmp::Reverse(self.items[n - 1].votes));
        order
    }

    /// Closes the retro on `today`: each chosen item becomes an open action item owned by its
    /// team, due on `due`. The new items are appended to [`Retro::actions`] without numbers;
    /// returns (item index, action index) pairs, both from 0, so the caller can link each
    /// item to its action once the store has numbered it. Nothing changes on an error.
    pub fn close(
        &mut self,
        choices: &[Choice],
        due: Option<Date>,
        today: Date,
    ) -> Result<Vec<(usize, usize)>, InvalidValue> {
        if let Some(day) = self.closed {
            return Err(InvalidValue::new(format!(
                "{} was closed already, on {day}",
                self.name()
            )));
        }
        if today < self.held {
            return Err(InvalidValue::new(format!(
                "{} is held on {}; it cannot be closed before ({today})",
                self.name(),
                self.held
            )));
        }
        if let Some(d) = due {
            if d < today {
                return Err(InvalidValue::new(format!(
                    "due ({d}) is before today ({today})"
                )));
            }
        }
        for (k, c) in choices.iter().enumerate() {
            if c.item == 0 || c.item > self.items.len() {
                return Err(InvalidValue::new(format!(
                    "{} has no item {} (it has {})",
                    self.name(),
                    c.item,
                    self.items.len()
                )));
            }
            if choices[..k].iter().any(|o| o.item == c.item) {
                return Err(InvalidValue::new(format!(
                    "item {} is chosen twice",
                    c.item
                )));
            }
            single_line(
                &format!("the owner of item {}", c.item),
                &line(&c.owner),
                true,
            )?;
        }
        let mut links = Vec::with_capacity(choices.len());
        for c in choices {
            let item = &self.items[c.item - 1];
            links.push((c.item - 1, self.actions.len()));
            self.actions.push(ActionItem {
                id: None,
                title: format!("{}: {}", capitalised(item.kind.as_str()), item.text),
                kind: ActionKind::Process,
                owner: Some(line(&c.owner)),
                due,
                status: ActionStatus::Open,
                link: None,
                opened: Some(today),
                closed: None,
                worked: None,
            });
        }
        self.closed = Some(today);
        Ok(links)
    }

    /// The action item item `item` (from 1) became, if it did.
    pub fn became(&self, item: usize) -> Option<&ActionItem> {
        let a = self.items.get(item.checked_sub(1)?)?.action?;
        self.actions.iter().find(|x| x.id == Some(a))
    }

    /// Adds an incident the retro looks back on (or, with `remove`, takes it away); a closed
    /// retro may still gain one: what it decided is then read against that incident too.
    pub fn link(&mut self, incident: IncidentId, remove: bool) {
        self.incidents.retain(|i| *i != incident);
        if !remove {
            self.incidents.push(incident);
            self.incidents.sort();
        }
    }

    /// Action items of this retro not yet done (nor won't do).
    pub fn open_actions(&self) -> usize {
        self.actions
            .iter()
            .filter(|a| !a.status.is_closed())
            .count()
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ActionId;

    fn day(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn retro() -> Retro {
        let mut r = Retro::new(
            "Payments, sprint 42",
            Some("payments".into()),
            day("2026-11-20"),
        );
        r.add(RetroItemKind::Stop, "Deploying on Friday afternoons")
            .unwrap();
        r.add(RetroItemKind::Start, "Pairing on runbook changes")
            .unwrap();
        r.add(RetroItemKind::Continue, "Game days every month")
            .unwrap();
        r
    }

    #[test]
    fn votes_rank_the_items_and_cannot_go_below_zero() {
        let mut r = retro();
        assert_eq!(r.vote(2, 3).unwrap(), 3);
        assert_eq!(r.vote(1, 1).unwrap(), 1);
        assert_eq!(r.ranked(), vec![2, 1, 3]);
        assert_eq!(r.vote(2, -1).unwrap(), 2);
        let err = r.vote(1, -2).unwrap_err();
        assert!(err.message.contains("has 1 votes"), "{err}");
        assert_eq!(r.items[0].votes, 1);
        let err = r.vote(9, 1).unwrap_err();
        assert!(err.message.contains("no item 9 (it has 3)"), "{err}");
    }

    #[test]
    fn closing_turns_the_chosen_items_into_owned_action_items() {
        let mut r = retro();
        let links = r
            .close(
                &[
                    Choice {
                        item: 2,
                        owner: "sre".into(),
                    },
                    Choice {
                        item: 1,
                        owner: " payments ".into(),
                    },
                ],
                Some(day("2026-12-15")),
                day("2026-11-21"),
            )
            .unwrap();
        assert_eq!(links, vec![(1, 0), (0, 1)]);
        assert_eq!(r.closed, Some(day("2026-11-21")));
        assert_eq!(r.actions[0].title, "Start: Pairing on runbook changes");
        assert_eq!(r.actions[0].owner.as_deref(), Some("sre"));
        assert_eq!(r.actions[1].owner.as_deref(), Some("payments"));
        assert_eq!(r.actions[1].due, Some(day("2026-12-15")));
        assert_eq!(r.actions[1].status, ActionStatus::Open);
        assert_eq!(r.open_actions(), 2);
        // The store numbers them; then the items point at them and the whole is valid.
        r.actions[0].id = Some(ActionId(7));
        r.actions[1].id = Some(ActionId(8));
        r.items[1].action = Some(ActionId(7));
        r.items[0].action = Some(ActionId(8));
        r.validate().unwrap();
        // A closed retro keeps its items and votes.
        assert!(
            r.vote(3, 1)
                .unwrap_err()
                .message
                .contains("was closed on 2026-11-21")
        );
        assert!(r.add(RetroItemKind::Start, "x").is_err());
        assert!(r.close(&[], None, day("2026-11-22")).is_err());
    }

    #[test]
    fn an_open_retro_takes_edits_and_removals_a_closed_one_does_not() {
        let mut r = retro();
        r.edit(
            1,
            Some(RetroItemKind::Start),
            Some("  Deploying  before noon "),
        )
        .unwrap();
        assert_eq!(
            (r.items[0].kind, r.items[0].text.as_str()),
            (RetroItemKind::Start, "Deploying before noon")
        );
        assert!(
            r.edit(1, None, Some(" "))
                .unwrap_err()
                .message
                .contains("item 1")
        );
        assert_eq!(r.items[0].text, "Deploying before noon");
        assert_eq!(r.remove(2).unwrap().text, "Pairing on runbook changes");
        assert_eq!(r.items.len(), 2);
        assert_eq!(r.items[1].text, "Game days every month");
        assert!(
            r.remove(5)
                .unwrap_err()
                .message
                .contains("no item 5 (it has 2)")
        );
        r.close(&[], None, day("2026-11-21")).unwrap();
        assert!(r.remove(1).unwrap_err().message.contains("was closed"));
        assert!(
            r.edit(1, None, Some("x"))
                .unwrap_err()
                .message
                .contains("was closed")
        );
    }

    #[test]
    fn a_bad_close_changes_nothing() {
        let mut r = retro();
        let before = r.clone();
        for (choices, due, want) in [
            (
                vec![Choice {
                    item: 4,
                    owner: "sre".into(),
                }],
                None,
                "no item 4",
            ),
            (
                vec![Choice {
                    item: 0,
                    owner: "sre".into(),
                }],
                None,
                "no item 0",
            ),
            (
                vec![
                    Choice {
                        item: 1,
                        owner: "sre".into(),
                    },
                    Choice {
                        item: 1,
                        owner: "ops".into(),
                    },
                ],
                None,
                "chosen twice",
            ),
            (
                vec![Choice {
                    item: 1,
                    owner: "  ".into(),
                }],
                None,
                "owner of item 1",
            ),
            (vec![], Some(day("2026-01-01")), "before today"),
        ] {
            let err = r.close(&choices, due, day("2026-11-21")).unwrap_err();
            assert!(err.message.contains(want), "{want}: {err}");
            assert_eq!(r, before);
        }
        let err = r.close(&[], None, day("2026-11-19")).unwrap_err();
        assert!(err.message.contains("cannot be closed before"), "{err}");
    }

    #[test]
    fn validation_keeps_items_and_actions_consistent() {
        let mut r = retro();
        r.items[0].action = Some(ActionId(3));
        assert!(r.validate().unwrap_err().message.contains("not closed"));
        r.closed = Some(day("2026-11-21"));
        assert!(r.validate().unwrap_err().message.contains("not among"));
        r.items[0].action = None;
        r.closed = Some(day("2026-11-01"));
        assert!(
            r.validate()
                .unwrap_err()
                .message
                .contains("before the day it was held")
        );
        let json = serde_json::to_string(&retro()).unwrap();
        let back: Retro = serde_json::from_str(&json).unwrap();
        assert_eq!(back, retro());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn kind() -> impl Strategy<Value = RetroItemKind> {
            prop::sample::select(RetroItemKind::ALL.to_vec())
        }

        proptest! {
            /// Whatever votes and choices come, a retro is either changed as asked and valid
            /// once the store numbers its new items, or refused and left exactly as it was.
            #[test]
            fn votes_and_closes_change_all_or_nothing(
                items in prop::collection::vec((kind(), "[a-z ]{1,12}"), 0..6),
                votes in prop::collection::vec((0usize..8, -2i64..3), 0..12),
                choices in prop::collection::vec((0usize..8, prop::sample::select(vec!["sre", "", " ", "ops\nteam", "payments"])), 0..5),
            ) {
                let mut r = Retro::new("Sprint", None, day("2026-11-20"));
                for (k, t) in &items {
                    let before = r.clone();
                    if r.add(*k, t).is_err() {
                        prop_assert!(t.trim().is_empty());
                        prop_assert_eq!(&r, &before);
                    }
                }
                for (item, by) in votes {
                    let before = r.clone();
                    match r.vote(item, by) {
                        Ok(v) => prop_assert_eq!(v, r.items[item - 1].votes),
                        Err(_) => prop_assert_eq!(&r, &before),
                    }
                }
                let choices: Vec<Choice> = choices
                    .into_iter()
                    .map(|(item, owner)| Choice { item, owner: owner.to_string() })
                    .collect();
                let before = r.clone();
                match r.close(&choices, None, day("2026-11-21")) {
                    Ok(links) => {
                        prop_assert_eq!(links.len(), choices.len());
                        prop_assert_eq!(r.actions.len(), choices.len());
                        prop_assert_eq!(r.closed, Some(day("2026-11-21")));
                        for (n, (item, action)) in links.iter().enumerate() {
                            r.actions[*action].id = Some(crate::ActionId(n as i64 + 1));
                            r.items[*item].action = r.actions[*action].id;
                            prop_assert!(r.actions[*action].title.ends_with(&r.items[*item].text));
                        }
                        r.normalize();
                        prop_assert!(r.validate().is_ok(), "{:?}", r.validate());
                    }
                    Err(_) => prop_assert_eq!(&r, &before),
                }
            }
        }
    }
}
