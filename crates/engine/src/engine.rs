//! [`Engine`]: a pack ready to decide.

use jiff::Timestamp;

use charter_policy::{Area, Pack, Rule, WindowCondition};

use crate::Context;

/// A validated pack, ready to decide events. Cheap to share between threads by reference.
#[derive(Debug, Clone)]
pub struct Engine {
    pack: Pack,
}

impl Engine {
    /// An engine for `pack`.
    pub fn new(pack: Pack) -> Engine {
        Engine { pack }
    }

    /// The pack it decides by.
    pub fn pack(&self) -> &Pack {
        &self.pack
    }

    /// The rules on `area` that apply to `ctx`: to the person's roles, at this time.
    pub fn rules_in_force<'a>(
        &'a self,
        area: Area,
        ctx: &'a Context,
    ) -> impl Iterator<Item = &'a Rule> + 'a {
        self.pack
            .rules_on(area)
            .filter(|rule| rule.applies_to_roles(&ctx.roles) && self.window_holds(rule, ctx.at))
    }

    /// Whether `rule`'s window condition holds at `at`. A rule without one always holds.
    fn window_holds(&self, rule: &Rule, at: Timestamp) -> bool {
        match &rule.window {
            None => true,
            Some(WindowCondition::During(name)) => {
                self.pack.windows.contains(name, at) == Some(true)
            }
            Some(WindowCondition::Outside(name)) => {
                self.pack.windows.contains(name, at) == Some(false)
            }
        }
    }

    /// Until when a decision made at `at` stays right as far as time windows go: the next
    /// window edge. Gateways cap cache lifetimes with it.
    pub fn valid_until(&self, at: Timestamp) -> Option<Timestamp> {
        self.pack.windows.next_edge_after(at)
    }
}
