//! [`Engine`]: a pack ready to decide.

use jiff::Timestamp;

use charter_policy::window::WindowStates;
use charter_policy::{Area, Pack, Rule, WindowCondition};

use std::sync::Arc;

use crate::Context;
use crate::text::embed::Embeddings;
use crate::web::WebExtras;

/// A validated pack, ready to decide events. Cheap to share between threads by reference.
#[derive(Debug, Clone)]
pub struct Engine {
    pack: Pack,
    pub(crate) web: WebExtras,
    embeddings: Option<Arc<Embeddings>>,
}

impl Engine {
    /// An engine for `pack`.
    pub fn new(pack: Pack) -> Engine {
        let web = WebExtras::new(&pack);
        Engine {
            pack,
            web,
            embeddings: None,
        }
    }

    /// This engine with a sentence-embedding model for search terms and text beyond the
    /// phrase lists (`--embeddings`, charter.toml's `embeddings`), or without one.
    pub fn with_embeddings(mut self, embeddings: Option<Arc<Embeddings>>) -> Engine {
        self.embeddings = embeddings;
        self
    }

    /// The sentence-embedding model, when one is loaded.
    pub fn embeddings(&self) -> Option<&Embeddings> {
        self.embeddings.as_deref()
    }

    /// The pack it decides by.
    pub fn pack(&self) -> &Pack {
        &self.pack
    }

    /// This engine with `domains` as the organisation's mail domains when its pack names none
    /// (neither `[organisation] domains` nor `[mail] internal_domains`): a site supplies them
    /// in charter.toml, or the addresses in its people register do. A pack that names its own
    /// keeps them. Only this engine's copy of the pack changes.
    pub fn with_domains(mut self, domains: &[String]) -> Engine {
        let internal = &mut self.pack.mail.internal_domains;
        if internal.is_empty() {
            *internal = domains
                .iter()
                .map(|d| d.trim().trim_end_matches('.').to_ascii_lowercase())
                .filter(|d| !d.is_empty())
                .collect();
            internal.sort_unstable();
            internal.dedup();
        }
        self
    }

    /// The organisation's mail domains it tells inside from outside by; empty when nobody
    /// named them.
    pub fn mail_domains(&self) -> &[String] {
        &self.pack.mail.internal_domains
    }

    /// The rules on `area` that apply to `ctx`: to the person's roles, at this time.
    pub fn rules_in_force<'a>(
        &'a self,
        area: Area,
        ctx: &'a Context,
    ) -> impl Iterator<Item = &'a Rule> + 'a {
        self.pack
            .rules_on(area)
            .filter(|rule| rule.applies_to_roles(&ctx.roles[..]) && self.window_holds(rule, ctx))
    }

    /// Whether `rule`'s window condition holds at the context's time. A rule without one
    /// always holds.
    fn window_holds(&self, rule: &Rule, ctx: &Context) -> bool {
        let inside = |name: &str| match &ctx.windows {
            Some(states) => states.contains(name),
            None => self.pack.windows.contains(name, ctx.at),
        };
        match &rule.window {
            None => true,
            Some(WindowCondition::During(name)) => inside(name) == Some(true),
            Some(WindowCondition::Outside(name)) => inside(name) == Some(false),
        }
    }

    /// Whether each of the pack's windows holds at `at`, and the first instant after `at`
    /// at which any may change: a gateway puts the states in the [`Context`] of every
    /// request in between.
    pub fn window_states(&self, at: Timestamp) -> (WindowStates, Option<Timestamp>) {
        let windows = &self.pack.windows;
        (windows.states_at(at), windows.stable_until(at))
    }

    /// Until when a decision made at `at` stays right as far as time windows go: the next
    /// window edge. Gateways cap cache lifetimes with it.
    pub fn valid_until(&self, at: Timestamp) -> Option<Timestamp> {
        self.pack.windows.next_edge_after(at)
    }
}
